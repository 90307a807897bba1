/**
 * The generated blocks of the docs: each is rendered from committed run records (tools/run-record.ts)
 * between `<!-- name:start -->` and `<!-- name:end -->`. The blocks are listed once, in
 * tools/generated-docs.ts (DOC_BLOCKS). A script that writes a record calls {@link renderDocBlocks} for
 * its kind; test/unit/doc-blocks.test.ts renders every block again and fails when a doc and its records
 * disagree. A new generated figure is one more entry in DOC_BLOCKS.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { type RunRecord, readRunRecords, updateMarkdownSection } from './run-record';

export interface DocBlock {
  /** The markdown file, relative to the project root. */
  readonly doc: string;
  /** The marker name. */
  readonly name: string;
  /** Where its records are: a directory relative to the project root, and their kind. */
  readonly records: { readonly dir: string; readonly kind: string };
  /** The block's markdown, from every record of its kind (oldest first; maybe none). */
  // biome-ignore lint/suspicious/noExplicitAny: each block knows its own record's figures
  readonly render: (records: readonly RunRecord<any>[]) => string;
}

/** What the block should read now, from the records on disk. */
export function renderDocBlock(projectRoot: string, block: DocBlock): string {
  return block.render(readRunRecords(path.join(projectRoot, block.records.dir), block.records.kind)).trim();
}

/** Rewrites every block fed by records of `kind` (after a script wrote one). Returns the docs touched. */
export function renderDocBlocks(projectRoot: string, kind: string, blocks: readonly DocBlock[]): string[] {
  const touched: string[] = [];
  for (const block of blocks.filter((b) => b.records.kind === kind)) {
    updateMarkdownSection(path.join(projectRoot, block.doc), block.name, renderDocBlock(projectRoot, block));
    touched.push(block.doc);
  }
  return [...new Set(touched)];
}

/** The text between a block's markers, or undefined when the doc has no such block. */
export function readDocBlock(markdown: string, name: string): string | undefined {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = markdown.indexOf(start);
  const to = markdown.indexOf(end);
  if (from === -1 || to < from) return undefined;
  return markdown.slice(from + start.length, to).trim();
}

/** Markdown with table padding and separator widths taken out, so the formatter's layout never counts. */
export function normaliseMarkdown(markdown: string): string {
  return markdown
    .trim()
    .split('\n')
    .map((line) => {
      const trimmed = line.trim();
      if (!trimmed.startsWith('|')) return trimmed;
      return trimmed
        .split('|')
        .map((cell) => cell.trim().replace(/^(:?)-+(:?)$/, '$1-$2'))
        .join('|');
    })
    .join('\n');
}

/** Every registered block whose doc text differs from what its records render: `doc#name` each. */
export function staleDocBlocks(projectRoot: string, blocks: readonly DocBlock[]): string[] {
  return blocks.flatMap((block) => {
    const text = readDocBlock(readFileSync(path.join(projectRoot, block.doc), 'utf8'), block.name);
    const want = renderDocBlock(projectRoot, block);
    return text !== undefined && normaliseMarkdown(text) === normaliseMarkdown(want)
      ? []
      : [`${block.doc}#${block.name}`];
  });
}
