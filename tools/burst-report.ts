/**
 * docs/capacity.md's burst block, from the committed records of `npm run burst -- --record`
 * (bench/results/burst-*.json): one row per burst shape (events, requests in flight), each figure over
 * every recorded run of that shape (a range when they disagree).
 */
import { describeRecord, figureRange, type RunRecord } from './run-record';

/** What one burst measured (scripts/burst.ts); NaN figures are stored as null. */
export interface BurstResult {
  readonly events: number;
  readonly concurrency: number;
  readonly pollers: number;
  readonly batchSize: number;
  readonly sendPhaseMs: number;
  readonly acceptedPerSecond: number;
  readonly statusCounts: Record<string, number>;
  readonly clientLatencyMs: { p50: number; p99: number; max: number };
  readonly verifierDurationMs: { p50: number; p99: number; max: number };
  readonly drainFromFirstRequestMs: number;
  readonly drainAfterLastAcceptMs: number;
  readonly processedPerSecond: number;
  readonly maxQueueDepth: number;
  readonly batches: number;
  readonly meanRecordsPerBatch: number;
  readonly batchDurationMs: { p50: number; p99: number; max: number };
  readonly verifierLogBytesPerEvent: number;
  readonly processorLogBytesPerEvent: number;
  readonly defaultStageThrottle429s: number;
  readonly lost: number;
  readonly handlerRanTwice: number;
  readonly redeliveredAndSkipped: number;
  readonly loadAverage1m: number;
  readonly queueLeft: number;
  readonly dlqLeft: number;
  readonly zeroLoss: boolean;
}

type BurstRecord = RunRecord<BurstResult>;

const ms = (v: number) => `${Math.round(v).toLocaleString('en-US')} ms`;
const seconds = (v: number) => `${(v / 1000).toFixed(1)} s`;
const one = (v: number) => v.toFixed(1);
const int = (v: number) => Math.round(v).toLocaleString('en-US');

export function renderBurst(records: readonly BurstRecord[]): string {
  if (records.length === 0) return 'No committed `npm run burst -- --record` record yet.';
  const shapes = new Map<string, BurstRecord[]>();
  for (const record of records) {
    const key = `${record.figures.events} events, ${record.figures.concurrency} in flight`;
    shapes.set(key, [...(shapes.get(key) ?? []), record]);
  }
  const rows = [...shapes.entries()]
    .sort(([, a], [, b]) => (b[0]?.figures.concurrency ?? 0) - (a[0]?.figures.concurrency ?? 0))
    .map(([shape, runs]) => {
      const f = (pick: (r: BurstResult) => number, format?: (v: number) => string) =>
        figureRange(
          runs.map((r) => pick(r.figures)),
          format,
        );
      return [
        `${shape}${runs.length > 1 ? ` (${runs.length} runs)` : ''}`,
        f((r) => r.acceptedPerSecond, one),
        `${f((r) => r.clientLatencyMs.p50, ms)} / ${f((r) => r.clientLatencyMs.p99, ms)}`,
        f((r) => r.drainFromFirstRequestMs, seconds),
        f((r) => r.processedPerSecond, one),
        f((r) => r.meanRecordsPerBatch, one),
        `${f((r) => r.verifierLogBytesPerEvent, int)} / ${f((r) => r.processorLogBytesPerEvent, int)}`,
        f((r) => r.defaultStageThrottle429s),
        f((r) => r.lost),
        f((r) => r.handlerRanTwice),
        f((r) => r.loadAverage1m, one),
      ];
    });
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const allClean = records.every((r) => r.figures.zeroLoss);
  return [
    `${records.length === 1 ? 'One run' : `${records.length} runs`}; ${allClean ? 'every run: all events answered 202, every ledger row `PROCESSED` with one attempt, work queue and DLQ empty' : '**a run lost events or ran a handler twice**'}:`,
    '',
    ...records.map((r) => `- ${describeRecord(r)}.`),
    '',
    line([
      'Run',
      'Accepted / s',
      'Client latency p50 / p99',
      'Drained after first request',
      'Processed / s',
      'Records per batch',
      'Log bytes / event (verifier / processor)',
      '429s from the default stage throttle',
      'Lost',
      'Handler ran twice',
      '1-min load at start',
    ]),
    line(['---', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:']),
    ...rows.map(line),
  ].join('\n');
}
