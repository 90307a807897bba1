/**
 * How `npm run bench` runs its stages and ends: a stage that throws (or reports why it could not run)
 * is a failed stage, named with its cause; the run still finishes the other stages, writes what it
 * measured to partial.json instead of latest.json, and exits 1. A gated target that is missed also
 * exits 1 (a target not measured because its stage was not asked for does not). Tested by test/unit/bench/stages.test.ts without running a benchmark.
 */
import type { JudgedTarget } from '../tools/bench-targets';

export interface StageFailure {
  readonly stage: string;
  readonly cause: string;
}

/** Runs one stage; a thrown error becomes a failure naming the stage and its first line. */
export async function runStage(
  stage: string,
  run: () => Promise<void> | void,
  failures: StageFailure[],
  say: (line: string) => void,
): Promise<void> {
  try {
    await run();
  } catch (error) {
    const cause = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'unknown error';
    failures.push({ stage, cause });
    say(`  [${stage}] FAILED: ${cause}`);
  }
}

export interface BenchEnd {
  readonly exitCode: 0 | 1;
  /** `latest`: a complete run (every stage, full size); `partial`: anything else. */
  readonly output: 'latest' | 'partial';
  /** One line per reason the run failed. */
  readonly reasons: readonly string[];
}

export function benchEnd(fields: {
  readonly failures: readonly StageFailure[];
  readonly judged: readonly JudgedTarget[];
  readonly complete: boolean;
}): BenchEnd {
  const reasons = [
    ...fields.failures.map((f) => `stage ${f.stage} failed: ${f.cause}`),
    ...fields.judged
      .filter((j) => j.target.gate && j.outcome === 'MISS')
      .map((j) => `gated target missed: ${j.target.label}${j.why ? ` (${j.why})` : ''}`),
  ];
  return {
    exitCode: reasons.length === 0 ? 0 : 1,
    output: fields.complete && fields.failures.length === 0 ? 'latest' : 'partial',
    reasons,
  };
}

/** The e2e stage's result, or a failure naming why it could not run (never a silent skip). */
export function e2eResultOrThrow<T>(outcome: { ok: true; result: T } | { ok: false; skipped: string }): T {
  if (!outcome.ok) throw new Error(`the end-to-end stage could not run: ${outcome.skipped}`);
  return outcome.result;
}
