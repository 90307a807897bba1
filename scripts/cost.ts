/**
 * `npm run cost`: prices the default configuration (tools/cost-model.ts) from the call-count test's
 * measurements in docs/cost.md and the synthesized stack, writes a `cost` run record to bench/results/
 * and renders docs/cost.md's generated tables from it. Runs nothing on AWS or the emulator.
 */
import * as path from 'node:path';
import { PROJECT_ROOT } from '../local/emulator';
import { defaultCostInputs } from '../tools/cost-inputs';
import { costRecordFigures } from '../tools/cost-model';
import { renderDocBlocks } from '../tools/doc-blocks';
import { DOC_BLOCKS } from '../tools/generated-docs';
import { currentCommit, newRunRecord, writeRunRecord } from '../tools/run-record';

const startedAt = new Date();
const commit = currentCommit(PROJECT_ROOT);
const figures = costRecordFigures(defaultCostInputs(PROJECT_ROOT));
const record = newRunRecord(PROJECT_ROOT, {
  kind: 'cost',
  command: 'npm run cost',
  startedAt,
  commit,
  figures,
});
const file = writeRunRecord(path.join(PROJECT_ROOT, 'bench', 'results'), record);
process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
for (const key of ['cost_per_month_1m_usd', 'cost_variable_per_million_usd', 'cost_floor_per_million_usd'])
  process.stdout.write(`${key}: ${figures[key]}\n`);
for (const doc of renderDocBlocks(PROJECT_ROOT, 'cost', DOC_BLOCKS))
  process.stdout.write(`rendered ${doc}\n`);
