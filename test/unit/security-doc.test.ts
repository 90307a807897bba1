import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const DOC = 'docs/security.md';
const COLUMNS = ['Point', 'Attacker', 'Input', 'Answer', 'Test'] as const;
/** Issue #12 has eight points; each keeps its row, in order. */
const POINTS = [1, 2, 3, 4, 5, 6, 7, 8] as const;

interface ThreatRow {
  readonly line: number;
  readonly cells: Readonly<Record<(typeof COLUMNS)[number], string>>;
}

function splitCells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((cell) => cell.trim());
}

function parseThreatTable(markdown: string): ThreatRow[] {
  const lines = markdown.split('\n');
  const headerIndex = lines.findIndex((line) => /^\|\s*Point\s*\|\s*Attacker\s*\|/.test(line));
  if (headerIndex < 0) throw new Error(`${DOC} has no table whose columns start with "Point | Attacker"`);
  expect(splitCells(lines[headerIndex] ?? '')).toEqual([...COLUMNS]);
  const rows: ThreatRow[] = [];
  for (let index = headerIndex + 2; lines[index]?.startsWith('|'); index++) {
    const cells = splitCells(lines[index] ?? '');
    if (cells.length !== COLUMNS.length) {
      throw new Error(`${DOC}:${index + 1} has ${cells.length} cells, expected ${COLUMNS.length}`);
    }
    rows.push({
      line: index + 1,
      cells: Object.fromEntries(COLUMNS.map((column, at) => [column, cells[at]])) as ThreatRow['cells'],
    });
  }
  return rows;
}

/** `test/x.test.ts` or `test/x.test.ts › test name`, as the rest of docs/ cite tests. */
function testReferences(cell: string): { path: string; name?: string }[] {
  return [...cell.matchAll(/`(test\/[^`\s]+\.ts)(?:\s*›\s*([^`]+))?`/g)].map((match) => ({
    path: match[1] ?? '',
    name: match[2]?.trim(),
  }));
}

const rows = parseThreatTable(readFileSync(join(ROOT, DOC), 'utf8'));
const fixed = rows.filter((row) => row.cells.Test !== '_open_');

describe('docs/security.md threat model of issue #12', () => {
  it('has one row per point of the issue, in order', () => {
    expect(rows.map((row) => Number.parseInt(row.cells.Point, 10))).toEqual([...POINTS]);
  });

  it.each(fixed.map((row) => [row.cells.Point, row] as const))(
    'row "%s" names the attacker, the input and the answer',
    (_, row) => {
      for (const column of ['Attacker', 'Input', 'Answer'] as const) {
        expect(row.cells[column]).not.toMatch(/^(_open_)?$/);
      }
    },
  );

  it.each(fixed.map((row) => [row.cells.Point, row] as const))(
    'row "%s" cites tests that exist, by a name the file contains',
    (_, row) => {
      const references = testReferences(row.cells.Test);
      expect(references.length).toBeGreaterThan(0);
      for (const { path, name } of references) {
        expect(existsSync(join(ROOT, path))).toBe(true);
        if (name !== undefined) {
          // A parameterised name (`$name`, `%s`) is matched up to its first placeholder.
          const literal = name.split(/[$%]/)[0]?.trim() ?? '';
          expect(readFileSync(join(ROOT, path), 'utf8')).toContain(literal);
        }
      }
    },
  );
});
