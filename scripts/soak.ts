/**
 * `npm run soak`: a steady load on the local stack (moto, the local API in front of the real verifier,
 * the poller in front of the real processor), with autocannon on 127.0.0.1 only, bounded in time.
 *
 * Every request is a distinct, freshly signed FPT event (autocannon's setupRequest). After the load,
 * the run waits (bounded) for the processor to drain, then checks that every accepted eventId is
 * PROCESSED in the ledger. It reports throughput, latency percentiles and this process's memory
 * (RSS and heap, sampled every few seconds), and keeps them as a run record in reliability/results/,
 * from which docs/reliability.md's soak blocks are rendered (tools/generated-docs.ts).
 *
 * Options: --rate N (requests/s, default 20), --duration S (default 60), --connections N (default 50;
 * each connection waits for its answer, so rate / connections must stay under 1 / latency),
 * --drain-timeout S (default 600), --pollers N (default 4), --no-write (print only, no record), --note TEXT,
 * --emulator-port N, --section NAME (the record's kind and the block of docs/reliability.md it feeds:
 * `soak`, the default, or `soak-overload`).
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import autocannon from 'autocannon';
import { defaultHandler, handlers } from '../lambda/handlers';
import { composeProcessor } from '../lambda/processor/composition';
import { EVENT_STATUS } from '../lambda/shared/ledger-schema';
import { applyEnvironment, localAwsEnvironment, localClientConfig } from '../local/aws';
import { findFreePort, PROJECT_ROOT, startEmulator } from '../local/emulator';
import { LogCapture } from '../local/log-capture';
import { type Poller, type ProcessorLikeHandler, startPoller } from '../local/poller';
import { loadReceiverConfig } from '../local/provision';
import { generateSigningSecret, runLocalStack } from '../local/stack';
import { envelopeBody, newEventId } from '../local/testkit/envelopes';
import { fptSignatureHeader } from '../local/testkit/signer';
import { sleep } from '../local/testkit/wait';
import { renderDocBlocks } from '../tools/doc-blocks';
import { DOC_BLOCKS } from '../tools/generated-docs';
import { currentCommit, newRunRecord, withoutOption, writeRunRecord } from '../tools/run-record';
import { renderSoak, type SoakFigures } from '../tools/soak-report';

const RECORDS_DIR = path.join(PROJECT_ROOT, 'reliability', 'results');
const mib = (bytes: number) => Math.round(bytes / 2 ** 20);

function number(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new Error(`--${name} must be a number > 0, but "${value}" was provided`);
  return parsed;
}

const EVENT_TYPES = [
  'contact.created',
  'contact.updated',
  'contact.status_changed',
  'contact.sub_group_changed',
] as const;

interface MemorySample {
  readonly atS: number;
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      'drain-timeout': { type: 'string' },
      pollers: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      'emulator-port': { type: 'string' },
      section: { type: 'string', default: 'soak' },
      note: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'Usage: npm run soak -- [--rate 20] [--duration 60] [--connections 50] [--drain-timeout 600] [--pollers 4]\n' +
        '         [--no-write] [--section soak|soak-overload] [--note TEXT] [--emulator-port N]\n',
    );
    return;
  }
  const rate = number(values.rate, 'rate', 20);
  const durationS = number(values.duration, 'duration', 60);
  const connections = number(values.connections, 'connections', 50);
  const drainTimeoutS = number(values['drain-timeout'], 'drain-timeout', 600);
  const pollerCount = number(values.pollers, 'pollers', 4);
  const say = (line: string) => process.stderr.write(`${line}\n`);

  const port =
    values['emulator-port'] === undefined
      ? await findFreePort()
      : number(values['emulator-port'], 'emulator-port', 0);
  const emulator = await startEmulator({ port });
  applyEnvironment(localAwsEnvironment(emulator.url));
  // The handlers log JSON lines for every delivery: captured per invocation and dropped, as `npm start` does.
  const capture = new LogCapture(false);
  capture.install();
  const startedAt = new Date();
  const commit = currentCommit(PROJECT_ROOT);
  const namespace = `soak-${randomBytes(3).toString('hex')}`;
  const secret = generateSigningSecret();
  const extraPollers: Poller[] = [];
  const quiet =
    <A extends unknown[], R>(handler: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const result = await capture.run(() => handler(...args));
      if (result.error !== undefined) throw result.error;
      return result.value as R;
    };
  const running = await runLocalStack({
    endpoint: emulator.url,
    config: loadReceiverConfig(),
    namespace,
    serverPort: 0,
    secrets: { default: secret },
    visibilityTimeoutSeconds: 10,
    waitTimeSeconds: 1,
    wrap: { verifier: quiet, processor: quiet },
    onPollError: () => {},
  });
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(emulator.url)));
  const sqs = new SQSClient(localClientConfig(emulator.url));
  try {
    // The deployed processor scales out; the local stack has one poller. Add some, with the same handler.
    // Built by the processor's composition root from the stack's Lambda variables, as deployed.
    const processor: ProcessorLikeHandler = composeProcessor({ handlers, defaultHandler });
    for (let i = 1; i < pollerCount; i++) {
      extraPollers.push(
        startPoller({
          sqs,
          queueUrl: running.stack.queueUrl,
          queueArn: running.stack.queueArn,
          handler: quiet(processor),
          batchSize: running.stack.spec.eventSource.batchSize,
          batchingWindowSeconds: running.stack.spec.eventSource.maxBatchingWindowSeconds,
          timeoutSeconds: running.stack.spec.processorTimeoutSeconds,
          waitTimeSeconds: 1,
          visibilityTimeoutSeconds: 10,
          onError: () => {},
        }),
      );
    }
    say(
      `emulator ${emulator.url}; local API ${running.server.url}; ${rate}/s for ${durationS} s over ${connections} connections; ${pollerCount} pollers`,
    );

    const sent: string[] = [];
    const answered = new Set<string>();
    const accepted = new Set<string>();
    const statusCounts: Record<string, number> = {};
    const memory: MemorySample[] = [];
    const t0 = Date.now();
    const sample = () => {
      const usage = process.memoryUsage();
      memory.push({
        atS: Math.round((Date.now() - t0) / 1000),
        rssMiB: mib(usage.rss),
        heapUsedMiB: mib(usage.heapUsed),
      });
    };
    sample();
    const sampler = setInterval(sample, 5000);

    const result = await autocannon({
      url: running.webhookUrl('default'),
      connections,
      overallRate: rate,
      duration: durationS,
      // Bounded also by count: the rate times the duration, plus a little.
      maxOverallRequests: Math.ceil(rate * durationS * 1.05),
      timeout: 30,
      requests: [
        {
          method: 'POST',
          setupRequest: (request, context) => {
            const eventId = newEventId();
            const body = envelopeBody(EVENT_TYPES[sent.length % EVENT_TYPES.length] as string, {
              eventId,
              locationId: 1 + (sent.length % 7),
              contactId: 1 + (sent.length % 1000),
            });
            sent.push(eventId);
            (context as { eventId?: string }).eventId = eventId;
            return {
              ...request,
              method: 'POST',
              body,
              headers: {
                'content-type': 'application/json',
                'x-fpt-signature': fptSignatureHeader(secret, body),
              },
            };
          },
          onResponse: (status, _body, context) => {
            statusCounts[status] = (statusCounts[status] ?? 0) + 1;
            const eventId = (context as { eventId?: string }).eventId;
            if (eventId !== undefined) answered.add(eventId);
            if (status >= 200 && status < 300 && eventId !== undefined) accepted.add(eventId);
          },
        },
      ],
    });
    const loadEndedS = (Date.now() - t0) / 1000;
    say(
      `load done: ${sent.length} sent, ${result['2xx']} 2xx, ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
    );

    // Drain: poll the ledger until every accepted eventId is PROCESSED, or the bound is reached.
    const pending = new Set(accepted);
    const drainDeadline = Date.now() + drainTimeoutS * 1000;
    let lastProcessedAtS = loadEndedS;
    while (pending.size > 0 && Date.now() < drainDeadline) {
      const ids = [...pending];
      for (let i = 0; i < ids.length; i += 100) {
        const keys = ids.slice(i, i + 100).map((pk) => ({ pk }));
        const out = await documents.send(
          new BatchGetCommand({
            RequestItems: { [running.stack.tableName]: { Keys: keys, ConsistentRead: true } },
          }),
        );
        for (const row of out.Responses?.[running.stack.tableName] ?? []) {
          if (row.status === EVENT_STATUS.processed) pending.delete(row.pk as string);
        }
      }
      if (pending.size === 0) lastProcessedAtS = (Date.now() - t0) / 1000;
      else await sleep(2000);
    }
    clearInterval(sampler);
    sample();
    const lost = pending.size;
    // Requests still in flight when autocannon stopped have no recorded answer (FPT would retry them):
    // see whether the verifier accepted them anyway.
    const unanswered = sent.filter((id) => !answered.has(id));
    let unansweredProcessed = 0;
    for (let i = 0; i < unanswered.length; i += 100) {
      const keys = unanswered.slice(i, i + 100).map((pk) => ({ pk }));
      const out = await documents.send(
        new BatchGetCommand({
          RequestItems: { [running.stack.tableName]: { Keys: keys, ConsistentRead: true } },
        }),
      );
      unansweredProcessed += (out.Responses?.[running.stack.tableName] ?? []).filter(
        (row) => row.status === EVENT_STATUS.processed,
      ).length;
    }
    say(`drain done: ${accepted.size - lost} of ${accepted.size} accepted events PROCESSED, ${lost} not`);

    const latency = result.latency;
    const drained = lost === 0;
    const figures: SoakFigures = {
      rate,
      durationS,
      connections,
      pollers: pollerCount,
      sent: sent.length,
      answered2xx: result['2xx'],
      statusCounts,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      unanswered: unanswered.length,
      unansweredProcessed,
      requestsPerSecondAverage: result.requests.average,
      acceptedPerSecond: result['2xx'] / result.duration,
      loadDurationS: result.duration,
      latencyMs: {
        p50: latency.p50,
        p90: latency.p90,
        p99: latency.p99,
        max: latency.max,
        average: latency.average,
      },
      accepted: accepted.size,
      lost,
      ...(drained
        ? {
            drainedAfterS: lastProcessedAtS - loadEndedS,
            endToEndEventsPerSecond: accepted.size / lastProcessedAtS,
          }
        : {}),
      drainTimeoutS,
      memory,
    };
    const kind = values.section ?? 'soak';
    const argv = withoutOption(process.argv.slice(2), 'note').join(' ');
    const record = newRunRecord(PROJECT_ROOT, {
      kind,
      command: `npm run soak${argv ? ` -- ${argv}` : ''}`,
      startedAt,
      commit,
      ...(values.note === undefined ? {} : { note: values.note }),
      figures,
    });
    process.stdout.write(`${renderSoak([record])}\n`);
    if (values['no-write'] !== true) {
      const file = writeRunRecord(RECORDS_DIR, record);
      say(`wrote ${path.relative(PROJECT_ROOT, file)}`);
      for (const doc of renderDocBlocks(PROJECT_ROOT, kind, DOC_BLOCKS)) say(`rendered ${doc}`);
    }
    if (lost > 0) process.exitCode = 1;
  } finally {
    await Promise.all(extraPollers.map((p) => p.stop()));
    await running.stop();
    documents.destroy();
    sqs.destroy();
    capture.uninstall();
    await emulator.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
