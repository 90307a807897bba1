/**
 * `npm run burst`: a bounded burst of signed FPT events through the local stack, to check the numbers in
 * docs/capacity.md against our own code.
 *
 * It starts its own moto server on a free port of 127.0.0.1 (local/emulator.ts), provisions a fresh,
 * namespaced local stack (local/stack.ts: the real verifier behind the local API, the real processor behind
 * local SQS pollers), sends `--events` distinct events `--concurrency` at a time, waits until every event
 * is PROCESSED, and reports:
 *
 * - accepted/s: events answered 2xx per second of the send phase (first request to last response);
 * - client latency p50/p99/max of the POSTs, and the verifier handler's own duration p50/p99;
 * - time to drain: from the first request to the last event PROCESSED, and from the last 2xx to it;
 * - zero loss: every event answered 202, its ledger row is PROCESSED, its handler ran exactly once, the
 *   work queue and the DLQ are empty;
 * - batches: how many processor invocations, mean records per batch, batch duration p50/p99;
 * - log bytes per event written by the handlers (Powertools JSON lines and EMF), re-serialised;
 * - how many of the requests API Gateway's default stage throttle (50 rps, burst 100) would have
 *   answered 429, replayed as a token bucket over the measured request start times.
 *
 * Everything is on 127.0.0.1, the event count is fixed, every wait has a deadline, and the whole run
 * stops itself after `--timeout-seconds` (default 120), stopping the emulator it started.
 *
 * What it measures is our code's overhead and correctness under a burst on one machine against a
 * single-process Python emulator, not AWS's limits: see docs/capacity.md.
 *
 * With --record the result is kept as a run record (bench/results/burst-*.json) and docs/capacity.md's
 * burst block is rendered from every record (tools/burst-report.ts).
 *
 * Usage: npm run burst -- [--events 500] [--concurrency 50] [--pollers 5] [--timeout-seconds 120] [--json]
 *        [--record] [--note TEXT]
 */
import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { loadavg } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { getDocumentClient, getSecretsClient, getSqsClient } from '../lambda/shared/clients';
import { EVENT_STATUS, MESSAGE_ATTRIBUTES } from '../lambda/shared/ledger-schema';
import { DEFAULT_CONFIG } from '../lib/config';
import { applyEnvironment, localAwsEnvironment, localClientConfig } from '../local/aws';
import { type Emulator, findFreePort, PROJECT_ROOT, startEmulator } from '../local/emulator';
import { LogCapture, type LogRecord } from '../local/log-capture';
import type { BatchResult, ProcessorLikeHandler } from '../local/poller';
import { loadReceiverConfig } from '../local/provision';
import { generateSigningSecret, type RunningLocalStack, runLocalStack } from '../local/stack';
import { envelopeBody, newEventId } from '../local/testkit/envelopes';
import { MAX_POLLERS } from '../local/testkit/pollers';
import { queueDepth } from '../local/testkit/queue-depth';
import { postSignedEvent } from '../local/testkit/signed-post';
import { sleep, waitUntilProcessed } from '../local/testkit/wait';
import { pool } from '../local/testkit/workload';
import type { BurstResult } from '../tools/burst-report';
import { renderDocBlocks } from '../tools/doc-blocks';
import { DOC_BLOCKS } from '../tools/generated-docs';
import { currentCommit, newRunRecord, withoutOption, writeRunRecord } from '../tools/run-record';

const HELP = `Usage: npm run burst -- [options]

Sends a bounded burst of signed FPT events through the local stack (moto on 127.0.0.1) and reports
accepted/s, latency, time to drain and whether anything was lost. See docs/capacity.md.

Options:
  --events N            events in the burst (default 500, at most 5000)
  --concurrency N       requests in flight (default 50, at most 200)
  --pollers N           concurrent processor pollers, like Lambda's SQS event source (default 5, at most ${MAX_POLLERS})
  --timeout-seconds N   hard limit on the whole run (default 120, at most 600)
  --json                print the result as one JSON object
  --record              keep the result as a run record (bench/results/burst-*.json) and render
                        docs/capacity.md's burst block from every record
  --note TEXT           a note kept in the record (e.g. why the run is small)
  --help                show this help
`;

interface Options {
  readonly events: number;
  readonly concurrency: number;
  readonly pollers: number;
  readonly timeoutSeconds: number;
  readonly json: boolean;
  readonly record: boolean;
  readonly note?: string;
}

function parseOptions(): Options | undefined {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '500' },
      concurrency: { type: 'string', default: '50' },
      pollers: { type: 'string', default: '5' },
      'timeout-seconds': { type: 'string', default: '120' },
      json: { type: 'boolean', default: false },
      record: { type: 'boolean', default: false },
      note: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return undefined;
  }
  const int = (name: string, raw: string, min: number, max: number): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`--${name} must be a whole number from ${min} to ${max}, but "${raw}" was provided`);
    }
    return value;
  };
  return {
    events: int('events', values.events, 1, 5000),
    concurrency: int('concurrency', values.concurrency, 1, 200),
    pollers: int('pollers', values.pollers, 1, MAX_POLLERS),
    timeoutSeconds: int('timeout-seconds', values['timeout-seconds'], 10, 600),
    json: values.json === true,
    record: values.record === true,
    ...(values.note === undefined ? {} : { note: values.note }),
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

function summary(values: readonly number[]): { p50: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN };
}

/**
 * How many requests a token bucket of `rate` tokens/s holding at most `burst` tokens (API Gateway's stage
 * throttle model) would reject, for requests starting at `startsMs`.
 */
export function tokenBucketRejections(startsMs: readonly number[], rate: number, burst: number): number {
  const sorted = [...startsMs].sort((a, b) => a - b);
  let tokens = burst;
  let last = sorted[0] ?? 0;
  let rejected = 0;
  for (const at of sorted) {
    tokens = Math.min(burst, tokens + ((at - last) / 1000) * rate);
    last = at;
    if (tokens >= 1) tokens -= 1;
    else rejected++;
  }
  return rejected;
}

/** A distinct, valid FPT event (its own eventId and contactId, a timestamp of now), as FPT sends it. */
function eventBody(index: number): { eventId: string; body: string } {
  const eventId = newEventId();
  return {
    eventId,
    body: envelopeBody('contact.sub_group_changed', { eventId, contactId: 100_000 + index }),
  };
}

const logBytes = (logs: readonly LogRecord[]) =>
  logs.reduce((sum, record) => sum + Buffer.byteLength(JSON.stringify(record)) + 1, 0);

async function runBurst(options: Options, emulator: Emulator, log: (line: string) => void) {
  applyEnvironment(localAwsEnvironment(emulator.url));
  const config = loadReceiverConfig();
  const secret = generateSigningSecret();
  const capture = new LogCapture(false);
  capture.install();

  const verifierDurations: number[] = [];
  let verifierBytes = 0;
  let processorBytes = 0;
  let measuring = false;
  const processed = new Map<string, number>();
  let lastProcessedAt = 0;
  let batches = 0;
  let batchRecords = 0;
  const batchDurations: number[] = [];
  let pollErrors = 0;

  const onBatch = (batch: BatchResult) => {
    for (const record of batch.records) {
      if (batch.failedMessageIds.has(record.messageId)) continue;
      const eventId = record.messageAttributes[MESSAGE_ATTRIBUTES.eventId]?.stringValue;
      if (eventId === undefined) continue;
      processed.set(eventId, (processed.get(eventId) ?? 0) + 1);
      lastProcessedAt = batch.endedAt;
    }
    if (measuring) {
      batches++;
      batchRecords += batch.records.length;
      batchDurations.push(batch.endedAt - batch.startedAt);
    }
  };

  let running: RunningLocalStack | undefined;
  const sqs = new SQSClient(localClientConfig(emulator.url));
  try {
    running = await runLocalStack({
      endpoint: emulator.url,
      config,
      namespace: `burst-${randomBytes(3).toString('hex')}`,
      serverPort: 0,
      secrets: Object.fromEntries(config.subscriptions.map((s) => [s.name, secret])),
      waitTimeSeconds: 1,
      pollers: options.pollers,
      wrap: {
        verifier: (handler) => async (event, context) => {
          const started = Date.now();
          const result = await capture.run(() => handler(event, context));
          if (measuring) {
            verifierDurations.push(Date.now() - started);
            verifierBytes += logBytes(result.logs);
          }
          if (result.error !== undefined) throw result.error;
          return result.value as NonNullable<typeof result.value>;
        },
        processor: (handler) => {
          const wrapped: ProcessorLikeHandler = async (event, context) => {
            const result = await capture.run(() => handler(event, context));
            if (measuring) processorBytes += logBytes(result.logs);
            if (result.error !== undefined) throw result.error;
            return result.value as SQSBatchResponse;
          };
          return wrapped;
        },
      },
      onBatch,
      onPollError: () => {
        pollErrors++;
      },
    });
    const stack = running.stack;
    log(
      `stack ${stack.tableName}, ${options.pollers} poller(s), batch size ${stack.spec.eventSource.batchSize}`,
    );

    const url = new URL(running.webhookUrl(config.subscriptions[0]?.name ?? 'default'));
    const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
    const depth = (queueUrl: string) => queueDepth(sqs, queueUrl);
    const waitProcessed = (ids: readonly string[], deadline: number) =>
      waitUntilProcessed(ids, (id) => processed.has(id), { deadline, intervalMs: 20 });

    // Warm-up outside the measurement: the secret fetch, connections, JIT.
    const warm = Array.from({ length: 20 }, (_, i) => eventBody(options.events + i));
    await pool(warm.length, Math.min(10, options.concurrency), async (i) => {
      await postSignedEvent(url, agent, secret, (warm[i] as { body: string }).body).catch(() => 0);
    });
    await waitProcessed(
      warm.map((w) => w.eventId),
      Date.now() + 15_000,
    );

    const events = Array.from({ length: options.events }, (_, i) => eventBody(i));
    const statuses: number[] = new Array(options.events).fill(0);
    const latencies: number[] = new Array(options.events).fill(0);
    const starts: number[] = new Array(options.events).fill(0);
    let maxDepth = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        maxDepth = Math.max(maxDepth, await depth(stack.queueUrl).catch(() => 0));
        await sleep(250);
      }
    })();

    const loadAtStart = loadavg()[0] ?? Number.NaN;
    measuring = true;
    const start = Date.now();
    let lastAcceptedAt = start;
    await pool(options.events, options.concurrency, async (i) => {
      const sent = Date.now();
      starts[i] = sent;
      const status = await postSignedEvent(url, agent, secret, (events[i] as { body: string }).body).catch(
        () => 0,
      );
      const done = Date.now();
      statuses[i] = status;
      latencies[i] = done - sent;
      if (status >= 200 && status < 300) lastAcceptedAt = Math.max(lastAcceptedAt, done);
    });
    const sendEnd = Date.now();
    log(`${options.events} events sent in ${sendEnd - start} ms; waiting for the processor`);
    const ids = events.map((e) => e.eventId);
    await waitProcessed(ids, start + options.timeoutSeconds * 1000 - 20_000);
    const drainedAt = ids.every((id) => processed.has(id)) ? lastProcessedAt : Number.NaN;
    sampling = false;
    await sampler;
    measuring = false;
    agent.destroy();

    // A late redelivery would show up within a poll or two.
    await sleep(1500);
    // Zero loss: 202, PROCESSED in the ledger, processing started once (the ledger's attempt counter, so
    // the handler ran once), nothing left in either queue.
    let lost = 0;
    let handlerRanTwice = 0;
    await pool(ids.length, 20, async (i) => {
      const row = await running?.readRow(ids[i] as string);
      if (statuses[i] !== 202 || row?.status !== EVENT_STATUS.processed) lost++;
      if ((row?.attempts ?? 0) > 1) handlerRanTwice++;
    });
    // SQS is at-least-once: a message received again after success is skipped by the ledger.
    const redelivered = ids.filter((id) => (processed.get(id) ?? 0) > 1).length;
    const queueLeft = await depth(stack.queueUrl);
    const dlqLeft = await depth(stack.deadLetterQueueUrl);

    const statusCounts: Record<string, number> = {};
    for (const status of statuses) statusCounts[String(status)] = (statusCounts[String(status)] ?? 0) + 1;
    const accepted = statuses.filter((s) => s >= 200 && s < 300).length;
    const result: BurstResult = {
      events: options.events,
      concurrency: options.concurrency,
      pollers: options.pollers,
      batchSize: stack.spec.eventSource.batchSize,
      sendPhaseMs: sendEnd - start,
      acceptedPerSecond: accepted / ((sendEnd - start) / 1000),
      statusCounts,
      clientLatencyMs: summary(latencies),
      verifierDurationMs: summary(verifierDurations),
      drainFromFirstRequestMs: drainedAt - start,
      drainAfterLastAcceptMs: drainedAt - lastAcceptedAt,
      processedPerSecond: options.events / ((drainedAt - start) / 1000),
      maxQueueDepth: maxDepth,
      batches,
      meanRecordsPerBatch: batches > 0 ? batchRecords / batches : 0,
      batchDurationMs: summary(batchDurations),
      verifierLogBytesPerEvent: verifierBytes / options.events,
      processorLogBytesPerEvent: processorBytes / options.events,
      defaultStageThrottle429s: tokenBucketRejections(
        starts,
        DEFAULT_CONFIG.throttlingRateLimit,
        DEFAULT_CONFIG.throttlingBurstLimit,
      ),
      lost,
      handlerRanTwice,
      redeliveredAndSkipped: redelivered,
      loadAverage1m: loadAtStart,
      queueLeft,
      dlqLeft,
      zeroLoss: lost === 0 && handlerRanTwice === 0 && queueLeft === 0 && dlqLeft === 0,
    };
    if (pollErrors > 0) log(`${pollErrors} poll error(s), retried`);
    return result;
  } finally {
    await running?.stop().catch(() => {});
    sqs.destroy();
    // The handlers' shared clients keep sockets open; nothing uses them once the stack has stopped.
    getDocumentClient().destroy();
    getSqsClient().destroy();
    getSecretsClient().destroy();
    capture.uninstall();
  }
}

function report(r: BurstResult): string {
  const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v)} ms` : 'n/a');
  const trio = (s: { p50: number; p99: number; max: number }) =>
    `p50 ${ms(s.p50)}, p99 ${ms(s.p99)}, max ${ms(s.max)}`;
  const statuses = Object.entries(r.statusCounts)
    .map(([status, n]) => `${status === '0' ? 'failed' : status} x${n}`)
    .join(', ');
  return [
    `burst: ${r.events} events, ${r.concurrency} in flight, ${r.pollers} poller(s), batch size ${r.batchSize}`,
    `  accepted        ${r.acceptedPerSecond.toFixed(1)}/s (send phase ${ms(r.sendPhaseMs)}; ${statuses})`,
    `  client latency  ${trio(r.clientLatencyMs)}`,
    `  verifier        ${trio(r.verifierDurationMs)} (handler duration)`,
    `  drained         ${ms(r.drainFromFirstRequestMs)} after the first request, ${ms(r.drainAfterLastAcceptMs)} after the last 2xx (${r.processedPerSecond.toFixed(1)} processed/s, max queue depth ${r.maxQueueDepth})`,
    `  batches         ${r.batches}, ${r.meanRecordsPerBatch.toFixed(1)} records each on average, ${trio(r.batchDurationMs)}`,
    `  log bytes/event verifier ${Math.round(r.verifierLogBytesPerEvent)}, processor ${Math.round(r.processorLogBytesPerEvent)} (handler JSON lines, without Lambda's START/END/REPORT)`,
    `  default stage   ${r.defaultStageThrottle429s} of ${r.events} requests would get 429 from ${DEFAULT_CONFIG.throttlingRateLimit} rps / burst ${DEFAULT_CONFIG.throttlingBurstLimit} (FPT retries them)`,
    `  zero loss       ${r.zeroLoss ? 'yes' : 'NO'} (lost ${r.lost}, handler ran twice ${r.handlerRanTwice}, left in queue ${r.queueLeft}, in DLQ ${r.dlqLeft}; ${r.redeliveredAndSkipped} redelivered by SQS and skipped by the ledger)`,
    `  machine         load average ${r.loadAverage1m.toFixed(2)} at the start of the burst`,
  ].join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions();
  if (options === undefined) return;
  const log = (line: string) => process.stderr.write(`burst: ${line}\n`);
  let emulator: Emulator | undefined;
  const hardStop = setTimeout(() => {
    log(`hard timeout of ${options.timeoutSeconds} s reached; stopping`);
    const exit = () => process.exit(2);
    setTimeout(exit, 5000).unref();
    void (emulator?.stop() ?? Promise.resolve()).finally(exit);
  }, options.timeoutSeconds * 1000);
  hardStop.unref();
  try {
    const startedAt = new Date();
    const commit = currentCommit(PROJECT_ROOT);
    emulator = await startEmulator({ port: await findFreePort(), startTimeoutMs: 60_000 });
    log(`emulator ${emulator.url}`);
    const result = await runBurst(options, emulator, log);
    process.stdout.write(`${options.json ? JSON.stringify(result) : report(result)}\n`);
    if (options.record) {
      const args = withoutOption(process.argv.slice(2), 'note');
      const record = newRunRecord(PROJECT_ROOT, {
        kind: 'burst',
        command: `npm run burst -- ${args.join(' ')}`,
        startedAt,
        commit,
        ...(options.note === undefined ? {} : { note: options.note }),
        figures: result,
      });
      log(
        `wrote ${path.relative(PROJECT_ROOT, writeRunRecord(path.join(PROJECT_ROOT, 'bench', 'results'), record))}`,
      );
      for (const doc of renderDocBlocks(PROJECT_ROOT, 'burst', DOC_BLOCKS)) log(`rendered ${doc}`);
    }
    process.exitCode = result.zeroLoss ? 0 : 1;
  } finally {
    clearTimeout(hardStop);
    await emulator?.stop();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`burst: ${(error as Error).message ?? String(error)}\n`);
    process.exit(1);
  });
}
