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
import { createInterface } from 'node:readline';
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { InitializeMiddleware, MetadataBearer } from '@smithy/types';
import { EVENT_STATUS, MESSAGE_ATTRIBUTES } from '../lambda/shared/ledger-schema';
import { sha256Hex } from '../lambda/shared/queue-message';
import { localClientConfig } from '../local/aws';
import { findFreePort, startEmulator } from '../local/emulator';
import type { BatchResult } from '../local/poller';
import { loadReceiverConfig, provisionLocalStack } from '../local/provision';
import { type RunningLocalStack, runLocalStack } from '../local/stack';
import { envelopeBody } from '../local/testkit/envelopes';
import { queueDepth } from '../local/testkit/queue-depth';
import { postSignedEvent } from '../local/testkit/signed-post';
import { waitUntilProcessed } from '../local/testkit/wait';
import { pool } from '../local/testkit/workload';
import { type CallSample, EVENT_CALLS, type EventCallSamples, modelledCeiling } from './ceiling';
import { BENCH_SECRET, benchEventId, smallEnvelope } from './payloads';

const ROOT = path.resolve(__dirname, '..');
const NO_METRICS_NOTICE = 'No application metrics to publish';

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
  /** The ceiling of the definition before: simplified calls (1 PutItem, 1 SendMessage, 3 two-clause UpdateItems). */
  readonly e2e_modelled_ceiling_simple_calls_events_per_s: number;
  /** Rates of the calls one event costs, made by the product's own code (eventCallRates). */
  readonly emulator_claim_ops_per_s: number;
  readonly emulator_enqueue_ops_per_s: number;
  readonly emulator_lease_ops_per_s: number;
  readonly emulator_guard_ops_per_s: number;
  readonly emulator_finish_ops_per_s: number;
  /** The e2e rate the emulator allows for the calls an event costs, one after another: 1 / sum(1 / rate). */
  readonly e2e_modelled_ceiling_events_per_s: number;
  /** The same from the pass before the e2e loop alone, and from the pass after it alone. */
  readonly e2e_modelled_ceiling_before_events_per_s: number;
  readonly e2e_modelled_ceiling_after_events_per_s: number;
  /** Calls the handlers' own clients made per timed event (the model's five, when nothing was retried). */
  readonly e2e_handler_calls_per_event: number;
  /** Timed events per processor batch (each batch also costs a ReceiveMessage and a DeleteMessageBatch). */
  readonly e2e_events_per_batch: number;
  /** CPU per timed event of this process (harness, local API, both handlers, SDK clients, pollers). */
  readonly e2e_node_cpu_ms_per_event: number;
  /** Emulator CPU per timed event (Linux only), and the sum of its CPU per call over the model's calls. */
  readonly e2e_emulator_cpu_ms_per_event?: number;
  readonly modelled_emulator_cpu_ms_per_event?: number;
  /** The event source's side, measured apart and left out of the ceiling: messages received and deleted per second, and the emulator's CPU per message. */
  readonly emulator_receive_delete_messages_per_s?: number;
  readonly emulator_receive_delete_cpu_ms_per_message?: number;
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

/**
 * CPU seconds a process has used, from /proc (Linux; undefined elsewhere or when it cannot be read).
 * The emulator's CPU per event explains the e2e figure without the wall clock's noise on a shared machine.
 */
function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command's closing parenthesis: state is the first, utime the 12th, stime the 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / CLOCK_TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}
/** USER_HZ, which Linux fixes at 100 for /proc on every architecture Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * Rates of the calls one event costs, each made by the same code, client and settings the handlers use
 * (the composition roots' ledger and sqsEnqueue, the document client's marshalling), on events like
 * the timed ones, `concurrency` at a time: the claim PutItem and SendMessage of the verifier, then the
 * processor's lease, ordering-guard and processed UpdateItems, as process-record.ts makes them. One
 * kind at a time, so each rate is of that call alone.
 */
async function eventCallRates(
  endpoint: string,
  environment: Readonly<Record<string, string>>,
  pass: { readonly ops: number; readonly concurrency: number; readonly firstEvent: number },
  emulatorPid: number | undefined,
): Promise<EventCallSamples> {
  const { ops, concurrency } = pass;
  const { verifierDependencies } = await import('../lambda/verifier/composition');
  const { processorDependencies } = await import('../lambda/processor/composition');
  const { sqsEnqueue } = await import('../lambda/verifier/create-handler');
  const { parseEnvelope } = await import('../lambda/verifier/envelope');
  const { defaultHandler, handlers } = await import('../lambda/handlers');
  const config = clientConfig(endpoint);
  // As lambda/shared/clients.ts builds the handlers' document client.
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const sqs = new SQSClient(config);
  const secrets = new SecretsManagerClient(config);
  const env = { ...process.env, ...environment };
  const verifier = verifierDependencies({ env, clients: { documents, sqs, secrets } });
  const processor = processorDependencies({ env, clients: { documents }, handlers, defaultHandler });
  const queues = await rawQueues(sqs, `fpt-webhooks-bench-event-calls-${pass.firstEvent}`, ops);
  const enqueues = queues.map((url) => sqsEnqueue(sqs, url));
  const subscription = 'default';
  // Events numbered apart from the timed ones (eventBody), each with its own contact, like theirs.
  const events = Array.from({ length: ops }, (_, i) => {
    const text = eventBody(pass.firstEvent + i);
    const rawBody = Buffer.from(text, 'utf8');
    const envelope = parseEnvelope(rawBody, text);
    return { text, rawBody, envelope, bodySha256: sha256Hex(rawBody), token: '' };
  });
  const rate = async (task: (index: number) => Promise<unknown>): Promise<CallSample> => {
    const cpuBefore = processCpuSeconds(emulatorPid);
    const start = process.hrtime.bigint();
    await pool(ops, concurrency, task);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpuAfter = processCpuSeconds(emulatorPid);
    return {
      ops,
      seconds,
      ...(cpuBefore !== undefined && cpuAfter !== undefined
        ? { emulatorCpuSeconds: cpuAfter - cpuBefore }
        : {}),
    };
  };
  const event = (i: number) => events[i] as (typeof events)[number];
  try {
    // receive.ts's claim and send.
    const claim = await rate(async (i) => {
      const { envelope, rawBody, bodySha256 } = event(i);
      const out = await verifier.ledger.claim({
        eventId: envelope.eventId,
        subscription,
        eventType: envelope.eventType,
        eventTimestamp: envelope.eventTimestamp,
        locationId: envelope.locationId,
        bodySha256,
        rawBody,
        nowMs: Date.now(),
      });
      if (out.kind !== 'claimed') throw new Error(`the model's claim was answered ${out.kind}`);
    });
    const enqueue = await rate(async (i) => {
      const { envelope, text, bodySha256 } = event(i);
      const send = enqueues[Math.floor(i / MESSAGES_PER_RAW_QUEUE)] as (typeof enqueues)[number];
      await send({ envelope, rawBody: text, bodySha256, subscription, receivedAtMs: Date.now() });
    });
    // process-record.ts's lease, ordering guard and processed outcome, for an event of the default handlers.
    const lease = await rate(async (i) => {
      const e = event(i);
      const out = await processor.ledger.startProcessing({
        eventId: e.envelope.eventId,
        subscription,
        eventType: e.envelope.eventType,
        bodySha256: e.bodySha256,
        rawBody: Buffer.from(e.text, 'utf8'),
        nowMs: Date.now(),
      });
      if (out.kind !== 'started') throw new Error(`the model's lease was answered ${out.kind}`);
      e.token = out.token;
    });
    const guard = await rate(async (i) => {
      const { envelope } = event(i);
      await processor.ledger.guardOrdering(
        envelope.locationId,
        envelope.data.contactId as number,
        Date.parse(envelope.eventTimestamp),
        Date.now(),
      );
    });
    const finish = await rate(async (i) => {
      const e = event(i);
      const kept = await processor.ledger.finishProcessing(e.envelope.eventId, e.token, {
        status: EVENT_STATUS.processed,
        nowMs: Date.now(),
      });
      if (!kept) throw new Error("the model's processed write lost its lease");
    });
    // Not part of the ceiling (it stays an upper bound), but measured, because the e2e loop pays it: the
    // event source's side, receiving the queued messages ten at a time and deleting each batch, as
    // local/poller.ts does, five queues at a time like its five pollers.
    const receiveCpuBefore = processCpuSeconds(emulatorPid);
    const receiveStart = process.hrtime.bigint();
    let received = 0;
    await pool(queues.length, 5, async (q) => {
      const queueUrl = queues[q] as string;
      for (;;) {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        const messages = out.Messages ?? [];
        if (messages.length === 0) return;
        received += messages.length;
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: messages.map((m, id) => ({ Id: String(id), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
    });
    const receiveCpuAfter = processCpuSeconds(emulatorPid);
    const receiveAndDelete: CallSample = {
      ops: received,
      seconds: Number(process.hrtime.bigint() - receiveStart) / 1e9,
      ...(receiveCpuBefore !== undefined && receiveCpuAfter !== undefined
        ? { emulatorCpuSeconds: receiveCpuAfter - receiveCpuBefore }
        : {}),
    };
    return { claim, enqueue, lease, guard, finish, receiveAndDelete };
  } finally {
    documents.destroy();
    sqs.destroy();
    secrets.destroy();
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
    // The definition before issue #13's second pass: simplified calls (a 2-clause UpdateItem for all
    // three of the processor's, no message attributes). Kept beside the model below for comparison.
    const calls = await callRates(emulator.url, rawStack.tableName, options.callOps, options.concurrency);
    const simpleCeiling = 1 / (1 / calls.put + 1 / calls.send + 3 / calls.update);
    log(
      `simplified single calls/s: PutItem ${calls.put.toFixed(1)}, UpdateItem ${calls.update.toFixed(1)}, GetItem ${calls.get.toFixed(1)}, SendMessage ${calls.send.toFixed(1)}; ceiling from them ${simpleCeiling.toFixed(1)} events/s`,
    );
    // Per event: the verifier's claim PutItem and SendMessage; the processor's lease, ordering-guard and
    // processed UpdateItems. Receives and deletes (one each per batch of up to 10) are left out, so this
    // is an upper bound.
    // One pass before the e2e loop and one after it, so a change in the machine's load during the run
    // moves the ceiling as it moves the loop; the ceiling is of both passes together.
    const modelPass = async (firstEvent: number) => {
      const samples = await eventCallRates(
        emulator.url,
        rawStack.environment,
        { ops: options.callOps, concurrency: options.concurrency, firstEvent },
        emulator.pid,
      );
      const model = modelledCeiling([samples]);
      log(
        `the product's calls/s: ${EVENT_CALLS.map((call) => `${call} ${model.rates[call].toFixed(1)}`).join(', ')}; ceiling ${model.eventsPerSecond.toFixed(1)} events/s${model.emulatorCpuMs !== undefined ? `; emulator CPU ${model.emulatorCpuMs.toFixed(1)} ms an event` : ''}${model.receiveAndDeleteCpuMs !== undefined ? `; receive + delete ${model.receiveAndDeleteCpuMs.toFixed(1)} ms a message` : ''}`,
      );
      return samples;
    };
    const before = await modelPass(10_000_000);

    // Processed eventIds, from every poller's batches.
    const processed = new Set<string>();
    let timed = new Set<string>();
    let timedProcessed = 0;
    let lastProcessedAt = 0;
    let pollErrors = 0;
    let timedBatches = 0;
    // Senders held back by the window wait here; every finished batch wakes them to look again.
    let windowWaiters: Array<() => void> = [];
    const onBatch = (batch: BatchResult) => {
      let timedInBatch = 0;
      for (const record of batch.records) {
        if (batch.failedMessageIds.has(record.messageId)) continue;
        const eventId = record.messageAttributes[MESSAGE_ATTRIBUTES.eventId]?.stringValue;
        if (eventId !== undefined && !processed.has(eventId)) {
          processed.add(eventId);
          lastProcessedAt = Date.now();
          if (timed.has(eventId)) timedInBatch++;
        }
      }
      if (timedInBatch > 0) {
        timedProcessed += timedInBatch;
        timedBatches++;
        const waiters = windowWaiters;
        windowWaiters = [];
        for (const wake of waiters) wake();
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
    // The calls the handlers themselves make (the containers' shared clients), counted in the timed window.
    const { getDocumentClient, getSqsClient } = await import('../lambda/shared/clients');
    let handlerCalls = 0;
    let countingCalls = false;
    const countCalls: InitializeMiddleware<object, MetadataBearer> = (next) => async (args) => {
      if (countingCalls) handlerCalls++;
      return next(args);
    };
    getDocumentClient().middlewareStack.add(countCalls, { step: 'initialize', name: 'benchCallCounter' });
    getSqsClient().middlewareStack.add(countCalls, { step: 'initialize', name: 'benchCallCounter' });

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
    const windowFull = () => started - timedProcessed >= options.window;
    const windowFreed = () =>
      new Promise<void>((resolve) => {
        windowWaiters.push(resolve);
        setTimeout(resolve, 250); // bounded: a batch that never comes cannot hold a sender forever
      });
    countingCalls = true;
    const emulatorCpuBefore = processCpuSeconds(emulator.pid);
    const nodeCpuBefore = process.cpuUsage();
    const start = Date.now();
    await pool(options.events, options.concurrency, async (i) => {
      // Closed loop: at most WINDOW events between "sent" and "processed", so the queue stays as
      // shallow as the bare loop's queues (see MESSAGES_PER_RAW_QUEUE) and moto's cost per message
      // does not grow with a backlog that real SQS would not mind. A held sender waits for the next
      // finished batch instead of polling, so the harness spends no CPU while it waits.
      while (windowFull() && Date.now() < deadline) await windowFreed();
      started++;
      statuses[i] = await postSignedEvent(url, agent, BENCH_SECRET, bodies[i] as string).catch(() => 0);
      lastAcceptedAt = Date.now();
    });
    log(`${options.events} events sent in ${lastAcceptedAt - start} ms; waiting for the processor`);
    await waitProcessed(ids);
    const end = lastProcessedAt;
    countingCalls = false;
    const emulatorCpuAfter = processCpuSeconds(emulator.pid);
    const nodeCpu = process.cpuUsage(nodeCpuBefore);
    agent.destroy();
    const after = await modelPass(20_000_000);
    const model = modelledCeiling([before, after]);
    const ceiling = model.eventsPerSecond;
    const modelledCpuMs = model.emulatorCpuMs;
    const perEvent = (total: number) => total / options.events;
    const e2eEmulatorCpuMs =
      emulatorCpuBefore !== undefined && emulatorCpuAfter !== undefined
        ? perEvent((emulatorCpuAfter - emulatorCpuBefore) * 1000)
        : undefined;
    const nodeCpuMs = perEvent((nodeCpu.user + nodeCpu.system) / 1000);
    log(
      `per event: ${perEvent(handlerCalls).toFixed(2)} calls by the handlers (the model has ${EVENT_CALLS.length}), ${(options.events / Math.max(1, timedBatches)).toFixed(1)} events a batch, ${e2eEmulatorCpuMs !== undefined ? `emulator CPU ${e2eEmulatorCpuMs.toFixed(1)} ms, ` : ''}this process's CPU ${nodeCpuMs.toFixed(1)} ms`,
    );

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
        e2e_modelled_ceiling_simple_calls_events_per_s: simpleCeiling,
        emulator_claim_ops_per_s: model.rates.claim,
        emulator_enqueue_ops_per_s: model.rates.enqueue,
        emulator_lease_ops_per_s: model.rates.lease,
        emulator_guard_ops_per_s: model.rates.guard,
        emulator_finish_ops_per_s: model.rates.finish,
        e2e_modelled_ceiling_events_per_s: ceiling,
        e2e_modelled_ceiling_before_events_per_s: modelledCeiling([before]).eventsPerSecond,
        e2e_modelled_ceiling_after_events_per_s: modelledCeiling([after]).eventsPerSecond,
        e2e_handler_calls_per_event: perEvent(handlerCalls),
        e2e_events_per_batch: options.events / Math.max(1, timedBatches),
        e2e_node_cpu_ms_per_event: nodeCpuMs,
        ...(e2eEmulatorCpuMs !== undefined ? { e2e_emulator_cpu_ms_per_event: e2eEmulatorCpuMs } : {}),
        ...(modelledCpuMs !== undefined ? { modelled_emulator_cpu_ms_per_event: modelledCpuMs } : {}),
        ...(model.receiveAndDeletePerSecond !== undefined
          ? { emulator_receive_delete_messages_per_s: model.receiveAndDeletePerSecond }
          : {}),
        ...(model.receiveAndDeleteCpuMs !== undefined
          ? { emulator_receive_delete_cpu_ms_per_message: model.receiveAndDeleteCpuMs }
          : {}),
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
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    },
  );
  // Everything on stderr is passed on but Powertools' notice that an invocation stored no metric, which
  // the verifier's happy path prints once per accepted event and which would bury the progress lines.
  createInterface({ input: child.stderr }).on('line', (line) => {
    if (!line.startsWith(NO_METRICS_NOTICE)) process.stderr.write(`${line}\n`);
  });
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
