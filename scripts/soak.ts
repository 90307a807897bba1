/**
 * `npm run soak`: a steady load on the local stack (moto, the local API in front of the real verifier,
 * the poller in front of the real processor), with autocannon on 127.0.0.1 only, bounded in time.
 *
 * Every request is a distinct, freshly signed FPT event (autocannon's setupRequest). After the load,
 * the run waits (bounded) for the processor to drain, then checks that every accepted eventId is
 * PROCESSED in the ledger. It reports throughput, latency percentiles and this process's memory
 * (RSS and heap, sampled every few seconds), and writes them to docs/reliability.md.
 *
 * Options: --rate N (requests/s, default 20), --duration S (default 60), --connections N (default 50;
 * each connection waits for its answer, so rate / connections must stay under 1 / latency),
 * --drain-timeout S (default 600), --pollers N (default 4), --no-write, --emulator-port N, --section NAME
 * (the generated section of docs/reliability.md to replace, default `soak`).
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
import { describeMachine, updateMarkdownSection } from '../tools/run-record';

const DOC = path.join(PROJECT_ROOT, 'docs', 'reliability.md');
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
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'Usage: npm run soak -- [--rate 20] [--duration 60] [--connections 50] [--drain-timeout 600] [--pollers 4]\n' +
        '         [--no-write] [--section soak] [--emulator-port N]\n',
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
    const peakRss = Math.max(...memory.map((m) => m.rssMiB));
    const peakHeap = Math.max(...memory.map((m) => m.heapUsedMiB));
    const first = memory[0] as MemorySample;
    const last = memory.at(-1) as MemorySample;
    const statusLine = Object.entries(statusCounts)
      .sort()
      .map(([s, c]) => `${s}: ${c}`)
      .join(', ');
    const memoryRows = memory
      .filter((_, i) => i % Math.max(1, Math.ceil(memory.length / 16)) === 0 || i === memory.length - 1)
      .map((m) => `| ${m.atS} | ${m.rssMiB} | ${m.heapUsedMiB} |`);
    const markdown = [
      '| figure | value |',
      '| --- | --- |',
      `| offered rate / duration / connections | ${rate} req/s for ${durationS} s over ${connections} connections |`,
      `| distinct events sent / answered 2xx | ${sent.length} / ${result['2xx']} (${statusLine || 'none'}) |`,
      `| non-2xx / errors / timeouts | ${result.non2xx} / ${result.errors} / ${result.timeouts} |`,
      `| in flight when the load stopped (no answer recorded) | ${unanswered.length}, of which PROCESSED anyway: ${unansweredProcessed} (FPT would retry the rest) |`,
      `| achieved throughput (verifier) | ${result.requests.average.toFixed(1)} req/s average, ${(result['2xx'] / result.duration).toFixed(1)} accepted/s over ${result.duration.toFixed(1)} s |`,
      `| latency p50 / p90 / p99 / max | ${latency.p50} / ${latency.p90} / ${latency.p99} / ${latency.max} ms (average ${latency.average.toFixed(1)} ms) |`,
      `| **accepted events lost** | **${lost}** of ${accepted.size} (every accepted eventId checked in the ledger) |`,
      `| processor drained | ${lost === 0 ? `${(lastProcessedAtS - loadEndedS).toFixed(1)} s after the load ended (end-to-end ${(accepted.size / lastProcessedAtS).toFixed(1)} events/s over the whole run)` : `not within ${drainTimeoutS} s`} |`,
      `| memory of the Node.js process (RSS / heap used) | start ${first.rssMiB} / ${first.heapUsedMiB} MiB, end ${last.rssMiB} / ${last.heapUsedMiB} MiB, peak ${peakRss} / ${peakHeap} MiB |`,
      '',
      '<details><summary>Memory samples (every 5 s)</summary>',
      '',
      '| s | RSS MiB | heap used MiB |',
      '| --- | --- | --- |',
      ...memoryRows,
      '',
      '</details>',
    ].join('\n');
    process.stdout.write(`${markdown}\n`);
    if (values['no-write'] !== true) {
      const argv = process.argv.slice(2).join(' ');
      updateMarkdownSection(
        DOC,
        values.section ?? 'soak',
        [
          `### Soak at ${rate} requests/s: latest run (${lost === 0 ? 'no loss' : '**LOSS**'})`,
          '',
          `Command: \`npm run soak${argv ? ` -- ${argv}` : ''}\`. Run on ${startedAt.toISOString().slice(0, 10)} at ` +
            `${startedAt.toISOString().slice(11, 16)} UTC, on ${describeMachine(PROJECT_ROOT)}. Load generator, local API, ` +
            `verifier, pollers and processor share one Node.js process; moto runs in its own.`,
          '',
          markdown,
        ].join('\n'),
      );
      say(`wrote ${path.relative(PROJECT_ROOT, DOC)}`);
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
