/**
 * `npm run docs:render`: renders every generated block of the docs again from the committed run
 * records (tools/generated-docs.ts), without running anything. For after a renderer changed or a
 * record was removed; test/unit/doc-blocks.test.ts says which blocks need it.
 */
import { PROJECT_ROOT } from '../local/emulator';
import { renderDocBlocks } from '../tools/doc-blocks';
import { DOC_BLOCKS } from '../tools/generated-docs';

const kinds = [...new Set(DOC_BLOCKS.map((block) => block.records.kind))];
for (const kind of kinds)
  for (const doc of renderDocBlocks(PROJECT_ROOT, kind, DOC_BLOCKS))
    process.stdout.write(`rendered ${doc} (${kind})\n`);
