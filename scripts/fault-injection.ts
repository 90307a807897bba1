/**
 * `npm run reliability`: the full fault-injection run on the local emulator stack (10,000 events by
 * default), printed as markdown, judged by the one verdict (tools/fault-injection/verdict.ts: exit 1 on
 * any broken rule), and kept as a run record in reliability/results/ from which docs/reliability.md's
 * fault-injection block is rendered (tools/generated-docs.ts).
 * The scaled-down version runs in `npm test` (test/integration/fault-injection.test.ts).
 *
 * Options: --events N, --concurrency N, --duplicates RATE, --fault-rate RATE, --persistent RATE,
 * --seed N, --max-backlog N (hold new deliveries while the work queue is deeper), --no-window-faults,
 * --no-write (print only, no record), --note TEXT (kept in the record), --emulator-port N (reuse or
 * start moto there).
 * Network: 127.0.0.1 only (the emulator on a free port). Every wait is bounded; the run ends by itself.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { findFreePort, PROJECT_ROOT, startEmulator } from '../local/emulator';
import { renderDocBlocks } from '../tools/doc-blocks';
import {
  type FaultInjectionOptions,
  formatReport,
  judgeRun,
  runFaultInjection,
} from '../tools/fault-injection';
import { DOC_BLOCKS } from '../tools/generated-docs';
import { currentCommit, newRunRecord, withoutOption, writeRunRecord } from '../tools/run-record';

const RECORDS_DIR = path.join(PROJECT_ROOT, 'reliability', 'results');

/** The full run's timing: leases and deadlines in the proportions of production, compressed. */
export const FULL_RUN_TIMING: FaultInjectionOptions['timing'] = {
  verifierDeadlineMs: 8000,
  claimLeaseMs: 10_000,
  processorDeadlineMs: 20_000,
  processingLeaseMs: 25_000,
  visibilityTimeoutSeconds: 30,
  batchSize: 10,
  pollers: 8,
  secretTtlMs: 5000,
  retryBaseMs: 100,
  retryCapMs: 5000,
  retryMaxAttempts: 40,
};

function number(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0)
    throw new Error(`--${name} must be a number >= 0, but "${value}" was provided`);
  return parsed;
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const { values } = parseArgs({
    options: {
      events: { type: 'string' },
      concurrency: { type: 'string' },
      duplicates: { type: 'string' },
      'fault-rate': { type: 'string' },
      persistent: { type: 'string' },
      seed: { type: 'string' },
      'no-window-faults': { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      'emulator-port': { type: 'string' },
      'max-backlog': { type: 'string' },
      note: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'Usage: npm run reliability -- [--events 10000] [--concurrency 32] [--duplicates 0.3] [--fault-rate 0.01]\n' +
        '         [--persistent 0.005] [--seed N] [--max-backlog 200] [--no-window-faults] [--no-write] [--note TEXT]\n' +
        '         [--emulator-port N]\n',
    );
    return;
  }
  const options: Omit<FaultInjectionOptions, 'endpoint'> = {
    events: number(values.events, 'events', 10_000),
    concurrency: number(values.concurrency, 'concurrency', 32),
    duplicateRate: number(values.duplicates, 'duplicates', 0.3),
    faultRate: number(values['fault-rate'], 'fault-rate', 0.01),
    persistentFailureRate: number(values.persistent, 'persistent', 0.005),
    windowFaults: values['no-window-faults'] !== true,
    seed: number(values.seed, 'seed', Date.now() % 2 ** 31),
    maxReceiveCount: 5,
    timing: FULL_RUN_TIMING,
    drainTimeoutMs: 30 * 60_000,
    maxBacklog: number(values['max-backlog'], 'max-backlog', 200),
    onProgress: (line) => process.stderr.write(`${line}\n`),
  };
  const port =
    values['emulator-port'] === undefined
      ? await findFreePort()
      : number(values['emulator-port'], 'emulator-port', 0);
  const emulator = await startEmulator({ port });
  process.stderr.write(
    `emulator ${emulator.url} (${emulator.reused ? 'reused' : 'started'}); ${options.events} events, seed ${options.seed}\n`,
  );
  const startedAt = new Date();
  const commit = currentCommit(PROJECT_ROOT);
  try {
    const report = await runFaultInjection({ ...options, endpoint: emulator.url });
    const markdown = formatReport(report);
    process.stdout.write(`${markdown}\n`);
    const verdict = judgeRun(report);
    const ok = verdict.passed;
    process.stderr.write(
      `verdict: ${ok ? 'PASS' : 'FAIL'}; lost ${report.final.lost}, parked ${report.final.parkedRows}, ` +
        `doubles outside the window ${report.unexplainedDoubles}, ` +
        `doubles for transactional handlers ${report.transactional?.doubles ?? 'n/a'}, FPT gave up ${report.fpt.chainsGaveUp}, ` +
        `left in queue ${report.final.queueDepth} / DLQ ${report.dlq.depthAfter}\n` +
        verdict.failures.map((failure) => `  FAILED ${failure}\n`).join(''),
    );
    if (values['no-write'] !== true) {
      // The seed goes into the recorded command, so running it again draws the same faults.
      const args = withoutOption(withoutOption(process.argv.slice(2), 'seed'), 'note');
      const argv = [...args, '--seed', String(options.seed)].join(' ');
      const record = newRunRecord(PROJECT_ROOT, {
        kind: 'fault-injection',
        command: `npm run reliability -- ${argv}`,
        startedAt,
        commit,
        ...(values.note === undefined ? {} : { note: values.note }),
        figures: report,
      });
      const file = writeRunRecord(RECORDS_DIR, record);
      for (const doc of renderDocBlocks(PROJECT_ROOT, 'fault-injection', DOC_BLOCKS))
        process.stderr.write(`wrote ${path.relative(PROJECT_ROOT, file)}, rendered ${doc}\n`);
    }
    if (!ok) process.exitCode = 1;
  } finally {
    await emulator.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
