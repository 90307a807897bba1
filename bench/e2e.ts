/**
 * End-to-end throughput on the local emulator stack, against a bare emulator loop on the same emulator.
 *
 * - emulator_raw_ops_per_s: PutItem + SendMessage pairs (the two writes every accepted event needs at
 *   the least), `concurrency` at a time, `rawOps` pairs, straight to the emulator.
 * - e2e_events_per_s: signed FPT events POSTed, `concurrency` at a time and at most `window` not yet
 *   processed, to the local API in front of the real verifier handler, then processed by the real
 *   processor handler behind the local SQS poller(s); events / (last PROCESSED - first send). Every
 *   event must come back 202 and end PROCESSED in the ledger, with the DLQ empty: `e2e_lost_events`
 *   says how many did not.
 * - emulator_<call>_ops_per_s and e2e_modelled_ceiling_events_per_s: the rate of each single call the
 *   pipeline makes, and the e2e rate those allow for the calls one event costs; they explain the e2e
 *   figure.
 *
 * Uses local/emulator.ts, local/provision.ts and local/stack.ts (typed imports: a change there breaks
 * the type check of bench/, not the benchmark at run time) and the testkit in local/testkit/.
 * It runs in a child process (`node --import tsx bench/e2e.ts <result file>`): the stack points
 * process.env at the emulator and the handlers print their JSON logs to stdout, which goes nowhere.
 * Everything is on 127.0.0.1, counts are fixed and every wait has a deadline.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import * as path from 'node:path';
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { MESSAGE_ATTRIBUTES } from '../lambda/shared/ledger-schema';
import { localClientConfig } from '../local/aws';
import { findFreePort, startEmulator } from '../local/emulator';
import type { BatchResult } from '../local/poller';
import { loadReceiverConfig, provisionLocalStack } from '../local/provision';
import { type RunningLocalStack, runLocalStack } from '../local/stack';
import { envelopeBody } from '../local/testkit/envelopes';
import { queueDepth } from '../local/testkit/queue-depth';
import { postSignedEvent } from '../local/testkit/signed-post';
import { sleep, waitUntilProcessed } from '../local/testkit/wait';
import { pool } from '../local/testkit/workload';
import { BENCH_SECRET, benchEventId, smallEnvelope } from './payloads';

const ROOT = path.resolve(__dirname, '..');

export interface E2eOptions {
  /** Timed events sent through the stack. */
  readonly events: number;
  /** PutItem + SendMessage pairs of the raw loop. */
  readonly rawOps: number;
  /** Calls of each kind for the single-call rates. */
  readonly callOps: number;
  /** In-flight requests, for both loops. */
  readonly concurrency: number;
  /** Most events sent but not yet processed at any time (the e2e queue's depth bound). */
  readonly window: number;
  /**
   * Processor pollers. Lambda's SQS event source starts with five concurrent batches, so five is the
   * faithful local stand-in; the local stack itself starts one.
   */
  readonly pollers: number;
  /** Upper bound on the whole child run. */
  readonly timeoutMs: number;
}

export interface E2eResult {
  readonly emulator_raw_ops_per_s: number;
  /** Single-call rates on the same emulator (conditional PutItem, conditional UpdateItem, GetItem, SendMessage). */
  readonly emulator_putitem_ops_per_s: number;
  readonly emulator_updateitem_ops_per_s: number;
  readonly emulator_getitem_ops_per_s: number;
  readonly emulator_sendmessage_ops_per_s: number;
  /** The e2e rate the emulator allows for the calls an event costs (1 PutItem, 1 SendMessage, 4 UpdateItem, 1 GetItem). */
  readonly e2e_modelled_ceiling_events_per_s: number;
  readonly e2e_events_per_s: number;
  readonly e2e_events: number;
  readonly e2e_lost_events: number;
  readonly e2e_pollers: number;
}

export type E2eOutcome =
  | { readonly ok: true; readonly result: E2eResult }
  | { readonly ok: false; readonly skipped: string };

const log = (line: string) => process.stderr.write(`  e2e: ${line}\n`);

const clientConfig = localClientConfig;

/**
 * moto's SendMessage reads the queue's attributes, which counts every message in it: a send costs more
 * the deeper the queue (about 3x slower at 800 messages). The bare loops spread their messages over
 * queues of at most this many, so they measure the emulator, not that artefact. The e2e queue is drained
 * by the processor as it goes.
 */
const MESSAGES_PER_RAW_QUEUE = 100;

async function rawQueues(sqs: SQSClient, prefix: string, messages: number): Promise<string[]> {
  const urls: string[] = [];
  for (let i = 0; i < Math.ceil(messages / MESSAGES_PER_RAW_QUEUE); i++) {
    const out = await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-${i}` }));
    if (out.QueueUrl === undefined) throw new Error('the emulator returned no queue URL');
    urls.push(out.QueueUrl);
  }
  return urls;
}

/** The bare loop: PutItem + SendMessage pairs, straight to the emulator. */
async function rawLoop(
  endpoint: string,
  tableName: string,
  ops: number,
  concurrency: number,
): Promise<number> {
  const ddb = new DynamoDBClient(clientConfig(endpoint));
  const sqs = new SQSClient(clientConfig(endpoint));
  const body = smallEnvelope(benchEventId(0));
  const warmup = Math.min(50, ops);
  const queues = await rawQueues(sqs, 'fpt-webhooks-bench-raw', ops + warmup);
  const pair = async (index: number) => {
    await ddb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { pk: { S: `raw-${index}` }, status: { S: 'RECEIVED' }, receivedAt: { N: String(Date.now()) } },
      }),
    );
    const queueUrl = queues[Math.floor((index + warmup) / MESSAGES_PER_RAW_QUEUE)] as string;
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  };
  try {
    await pool(warmup, concurrency, (i) => pair(i - warmup)); // connections, JIT
    const start = process.hrtime.bigint();
    await pool(ops, concurrency, pair);
    return ops / (Number(process.hrtime.bigint() - start) / 1e9);
  } finally {
    ddb.destroy();
    sqs.destroy();
  }
}

/**
 * Rates of the single calls the pipeline makes, CONCURRENCY at a time, so the e2e figure can be
 * explained by how many emulator calls an event costs. Shaped like the ledger's own calls.
 */
async function callRates(
  endpoint: string,
  tableName: string,
  ops: number,
  concurrency: number,
): Promise<Record<'put' | 'update' | 'get' | 'send', number>> {
  const ddb = new DynamoDBClient(clientConfig(endpoint));
  const sqs = new SQSClient(clientConfig(endpoint));
  const body = smallEnvelope(benchEventId(0));
  const rate = async (task: (index: number) => Promise<unknown>) => {
    const start = process.hrtime.bigint();
    await pool(ops, concurrency, task);
    return ops / (Number(process.hrtime.bigint() - start) / 1e9);
  };
  const queues = await rawQueues(sqs, 'fpt-webhooks-bench-calls', ops);
  try {
    const put = await rate((i) =>
      ddb.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { pk: { S: `call-${i}` }, status: { S: 'RECEIVED' }, receivedAt: { N: String(Date.now()) } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    const update = await rate((i) =>
      ddb.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { pk: { S: `call-${i}` } },
          UpdateExpression: 'SET #status = :status, #at = :at',
          ConditionExpression: '#status = :received',
          ExpressionAttributeNames: { '#status': 'status', '#at': 'enqueuedAt' },
          ExpressionAttributeValues: {
            ':status': { S: 'ENQUEUED' },
            ':received': { S: 'RECEIVED' },
            ':at': { N: String(Date.now()) },
          },
        }),
      ),
    );
    const get = await rate((i) =>
      ddb.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { pk: { S: `call-${i}` } },
          ConsistentRead: true,
        }),
      ),
    );
    const send = await rate((i) =>
      sqs.send(
        new SendMessageCommand({
          QueueUrl: queues[Math.floor(i / MESSAGES_PER_RAW_QUEUE)] as string,
          MessageBody: body,
        }),
      ),
    );
    return { put, update, get, send };
  } finally {
    ddb.destroy();
    sqs.destroy();
  }
}

/** A distinct, valid event: its own eventId and contactId, a timestamp of now. */
function eventBody(index: number): string {
  return envelopeBody('contact.sub_group_changed', {
    eventId: benchEventId(index + 1),
    contactId: 100_000 + index,
  });
}

async function runChild(options: E2eOptions): Promise<E2eOutcome> {
  const port = await findFreePort();
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  try {
    emulator = await startEmulator({ port, startTimeoutMs: 60_000 });
  } catch (error) {
    return { ok: false, skipped: `the emulator did not start: ${(error as Error).message.split('\n')[0]}` };
  }
  log(`emulator on ${emulator.url}`);
  let running: RunningLocalStack | undefined;
  const sqs = new SQSClient(clientConfig(emulator.url));
  try {
    const config = loadReceiverConfig();

    const rawStack = await provisionLocalStack({
      endpoint: emulator.url,
      config,
      namespace: 'bench-raw',
    });
    const emulatorRaw = await rawLoop(emulator.url, rawStack.tableName, options.rawOps, options.concurrency);
    log(`raw PutItem + SendMessage: ${emulatorRaw.toFixed(1)} pairs/s`);
    const calls = await callRates(emulator.url, rawStack.tableName, options.callOps, options.concurrency);
    // Per event: verifier PutItem (claim) + SendMessage; processor UpdateItem (lease), UpdateItem
    // (ordering guard) and UpdateItem (processed). Receives and deletes (one per batch of 10) are left
    // out, so this is an upper bound.
    const ceiling = 1 / (1 / calls.put + 1 / calls.send + 3 / calls.update);
    log(
      `single calls/s: PutItem ${calls.put.toFixed(1)}, UpdateItem ${calls.update.toFixed(1)}, GetItem ${calls.get.toFixed(1)}, SendMessage ${calls.send.toFixed(1)}; modelled e2e ceiling ${ceiling.toFixed(1)} events/s`,
    );

    // Processed eventIds, from every poller's batches.
    const processed = new Set<string>();
    let timed = new Set<string>();
    let timedProcessed = 0;
    let lastProcessedAt = 0;
    let pollErrors = 0;
    const onBatch = (batch: BatchResult) => {
      for (const record of batch.records) {
        if (batch.failedMessageIds.has(record.messageId)) continue;
        const eventId = record.messageAttributes[MESSAGE_ATTRIBUTES.eventId]?.stringValue;
        if (eventId !== undefined && !processed.has(eventId)) {
          processed.add(eventId);
          lastProcessedAt = Date.now();
          if (timed.has(eventId)) timedProcessed++;
        }
      }
    };
    running = await runLocalStack({
      endpoint: emulator.url,
      config,
      namespace: 'bench-e2e',
      serverPort: 0,
      secrets: { default: BENCH_SECRET },
      waitTimeSeconds: 1,
      pollers: options.pollers,
      onBatch,
      onPollError: () => {
        pollErrors++;
      },
      onInvocationError: (error) => log(`verifier invocation failed: ${(error as Error).message}`),
    });
    const stack = running.stack;

    const url = new URL(running.webhookUrl('default'));
    const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
    const deadline = Date.now() + options.timeoutMs - 30_000;
    const waitProcessed = (ids: readonly string[]) =>
      waitUntilProcessed(ids, (id) => processed.has(id), { deadline, intervalMs: 20 });

    // Warm-up: the secret fetch, the first connections and the JIT, outside the timed window.
    const warmIds: string[] = [];
    await pool(20, options.concurrency, async (i) => {
      const body = eventBody(options.events + i);
      warmIds.push((JSON.parse(body) as { eventId: string }).eventId);
      await postSignedEvent(url, agent, BENCH_SECRET, body);
    });
    await waitProcessed(warmIds);

    const bodies = Array.from({ length: options.events }, (_, i) => eventBody(i));
    const ids = bodies.map((b) => (JSON.parse(b) as { eventId: string }).eventId);
    timed = new Set(ids);
    const statuses: number[] = new Array(options.events).fill(0);
    let started = 0;
    let lastAcceptedAt = 0;
    const start = Date.now();
    await pool(options.events, options.concurrency, async (i) => {
      // Closed loop: at most WINDOW events between "sent" and "processed", so the queue stays as
      // shallow as the bare loop's queues (see MESSAGES_PER_RAW_QUEUE) and moto's cost per message
      // does not grow with a backlog that real SQS would not mind.
      while (started - timedProcessed >= options.window && Date.now() < deadline) await sleep(2);
      started++;
      statuses[i] = await postSignedEvent(url, agent, BENCH_SECRET, bodies[i] as string).catch(() => 0);
      lastAcceptedAt = Date.now();
    });
    log(`${options.events} events sent in ${lastAcceptedAt - start} ms; waiting for the processor`);
    await waitProcessed(ids);
    const end = lastProcessedAt;
    agent.destroy();

    // Zero loss: every event answered 202, PROCESSED in the ledger, nothing in the DLQ.
    let lost = 0;
    await pool(ids.length, options.concurrency, async (i) => {
      const row = await running?.readRow(ids[i] as string);
      if (statuses[i] !== 202 || row?.status !== 'PROCESSED') lost++;
    });
    const inDlq = await queueDepth(sqs, stack.deadLetterQueueUrl);
    if (lost > 0 || inDlq > 0) log(`LOSS: ${lost} events not 202 + PROCESSED, ${inDlq} in the DLQ`);
    if (pollErrors > 0) log(`${pollErrors} poll errors (retried)`);
    const complete = ids.every((id) => processed.has(id));
    return {
      ok: true,
      result: {
        emulator_raw_ops_per_s: emulatorRaw,
        emulator_putitem_ops_per_s: calls.put,
        emulator_updateitem_ops_per_s: calls.update,
        emulator_getitem_ops_per_s: calls.get,
        emulator_sendmessage_ops_per_s: calls.send,
        e2e_modelled_ceiling_events_per_s: ceiling,
        e2e_events_per_s: complete ? options.events / ((end - start) / 1000) : 0,
        e2e_events: options.events,
        e2e_lost_events: lost + inDlq,
        e2e_pollers: options.pollers,
      },
    };
  } finally {
    await running?.stop().catch(() => {});
    sqs.destroy();
    await emulator.stop();
  }
}

/** Runs the benchmark in a child process and returns its outcome (or why it was skipped). */
export async function runE2e(options: E2eOptions): Promise<E2eOutcome> {
  const resultFile = path.join(ROOT, 'bench', 'out', `e2e-${process.pid}.json`);
  // A fresh clone has no bench/out yet when the e2e stage runs alone (--only=e2e).
  mkdirSync(path.dirname(resultFile), { recursive: true });
  rmSync(resultFile, { force: true });
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', __filename, resultFile, JSON.stringify(options)],
    {
      cwd: ROOT,
      // The handlers' JSON logs and EMF metrics go to stdout: dropped. Progress goes to stderr.
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    },
  );
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGTERM'), options.timeoutMs);
    child.once('exit', (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  if (!existsSync(resultFile))
    return { ok: false, skipped: `the e2e child exited with ${code} and no result` };
  const outcome = JSON.parse(readFileSync(resultFile, 'utf8')) as E2eOutcome;
  rmSync(resultFile, { force: true });
  return outcome;
}

if (require.main === module) {
  const [resultFile, optionsJson] = process.argv.slice(2);
  if (resultFile === undefined || optionsJson === undefined) {
    process.stderr.write('usage: node --import tsx bench/e2e.ts <result file> <options json>\n');
    process.exit(2);
  }
  const options = JSON.parse(optionsJson) as E2eOptions;
  runChild(options)
    .catch(
      (error: unknown): E2eOutcome => ({
        ok: false,
        skipped: `failed: ${(error as Error).stack ?? String(error)}`,
      }),
    )
    .then((outcome) => {
      writeFileSync(resultFile, JSON.stringify(outcome));
      process.exit(0);
    });
}
