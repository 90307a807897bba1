/**
 * docs/reliability.md's soak blocks, from the committed records of `npm run soak`
 * (reliability/results/soak-*.json and soak-overload-*.json): each figure over every recorded run
 * (a range when they disagree), then the latest run's memory samples.
 */
import { describeRecord, figureRange, type RunRecord } from './run-record';

export interface SoakFigures {
  readonly rate: number;
  readonly durationS: number;
  readonly connections: number;
  readonly pollers: number;
  readonly sent: number;
  readonly answered2xx: number;
  readonly statusCounts: Record<string, number>;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  /** In flight when the load stopped (no answer recorded), and how many of those were PROCESSED. */
  readonly unanswered: number;
  readonly unansweredProcessed: number;
  readonly requestsPerSecondAverage: number;
  readonly acceptedPerSecond: number;
  readonly loadDurationS: number;
  readonly latencyMs: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
    readonly average: number;
  };
  readonly accepted: number;
  readonly lost: number;
  /** Seconds from the end of the load to the last PROCESSED, or undefined when the drain timed out. */
  readonly drainedAfterS?: number;
  readonly endToEndEventsPerSecond?: number;
  readonly drainTimeoutS: number;
  readonly memory: readonly { readonly atS: number; readonly rssMiB: number; readonly heapUsedMiB: number }[];
}

type SoakRecord = RunRecord<SoakFigures>;

const ms = (v: number) => `${Math.round(v)} ms`;
const one = (v: number) => v.toFixed(1);
const int = (v: number) => String(Math.round(v));

/** The soak block: one table of figures over every run, then the latest run's memory samples. */
export function renderSoak(records: readonly SoakRecord[]): string {
  if (records.length === 0) return 'No committed `npm run soak` record yet: run it without `--no-write`.';
  const all = (pick: (f: SoakFigures) => number | undefined, format?: (v: number) => string) =>
    figureRange(
      records.map((r) => pick(r.figures)),
      format,
    );
  const latest = records.at(-1) as SoakRecord;
  const lost = records.reduce((sum, r) => sum + r.figures.lost, 0);
  const memory = latest.figures.memory;
  const step = Math.max(1, Math.ceil(memory.length / 16));
  const samples = memory.filter((_, i) => i % step === 0 || i === memory.length - 1);
  const peak = (key: 'rssMiB' | 'heapUsedMiB') => (f: SoakFigures) =>
    Math.max(...f.memory.map((m) => m[key]));
  return [
    `${records.length === 1 ? 'One run' : `${records.length} runs`} (${lost === 0 ? 'no loss' : '**LOSS**'}):`,
    '',
    ...records.map((r) => `- ${describeRecord(r)}.`),
    '',
    'Load generator, local API, verifier, pollers and processor share one Node.js process; moto runs in its own.',
    '',
    '| figure | value |',
    '| --- | --- |',
    `| offered rate / duration / connections / pollers | ${all((f) => f.rate)} req/s for ${all((f) => f.durationS)} s over ${all((f) => f.connections)} connections, ${all((f) => f.pollers)} pollers |`,
    `| distinct events sent / answered 2xx | ${all((f) => f.sent)} / ${all((f) => f.answered2xx)} |`,
    `| non-2xx / errors / timeouts | ${all((f) => f.non2xx)} / ${all((f) => f.errors)} / ${all((f) => f.timeouts)} |`,
    `| in flight when the load stopped / of those PROCESSED anyway | ${all((f) => f.unanswered)} / ${all((f) => f.unansweredProcessed)} |`,
    `| achieved throughput (verifier), accepted per second | ${all((f) => f.acceptedPerSecond, one)} |`,
    `| latency p50 / p90 / p99 / max | ${all((f) => f.latencyMs.p50, ms)} / ${all((f) => f.latencyMs.p90, ms)} / ${all((f) => f.latencyMs.p99, ms)} / ${all((f) => f.latencyMs.max, ms)} |`,
    `| **accepted events lost** | **${all((f) => f.lost)}** of ${all((f) => f.accepted)} (every accepted eventId checked in the ledger) |`,
    `| processor drained after the load, seconds | ${all((f) => f.drainedAfterS, one)} |`,
    `| end-to-end events/s over the whole run | ${all((f) => f.endToEndEventsPerSecond, one)} |`,
    `| peak memory of the Node.js process, RSS / heap used (MiB) | ${all(peak('rssMiB'), int)} / ${all(peak('heapUsedMiB'), int)} |`,
    '',
    `<details><summary>Memory samples of the latest run (every 5 s)</summary>`,
    '',
    '| s | RSS MiB | heap used MiB |',
    '| --- | --- | --- |',
    ...samples.map((m) => `| ${m.atS} | ${m.rssMiB} | ${m.heapUsedMiB} |`),
    '',
    '</details>',
  ].join('\n');
}
