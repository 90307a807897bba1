import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BENCH_TARGETS, type BenchTarget, targetAcrossRuns } from '../../tools/bench-targets';
import {
  type DocBlock,
  normaliseMarkdown,
  readDocBlock,
  renderDocBlocks,
  staleDocBlocks,
} from '../../tools/doc-blocks';
import { DOC_BLOCKS } from '../../tools/generated-docs';
import { figureRange, type RunRecord, readRunRecords, writeRunRecord } from '../../tools/run-record';

const ROOT = path.join(__dirname, '..', '..');

describe('the docs and their run records', () => {
  it('renders every generated block of the docs exactly as its committed records say', () => {
    expect(staleDocBlocks(ROOT, DOC_BLOCKS)).toEqual([]);
  });

  it('has a record behind every generated block, with its date, machine, commit and command', () => {
    for (const block of DOC_BLOCKS) {
      const records = readRunRecords(path.join(ROOT, block.records.dir), block.records.kind);
      expect({ block: `${block.doc}#${block.name}`, records: records.length }).toEqual({
        block: `${block.doc}#${block.name}`,
        records: expect.any(Number),
      });
      expect(records.length).toBeGreaterThan(0);
      for (const record of records) {
        expect(Number.isNaN(Date.parse(record.date))).toBe(false);
        expect(record.machine).toMatch(/cores/);
        expect(record.commit).toMatch(/^[0-9a-f]{7,}(-dirty)?$/);
        expect(record.command).toMatch(/^(\w+=\S+ )*npm run /);
      }
    }
  });
});

describe('doc blocks (the mechanism)', () => {
  /** A project with one doc and one record of kind `demo`, rendered by the script. */
  function project(values: number[]) {
    const root = mkdtempSync(path.join(tmpdir(), 'doc-blocks-'));
    mkdirSync(path.join(root, 'docs'));
    writeFileSync(
      path.join(root, 'docs', 'x.md'),
      '# X\n\ntext\n\n<!-- demo:start -->\n<!-- demo:end -->\n\nmore\n',
    );
    const block: DocBlock = {
      doc: 'docs/x.md',
      name: 'demo',
      records: { dir: 'results', kind: 'demo' },
      render: (records: readonly RunRecord<{ rate: number }>[]) =>
        `| figure | value |\n| --- | --: |\n| rate | ${figureRange(records.map((r) => r.figures.rate))} |`,
    };
    for (const [i, rate] of values.entries())
      writeRunRecord(path.join(root, 'results'), {
        kind: 'demo',
        date: `2026-11-29T0${i}:00:00.000Z`,
        machine: 'test machine, 2 cores',
        commit: 'abcdef123456',
        command: 'npm run demo',
        figures: { rate },
      });
    renderDocBlocks(root, 'demo', [block]);
    return { root, block, doc: path.join(root, 'docs', 'x.md') };
  }

  it('renders a record between the markers and leaves the rest of the doc alone', () => {
    const { doc } = project([12.5]);
    const text = readFileSync(doc, 'utf8');

    expect(readDocBlock(text, 'demo')).toMatch(/\| rate\s+\| 12\.5 \|/);
    expect(text.startsWith('# X\n\ntext\n\n<!-- demo:start -->')).toBe(true);
    expect(text.trimEnd().endsWith('<!-- demo:end -->\n\nmore')).toBe(true);
  });

  it('finds a block whose figure was edited by hand', () => {
    const { root, block, doc } = project([12.5]);
    writeFileSync(doc, readFileSync(doc, 'utf8').replace('12.5 ', '13.5 '));

    expect(staleDocBlocks(root, [block])).toEqual(['docs/x.md#demo']);
  });

  it('finds a block whose record changed, or that lost its markers', () => {
    const { root, block, doc } = project([12.5]);
    writeRunRecord(path.join(root, 'results'), {
      kind: 'demo',
      date: '2026-11-29T05:00:00.000Z',
      machine: 'test machine, 2 cores',
      commit: 'abcdef123456',
      command: 'npm run demo',
      figures: { rate: 20 },
    });
    expect(staleDocBlocks(root, [block])).toEqual(['docs/x.md#demo']);

    renderDocBlocks(root, 'demo', [block]);
    expect(staleDocBlocks(root, [block])).toEqual([]);
    writeFileSync(doc, readFileSync(doc, 'utf8').replace('<!-- demo:end -->', ''));
    expect(staleDocBlocks(root, [block])).toEqual(['docs/x.md#demo']);
  });

  it('shows runs that disagree as a range, and runs that agree as one value', () => {
    expect(readDocBlock(readFileSync(project([12.5, 20, 15]).doc, 'utf8'), 'demo')).toContain('12.5–20');
    expect(readDocBlock(readFileSync(project([7, 7]).doc, 'utf8'), 'demo')).toMatch(/\| 7 \|/);
  });

  it('ignores only table padding and separator widths, which the formatter owns', () => {
    expect(normaliseMarkdown('| a   | b |\n| --- | ----: |\n| 1   | 2 |')).toBe(
      normaliseMarkdown('| a | b |\n| - | --: |\n| 1 | 2 |'),
    );
    expect(normaliseMarkdown('| a | 1 |')).not.toBe(normaliseMarkdown('| a | 2 |'));
  });
});

describe('figures over several runs', () => {
  it('says how many runs measured a figure when some did not', () => {
    expect(figureRange([1000, undefined])).toBe('1,000 (1 of 2 runs)');
    expect(figureRange([undefined])).toBe('not measured');
  });

  it('reports a target PASS only when every run met it, MISS in k of n runs when they disagree', () => {
    const target: BenchTarget = { label: 'x', value: (f) => f.x, op: '>=', bound: 1 };

    expect(targetAcrossRuns(target, [{ x: 1.2 }, { x: 1.5 }])).toEqual({
      value: '1.200×–1.500×',
      verdict: 'PASS',
    });
    expect(targetAcrossRuns(target, [{ x: 0.9 }, { x: 1.5 }])).toEqual({
      value: '0.900×–1.500×',
      verdict: 'MISS in 1 of 2 runs',
    });
    expect(targetAcrossRuns(target, [{ x: 0.9 }])).toEqual({ value: '0.900×', verdict: 'MISS' });
    expect(targetAcrossRuns(target, [{}])).toEqual({ value: 'not measured', verdict: 'not measured' });
  });

  it('counts a run that lost events as a MISS of the e2e target whatever its ratio', () => {
    const e2e = BENCH_TARGETS.find((t) => t.key === 'ratio_e2e_vs_modelled_ceiling') as BenchTarget;

    expect(
      targetAcrossRuns(e2e, [
        { e2e_events_per_s: 90, e2e_modelled_ceiling_events_per_s: 100, e2e_lost_events: 1 },
      ]).verdict,
    ).toBe('MISS');
  });
});
