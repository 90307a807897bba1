import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { benchEnd, e2eResultOrThrow, runStage, type StageFailure } from '../../../bench/stages';
import { BENCH_TARGETS, type BenchTarget, judgeTarget } from '../../../tools/bench-targets';

const ROOT = path.join(__dirname, '..', '..', '..');

const gated: BenchTarget = { label: 'a count', value: (f) => f.count, op: '<=', bound: 0, gate: true };
const timed: BenchTarget = { label: 'a ratio', value: (f) => f.ratio, op: '>=', bound: 1 };

describe('npm run bench: stages, exit code and output file', () => {
  it('records a stage that throws as a failure naming the stage and the first line of its cause, and goes on', async () => {
    const failures: StageFailure[] = [];
    const said: string[] = [];
    const ran: string[] = [];

    await runStage(
      'e2e',
      () => {
        throw new Error('the emulator did not start: no .venv\n  at stack line');
      },
      failures,
      (line) => said.push(line),
    );
    await runStage(
      'pure',
      () => void ran.push('pure'),
      failures,
      (line) => said.push(line),
    );

    expect(failures).toEqual([{ stage: 'e2e', cause: 'the emulator did not start: no .venv' }]);
    expect(said).toEqual(['  [e2e] FAILED: the emulator did not start: no .venv']);
    expect(ran).toEqual(['pure']);
  });

  it('exits 1 and writes partial.json, not latest.json, when a stage failed, naming the stage', () => {
    const end = benchEnd({
      failures: [{ stage: 'e2e', cause: 'the end-to-end stage could not run: x' }],
      judged: [],
      complete: true,
    });

    expect(end).toEqual({
      exitCode: 1,
      output: 'partial',
      reasons: ['stage e2e failed: the end-to-end stage could not run: x'],
    });
  });

  it('exits 0 and writes latest.json for a complete run whose only misses are ungated', () => {
    const end = benchEnd({ failures: [], judged: [judgeTarget(timed, { ratio: 0.5 })], complete: true });

    expect(end).toEqual({ exitCode: 0, output: 'latest', reasons: [] });
  });

  it('exits 1 when a gated target is missed, naming it and why', () => {
    const lost: BenchTarget = {
      ...gated,
      disqualified: (f) => ((f.lost ?? 0) > 0 ? `${f.lost} lost` : undefined),
    };
    const end = benchEnd({
      failures: [],
      judged: [judgeTarget(gated, { count: 2 }), judgeTarget(lost, { count: 0, lost: 3 })],
      complete: true,
    });

    expect(end.exitCode).toBe(1);
    expect(end.reasons).toEqual(['gated target missed: a count', 'gated target missed: a count (3 lost)']);
  });

  it('does not fail a gated target whose stage was not asked for (--only), and writes partial.json', () => {
    const end = benchEnd({ failures: [], judged: [judgeTarget(gated, {})], complete: false });

    expect(end).toEqual({ exitCode: 0, output: 'partial', reasons: [] });
  });

  it('turns an e2e stage that could not run into an error with its cause, instead of skipping it', () => {
    expect(() =>
      e2eResultOrThrow({ ok: false, skipped: 'the emulator did not start: python3 missing' }),
    ).toThrow('the end-to-end stage could not run: the emulator did not start: python3 missing');
    expect(e2eResultOrThrow({ ok: true, result: { e2e_events: 3 } })).toEqual({ e2e_events: 3 });
  });

  it('gates the e2e stage on losing no event', () => {
    const e2eLoss = BENCH_TARGETS.find((t) => t.key === 'e2e_lost_events') as BenchTarget;

    expect(
      benchEnd({ failures: [], judged: [judgeTarget(e2eLoss, { e2e_lost_events: 1 })], complete: true })
        .exitCode,
    ).toBe(1);
    expect(
      benchEnd({ failures: [], judged: [judgeTarget(e2eLoss, { e2e_lost_events: 0 })], complete: true })
        .exitCode,
    ).toBe(0);
  });

  it('installs the emulator before benchmarking, as npm start does, so a fresh clone runs the e2e stage', () => {
    const scripts = (
      JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;

    expect(scripts.start).toMatch(/^npm run emulator:install --silent && /);
    expect(scripts.bench).toBe('npm run emulator:install --silent && tsx bench/run.ts');
  });
});
