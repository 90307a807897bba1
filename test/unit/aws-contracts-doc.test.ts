import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const DOC = 'docs/aws-contracts.md';
const COLUMNS = ['Contract', 'AWS documentation', 'Where the code respects it', 'Emulator', 'Test'] as const;

/**
 * Every contract the issue names must have a row. A keyword joins this list once its row is on main, so the
 * test fails if that row is later dropped or reworded out of recognition.
 */
const REQUIRED_KEYWORDS = [
  '6x',
  'RotateImmediately',
  'staging label',
  'RetainExceptOnCreate',
  'recovery window',
  '1 MiB',
  'SQS character set',
  '400 KB',
  'ReturnValuesOnConditionCheckFailure',
  '65,536 bytes',
  '30 s',
  '10 MB',
  '6 MB',
  '4 KB',
  'Concurrent executions',
  'character',
  '64 KB',
  'visibility timeout',
  'TransactWriteItems',
  'ClientRequestToken',
  'CreatedDate',
  'global secondary index',
  'Type mismatch for Index Key',
  'UnprocessedKeys',
];

interface ContractRow {
  readonly line: number;
  readonly cells: Readonly<Record<(typeof COLUMNS)[number], string>>;
}

/** Cells are split on unescaped pipes, so a cell may hold a literal pipe written as `\|`. */
function splitCells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((cell) => cell.trim());
}

function parseContractTable(markdown: string): ContractRow[] {
  const lines = markdown.split('\n');
  const headerIndex = lines.findIndex((line) => /^\|\s*Contract\s*\|/.test(line));
  if (headerIndex < 0) throw new Error(`${DOC} has no table whose first column is "Contract"`);
  const header = splitCells(lines[headerIndex] ?? '');
  expect(header).toEqual([...COLUMNS]);
  const rows: ContractRow[] = [];
  for (let index = headerIndex + 2; lines[index]?.startsWith('|'); index++) {
    const cells = splitCells(lines[index] ?? '');
    if (cells.length !== COLUMNS.length) {
      throw new Error(
        `${DOC}:${index + 1} has ${cells.length} cells, expected ${COLUMNS.length} (write a literal pipe as \\|)`,
      );
    }
    rows.push({
      line: index + 1,
      cells: Object.fromEntries(COLUMNS.map((column, at) => [column, cells[at]])) as ContractRow['cells'],
    });
  }
  return rows;
}

function awsDocLinks(cell: string): URL[] {
  return [...cell.matchAll(/\]\((https?:\/\/[^)\s]+)\)/g)].map((match) => new URL(match[1] ?? ''));
}

function testPaths(cell: string): string[] {
  return [...cell.matchAll(/`(test\/[^`]+\.ts)`/g)].map((match) => match[1] ?? '');
}

const rows = parseContractTable(readFileSync(join(ROOT, DOC), 'utf8'));

describe('docs/aws-contracts.md', () => {
  it('has at least one contract row', () => {
    expect(rows.length).toBeGreaterThan(0);
  });

  it.each(rows.map((row) => [row.line, row] as const))(
    'row at line %i cites an https AWS documentation page',
    (_, row) => {
      const links = awsDocLinks(row.cells['AWS documentation']);
      expect(links.length).toBeGreaterThan(0);
      for (const link of links) {
        expect(link.protocol).toBe('https:');
        expect(link.hostname).toBe('docs.aws.amazon.com');
      }
    },
  );

  it.each(rows.map((row) => [row.line, row] as const))(
    'row at line %i says where the code respects it',
    (_, row) => {
      expect(row.cells.Contract).not.toBe('');
      expect(row.cells['Where the code respects it']).not.toBe('');
    },
  );

  it.each(rows.map((row) => [row.line, row] as const))(
    'row at line %i names test files that exist',
    (_, row) => {
      const paths = testPaths(row.cells.Test);
      expect(paths.length).toBeGreaterThan(0);
      const missing = paths.filter((path) => !existsSync(join(ROOT, path)));
      expect(missing).toEqual([]);
    },
  );

  it.each(REQUIRED_KEYWORDS)('lists the contract "%s"', (keyword) => {
    const text = rows.map((row) => Object.values(row.cells).join(' ')).join('\n');
    expect(text).toContain(keyword);
  });
});
