/**
 * Fault injection against the local emulator stack: many FPT deliveries, a share of them duplicated,
 * sent concurrently through the REAL verifier handler and processed by the REAL processor handler
 * behind the local SQS poller, while errors, lost responses, process crashes and timeouts are injected
 * at every step of the idempotency protocol. FPT's retries are simulated (any non-2xx or no answer is
 * retried with exponential backoff), the DLQ is redriven at the end, and the outcome is checked against
 * the ledger: every event PROCESSED, no handler run to success twice outside the documented window.
 *
 * Used by test/integration/fault-injection.test.ts (scaled down, in `npm test`) and by
 * scripts/fault-injection.ts (`npm run reliability`, 10,000 events).
 *
 * How faults are injected:
 * - Every AWS SDK call the handlers make passes through a middleware on their clients. It knows the
 *   running invocation (AsyncLocalStorage) and classifies the call as a protocol step (claim, send,
 *   markEnqueued, startProcessing, ...). At a faulted call it either throws before the call (an error:
 *   no effect), throws after it (a lost response: the effect happened, the caller sees an error), kills
 *   the invocation before or after the call (a crash), or hangs until the invocation's deadline (a
 *   timeout, before or after the call).
 * - A killed invocation is a process that is gone: from that moment every SDK call it makes is refused
 *   before it leaves (no effect, no cleanup), and its answer is dropped. FPT sees no answer and retries;
 *   the SQS event source sees a failed invocation and leaves the whole batch to be received again.
 * - An invocation that runs past its deadline (a hang, or a slow emulator) is abandoned the same way,
 *   like a Lambda timeout.
 * - The handler itself fails, crashes or hangs at random, and a small share of events hit a persistent
 *   downstream outage until the redrive, so the DLQ path is always exercised.
 *
 * Time is compressed: the leases, deadlines and visibility timeout are seconds instead of minutes, in
 * the same proportions as production (lease > deadline, visibility timeout > processing lease).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes, randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type QueueAttributeName,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { BatchGetCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse } from 'aws-lambda';
import { defaultHandler, handlers } from '../../../lambda/handlers';
import type { EventHandlers, HandlerContext } from '../../../lambda/handlers/types';
import { createProcessorHandler } from '../../../lambda/processor/create-handler';
import type { FptEnvelope } from '../../../lambda/shared/fpt-events';
import { EventLedger } from '../../../lambda/shared/ledger';
import { EVENT_STATUS, MESSAGE_ATTRIBUTES } from '../../../lambda/shared/ledger-schema';
import { METRICS_NAMESPACE } from '../../../lambda/shared/observability';
import {
  createVerifierHandler,
  sqsEnqueue,
  type VerifierHandler,
} from '../../../lambda/verifier/create-handler';
import { SecretStore } from '../../../lambda/verifier/secret-store';
import { localClientConfig } from '../../../local/aws';
import { createLambdaContext } from '../../../local/lambda-context';
import { type BatchResult, type Poller, startPoller } from '../../../local/poller';
import { loadReceiverConfig, provisionLocalStack, putSigningSecret } from '../../../local/provision';
import { buildHttpApiEvent } from '../../../local/server';
import { prng } from '../../../scripts/workload';
import { fptHeader } from '../../support/independent-signer';

// ---------------------------------------------------------------------------------------------------
// Options and report
// ---------------------------------------------------------------------------------------------------

export interface FaultTiming {
  /** The verifier's invocation deadline (Lambda timeout). */
  readonly verifierDeadlineMs: number;
  /** EventLedger claimLeaseMs: longer than the verifier deadline, as in production (30 s vs 10 s). */
  readonly claimLeaseMs: number;
  /** The processor's invocation deadline. */
  readonly processorDeadlineMs: number;
  /** EventLedger processingLeaseMs: longer than the processor deadline. */
  readonly processingLeaseMs: number;
  /** The poller's visibility timeout: longer than the processing lease, so a redelivery finds it expired. */
  readonly visibilityTimeoutSeconds: number;
  /** Records per processor invocation. */
  readonly batchSize: number;
  /** Concurrent SQS pollers (Lambda runs several). */
  readonly pollers: number;
  /** SecretStore TTL; shorter than production's 60 s so secret fetches (and their faults) happen often. */
  readonly secretTtlMs: number;
  /** FPT's retry: first backoff, cap, attempts before it gives up. */
  readonly retryBaseMs: number;
  readonly retryCapMs: number;
  readonly retryMaxAttempts: number;
}

export interface FaultInjectionOptions {
  /** The emulator's URL. */
  readonly endpoint: string;
  /** Distinct events. */
  readonly events: number;
  /** Probability that an event is delivered once more (FPT redeploys, lost 2xx). */
  readonly duplicateRate: number;
  /** Deliveries in flight at once. */
  readonly concurrency: number;
  /** Probability that any faultable call is faulted. */
  readonly faultRate: number;
  /** Share of events whose handler fails until the DLQ redrive (a downstream outage). */
  readonly persistentFailureRate: number;
  /**
   * Inject faults inside the documented window (after the handler succeeded, before PROCESSED is
   * written). Doubles they cause are counted separately, never as unexplained doubles.
   */
  readonly windowFaults: boolean;
  /** Seed of the fault and workload generator. */
  readonly seed: number;
  /** The queue's maxReceiveCount for this run. */
  readonly maxReceiveCount: number;
  readonly timing: FaultTiming;
  /** Progress lines, e.g. to stderr. */
  readonly onProgress?: (line: string) => void;
  /** Upper bound of the drain waits, so the run always ends. */
  readonly drainTimeoutMs: number;
  /**
   * Work-queue depth above which the senders start no new delivery until it falls again (retries
   * continue). The emulator serves one call at a time and its SQS slows down as a queue grows, so an
   * unbounded backlog turns the run into a test of moto; AWS would scale the processor out instead.
   * @default - no limit
   */
  readonly maxBacklog?: number;
}

export const VERIFIER_STEPS = ['secret', 'claim', 'send', 'markEnqueued', 'release'] as const;
export const PROCESSOR_STEPS = [
  'startProcessing',
  'getHighWaterMark',
  'handler',
  'finishProcessed',
  'advanceHighWaterMark',
  'finishFailed',
  'deleteMessages',
] as const;
export type Step = (typeof VERIFIER_STEPS)[number] | (typeof PROCESSOR_STEPS)[number];

export const FAULT_KINDS = [
  'error',
  'lost-response',
  'crash-before',
  'crash-after',
  'timeout-before',
  'timeout-after',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The kinds each step can suffer. Reads have no "after" kinds that differ from "before". */
const KINDS_BY_STEP: Record<Step, readonly FaultKind[]> = {
  secret: ['error', 'crash-before', 'timeout-before'],
  claim: FAULT_KINDS,
  send: FAULT_KINDS,
  markEnqueued: FAULT_KINDS,
  release: FAULT_KINDS,
  startProcessing: FAULT_KINDS,
  getHighWaterMark: ['error', 'crash-before', 'timeout-before'],
  // For the handler, "after" means after it succeeded: inside the documented window.
  handler: ['error', 'crash-before', 'timeout-before', 'crash-after'],
  advanceHighWaterMark: FAULT_KINDS,
  finishProcessed: FAULT_KINDS,
  finishFailed: FAULT_KINDS,
  deleteMessages: ['error'],
};

/**
 * Faults that land after the handler succeeded and before PROCESSED is written: the documented window
 * (docs/architecture.md, last row of the crash table). The redelivered message runs the handler again.
 */
export function isWindowFault(step: Step, kind: FaultKind): boolean {
  // The processor writes PROCESSED right after the handler and only then advances the ordering guard
  // (best effort), so advanceHighWaterMark is outside the window.
  if (step === 'finishProcessed')
    return kind === 'error' || kind === 'crash-before' || kind === 'timeout-before';
  if (step === 'handler') return kind === 'crash-after';
  return false;
}

export interface FaultInjectionReport {
  readonly options: Omit<FaultInjectionOptions, 'onProgress' | 'endpoint'>;
  readonly events: number;
  readonly deliveries: number;
  readonly duplicateDeliveries: number;
  readonly persistentFailureEvents: number;
  /** Faults injected, by step and kind. */
  readonly faults: Record<string, Record<string, number>>;
  readonly faultsTotal: number;
  readonly windowFaultsInjected: number;
  /** FPT's side. */
  readonly fpt: {
    readonly attempts: number;
    readonly byOutcome: Record<string, number>;
    readonly chainsSucceeded: number;
    readonly chainsGaveUp: number;
    readonly maxAttemptsForOneDelivery: number;
  };
  /** Verifier invocations that had at least one injected fault, by how they ended. */
  readonly verifierFaulted: {
    readonly total: number;
    readonly answeredNon2xx: number;
    readonly noAnswer: number;
    /** 2xx although a fault was injected: the event was already queued (markEnqueued/release faults). */
    readonly answered2xxAbsorbed: number;
    /** 2xx after a fault without the event being queued or known: must be 0. */
    readonly answered2xxUnexplained: number;
  };
  readonly verifierNaturalTimeouts: number;
  /** Verifier "containers" created: one per concurrent invocation, plus one after every crash or timeout. */
  readonly verifierContainers: number;
  readonly processor: {
    readonly invocations: number;
    readonly invocationsLost: number;
    readonly recordsReceived: number;
    readonly recordsFailed: number;
    /** Messages deleted from the queue while their event was not PROCESSED: must be 0. */
    readonly deletedBeforeProcessed: number;
    readonly naturalTimeouts: number;
  };
  /** Events queued more than once (a lost response or a crash after the send, then FPT's retry). */
  readonly eventsQueuedMoreThanOnce: number;
  readonly maxCopiesOfOneEvent: number;
  readonly handlerSuccesses: number;
  readonly eventsSucceededOnce: number;
  /** Events whose handler succeeded twice with no window incident: must be 0. */
  readonly unexplainedDoubles: number;
  /** Events whose handler succeeded twice after a fault or timeout inside the documented window. */
  readonly windowDoubles: number;
  /** Events with a fault or timeout inside the window (an upper bound of windowDoubles). */
  readonly windowIncidents: number;
  /** finishProcessing(PROCESSED) found another invocation's lease: must be 0. */
  readonly leaseLost: number;
  readonly dlq: {
    readonly maxDepthBeforeRedrive: number;
    readonly redriveRounds: number;
    readonly redriven: number;
    readonly depthAfter: number;
  };
  readonly final: {
    readonly processed: number;
    readonly lost: number;
    readonly lostByStatus: Record<string, number>;
    readonly unexpectedRows: number;
    readonly parkedRows: number;
    readonly queueDepth: number;
  };
  readonly emulatorCalls: number;
  /** Time the senders spent waiting for the work queue to fall under `maxBacklog`. */
  readonly backpressureMs: number;
  readonly durationsMs: {
    readonly deliveries: number;
    readonly drain: number;
    readonly redrive: number;
    readonly total: number;
  };
}

// ---------------------------------------------------------------------------------------------------
// Invocations and the fault injector
// ---------------------------------------------------------------------------------------------------

/** Any SDK v3 client: the fault middleware goes on its stack. */
interface FaultableClient {
  readonly middlewareStack: { add(middleware: unknown, options: Record<string, unknown>): void };
  destroy(): void;
}

/** Thrown into a killed invocation: the process is gone, nothing after this point happens. */
export class Crash extends Error {
  constructor(message = 'injected: process crashed') {
    super(message);
    this.name = 'Crash';
  }
}

interface Invocation {
  readonly component: 'verifier' | 'processor';
  dead: boolean;
  deadReason?: 'crash' | 'timeout';
  /** Resolves when the deadline passes; a hanging call waits for it. */
  readonly deadlineReached: Promise<void>;
  timer?: NodeJS.Timeout;
  readonly faults: Array<{ step: Step; kind: FaultKind }>;
  /** Processor: events whose handler succeeded and whose PROCESSED write has not happened yet. */
  readonly inWindow: Set<string>;
  /** Verifier: the send of this invocation reached the queue. */
  sent: boolean;
}

function newInvocation(component: Invocation['component'], deadlineMs: number): Invocation {
  let resolve!: () => void;
  const deadlineReached = new Promise<void>((r) => {
    resolve = r;
  });
  const invocation: Invocation = {
    component,
    dead: false,
    deadlineReached,
    faults: [],
    inWindow: new Set(),
    sent: false,
  };
  invocation.timer = setTimeout(() => {
    if (!invocation.dead) {
      invocation.dead = true;
      invocation.deadReason = 'timeout';
    }
    resolve();
  }, deadlineMs);
  return invocation;
}

function kill(invocation: Invocation): never {
  if (!invocation.dead) {
    invocation.dead = true;
    invocation.deadReason = 'crash';
  }
  throw new Crash();
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const attributeText = (v: unknown): string | undefined =>
  typeof v === 'string'
    ? v
    : typeof (v as { S?: unknown } | undefined)?.S === 'string'
      ? (v as { S: string }).S
      : undefined;

/** Which protocol step an SDK call is, from its command name and input (marshalled or not). */
function classify(
  commandName: string,
  input: Record<string, unknown>,
): { step: Step | undefined; key?: string } {
  const key = attributeText((input.Key as Record<string, unknown> | undefined)?.pk);
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  switch (commandName) {
    case 'GetSecretValueCommand':
      return { step: 'secret' };
    case 'SendMessageCommand':
      return { step: 'send' };
    case 'DeleteMessageBatchCommand':
      return { step: 'deleteMessages' };
    case 'PutItemCommand': {
      const pk = attributeText((input.Item as Record<string, unknown> | undefined)?.pk);
      return pk?.startsWith('parked#') ? { step: undefined } : { step: 'claim', ...(pk ? { key: pk } : {}) };
    }
    case 'DeleteItemCommand':
      return { step: 'release', ...(key ? { key } : {}) };
    case 'UpdateItemCommand': {
      const base = key ? { key } : {};
      if (':enqueued' in values) return { step: 'markEnqueued', ...base };
      if (':processing' in values) return { step: 'startProcessing', ...base };
      if (String(input.UpdateExpression ?? '').includes('#hwm'))
        return { step: 'advanceHighWaterMark', ...base };
      if (String(input.ConditionExpression ?? '').includes('#processingToken = :token')) {
        return {
          step:
            attributeText(values[':status']) === EVENT_STATUS.processed ? 'finishProcessed' : 'finishFailed',
          ...base,
        };
      }
      return { step: undefined };
    }
    case 'GetItemCommand':
      return key?.startsWith('order#') ? { step: 'getHighWaterMark' } : { step: undefined };
    default:
      return { step: undefined };
  }
}

const isConditionFailure = (error: unknown) =>
  (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';

class FaultInjector {
  readonly counts: Record<string, Record<string, number>> = {};
  total = 0;
  windowInjected = 0;
  private readonly nextKind = new Map<Step, number>();
  private readonly calls = new Map<Step, number>();

  constructor(
    private readonly random: () => number,
    private readonly rate: number,
    private readonly windowFaults: boolean,
  ) {}

  /**
   * Decides whether this call is faulted and how. Kinds rotate per step from a random start, so every
   * kind of every step is exercised as soon as the step has had as many faults as it has kinds.
   */
  pick(step: Step): FaultKind | undefined {
    const calls = (this.calls.get(step) ?? 0) + 1;
    this.calls.set(step, calls);
    // Every 20 calls a step may owe a fault: until each of its kinds has been injected once, a step
    // gets at least one fault per 20 calls, so short runs still cover every kind of every busy step.
    const kinds = KINDS_BY_STEP[step].filter((kind) => this.windowFaults || !isWindowFault(step, kind));
    if (kinds.length === 0) return undefined;
    const covered = Object.keys(this.counts[step] ?? {}).length;
    const overdue = this.rate > 0 && covered < kinds.length && calls >= 20 * (covered + 1);
    if (!overdue && this.random() >= this.rate) return undefined;
    const index = this.nextKind.get(step) ?? Math.floor(this.random() * kinds.length);
    this.nextKind.set(step, index + 1);
    const kind = kinds[index % kinds.length] as FaultKind;
    this.counts[step] ??= {};
    const byKind = this.counts[step] as Record<string, number>;
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    this.total++;
    if (isWindowFault(step, kind)) this.windowInjected++;
    return kind;
  }
}

// ---------------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------------

const CATALOG_DATA: Array<[string, (contactId: number) => Record<string, unknown>]> = [
  ['contact.created', (contactId) => ({ contactId, operation: 'create' })],
  ['contact.updated', (contactId) => ({ contactId, operation: 'update' })],
  ['contact.deleted', (contactId) => ({ contactId, operation: 'delete' })],
  ['contact.status_changed', (contactId) => ({ contactId, previousStatusId: 1, newStatusId: 3 })],
  ['contact.sub_group_changed', (contactId) => ({ contactId, previousSubGroupId: null, newSubGroupId: 7 })],
  ['payment.succeeded', () => ({ paymentId: 1 })],
];

function makeBody(eventId: string, random: () => number): string {
  const [eventType, data] = CATALOG_DATA[
    Math.floor(random() * CATALOG_DATA.length)
  ] as (typeof CATALOG_DATA)[number];
  return JSON.stringify({
    eventId,
    eventType,
    // Within the last hour, so the ordering guard sees late events too.
    eventTimestamp: new Date(Date.now() - Math.floor(random() * 3_600_000)).toISOString(),
    locationId: 1 + Math.floor(random() * 5),
    organizationId: 5678,
    apiVersion: 'v1',
    data: data(1 + Math.floor(random() * 500)),
  });
}

function increment(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}

/** Runs the whole experiment; never throws for a protocol failure (it is reported), only for setup. */
export async function runFaultInjection(options: FaultInjectionOptions): Promise<FaultInjectionReport> {
  const started = Date.now();
  const { timing } = options;
  const progress = options.onProgress ?? (() => {});
  const random = prng(options.seed);
  const restoreEnv = silencePowertools();

  const config = loadReceiverConfig({ maxReceiveCount: options.maxReceiveCount });
  const namespace = `fi-${randomBytes(3).toString('hex')}`;
  const stack = await provisionLocalStack({ endpoint: options.endpoint, config, namespace });
  const secretId = stack.secrets.default as string;
  const secret = randomBytes(32).toString('base64url');
  await putSigningSecret(options.endpoint, secretId, secret);

  const als = new AsyncLocalStorage<Invocation>();
  const injector = new FaultInjector(random, options.faultRate, options.windowFaults);
  let emulatorCalls = 0;

  // Per-event bookkeeping.
  const successes = new Map<string, number>();
  const windowHits = new Set<string>();
  const leaseLost = new Set<string>();
  const copies = new Map<string, number>();
  const persistent = new Set<string>();
  let outageOver = false;

  const clientConfig = localClientConfig(options.endpoint);
  const documentClient = (client: DynamoDBClient) =>
    DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

  /** The middleware that injects faults into every call an invocation makes. */
  const injectFaults = (
    commandName: string,
    input: Record<string, unknown>,
    next: () => Promise<unknown>,
  ) => {
    const invocation = als.getStore();
    const { step, key } = classify(commandName, input);
    if (invocation === undefined) {
      emulatorCalls++;
      return next();
    }
    if (invocation.dead) return Promise.reject(new Crash('refused: the invocation is gone'));
    const run = async () => {
      const kind = step === undefined ? undefined : injector.pick(step);
      if (kind !== undefined && step !== undefined) invocation.faults.push({ step, kind });
      if (kind === 'error')
        throw Object.assign(new Error(`injected: ${step} failed`), { name: 'ServiceUnavailable' });
      if (kind === 'crash-before') kill(invocation);
      if (kind === 'timeout-before') {
        await invocation.deadlineReached;
        throw new Crash('abandoned: timed out');
      }
      let out: unknown;
      try {
        emulatorCalls++;
        out = await next();
      } catch (error) {
        // Another invocation holds the lease while this one is alive: the lease was too short. (A late
        // answer to an invocation already gone is the window: its PROCESSED write never happened.)
        if (
          step === 'finishProcessed' &&
          isConditionFailure(error) &&
          key !== undefined &&
          !invocation.dead
        ) {
          leaseLost.add(key);
          invocation.inWindow.delete(key);
        }
        throw error;
      }
      // The call took effect. Record what it means before anything can go wrong after it.
      if (step === 'finishProcessed' && key !== undefined) invocation.inWindow.delete(key);
      if (step === 'send') {
        invocation.sent = true;
        const attributes = input.MessageAttributes as Record<string, { StringValue?: string }> | undefined;
        const eventId = attributes?.[MESSAGE_ATTRIBUTES.eventId]?.StringValue;
        if (eventId !== undefined) copies.set(eventId, (copies.get(eventId) ?? 0) + 1);
      }
      if (invocation.dead) throw new Crash('answer lost: the invocation is gone');
      if (kind === 'lost-response')
        throw Object.assign(new Error(`injected: ${step} response lost`), { name: 'TimeoutError' });
      if (kind === 'crash-after') kill(invocation);
      if (kind === 'timeout-after') {
        await invocation.deadlineReached;
        throw new Crash('abandoned: timed out');
      }
      return out;
    };
    return run();
  };

  const withFaults = <C extends FaultableClient>(client: C): C => {
    client.middlewareStack.add(
      (next: (args: { input: unknown }) => Promise<unknown>, context: { commandName?: string }) =>
        (args: { input: unknown }) =>
          injectFaults(context.commandName ?? '', (args.input ?? {}) as Record<string, unknown>, () =>
            next(args),
          ),
      { step: 'initialize', name: 'faultInjection', priority: 'high' },
    );
    return client;
  };

  const verifierDocuments = withFaults(documentClient(new DynamoDBClient(clientConfig)));
  const verifierSqs = withFaults(new SQSClient(clientConfig));
  const verifierSecrets = withFaults(new SecretsManagerClient(clientConfig));
  const processorDocuments = withFaults(documentClient(new DynamoDBClient(clientConfig)));
  const pollerSqs = new SQSClient(clientConfig);
  pollerSqs.middlewareStack.add(
    (next, context) => async (args) => {
      emulatorCalls++;
      if (
        context.commandName === 'DeleteMessageBatchCommand' &&
        injector.pick('deleteMessages') !== undefined
      ) {
        throw Object.assign(new Error('injected: deleteMessages failed'), { name: 'ServiceUnavailable' });
      }
      return next(args);
    },
    { step: 'initialize', name: 'faultInjection', priority: 'high' },
  );
  const sqs = new SQSClient(clientConfig);
  const documents = documentClient(new DynamoDBClient(clientConfig));
  const clients = [
    verifierDocuments,
    verifierSqs,
    verifierSecrets,
    processorDocuments,
    pollerSqs,
    sqs,
    documents,
  ];

  // ----- The verifier: a pool of "containers", each with its own secret cache, replaced after a crash.
  const verifierLedger = new EventLedger({
    client: verifierDocuments,
    tableName: stack.tableName,
    retentionDays: config.ledgerRetentionDays,
    claimLeaseMs: timing.claimLeaseMs,
    processingLeaseMs: timing.processingLeaseMs,
  });
  const enqueue = sqsEnqueue(verifierSqs, stack.queueUrl);
  const idleContainers: VerifierHandler[] = [];
  let containersCreated = 0;
  const newContainer = (): VerifierHandler => {
    containersCreated++;
    return createVerifierHandler({
      subscriptions: new Map([['default', secretId]]),
      toleranceSeconds: config.signatureToleranceSeconds,
      maxBodyBytes: config.maxBodyBytes,
      previousSecretGraceMs: config.previousSecretGraceHours * 3_600_000,
      ledger: verifierLedger,
      secrets: new SecretStore({ client: verifierSecrets, now: Date.now, ttlMs: timing.secretTtlMs }),
      enqueue,
      now: Date.now,
      logger: new Logger({ serviceName: 'fault-injection-verifier', logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'fault-injection-verifier' }),
    });
  };

  const fptOutcomes: Record<string, number> = {};
  const verifierFaulted = {
    total: 0,
    answeredNon2xx: 0,
    noAnswer: 0,
    answered2xxAbsorbed: 0,
    answered2xxUnexplained: 0,
  };
  let verifierNaturalTimeouts = 0;

  /** One HTTP attempt by FPT: API Gateway's event, one verifier invocation, FPT's view of the answer. */
  const attempt = async (body: string): Promise<{ status: number; outcome: string }> => {
    const header = fptHeader(secret, Math.floor(Date.now() / 1000), body);
    const event = buildHttpApiEvent({
      method: 'POST',
      url: '/webhooks/default',
      rawHeaders: [
        'content-type',
        'application/json',
        'x-fpt-signature',
        header,
        'user-agent',
        'FPT-Webhooks/1.1',
      ],
      httpVersion: '1.1',
      sourceIp: '127.0.0.1',
      body: Buffer.from(body, 'utf8'),
      subscription: 'default',
      now: new Date(),
      requestId: randomUUID(),
    });
    const container = idleContainers.pop() ?? newContainer();
    const invocation = newInvocation('verifier', timing.verifierDeadlineMs);
    const context = createLambdaContext({
      functionName: 'fault-injection-verifier',
      timeoutSeconds: timing.verifierDeadlineMs / 1000,
    });
    const run = als.run(invocation, () => container(event, context));
    const result = await Promise.race([
      run.then(
        (value) => ({ kind: 'answered' as const, value }),
        (error: unknown) => ({ kind: 'threw' as const, error }),
      ),
      invocation.deadlineReached.then(() => ({ kind: 'timeout' as const })),
    ]);
    clearTimeout(invocation.timer);
    const faulted = invocation.faults.length > 0;
    if (faulted) verifierFaulted.total++;
    if (invocation.dead || result.kind !== 'answered') {
      // The process is gone (or the handler threw): API Gateway answers 502/504, FPT retries.
      const timedOut = invocation.deadReason === 'timeout' || result.kind === 'timeout';
      if (timedOut && !invocation.faults.some((f) => f.kind.startsWith('timeout'))) verifierNaturalTimeouts++;
      if (faulted) verifierFaulted.noAnswer++;
      return {
        status: timedOut ? 504 : 502,
        outcome: timedOut ? 'no answer (timeout)' : 'no answer (crash)',
      };
    }
    idleContainers.push(container);
    const status = result.value.statusCode ?? 200;
    if (faulted) {
      if (status >= 300) verifierFaulted.answeredNon2xx++;
      else {
        const answer = JSON.parse(String(result.value.body ?? '{}')) as { status?: string };
        // A 2xx despite a fault is correct only if this invocation queued the event, or it was known.
        if (invocation.sent || answer.status === 'duplicate') verifierFaulted.answered2xxAbsorbed++;
        else verifierFaulted.answered2xxUnexplained++;
      }
    }
    return { status, outcome: String(status) };
  };

  // ----- The processor: the real createProcessorHandler with counting handlers, one per poller.
  const processorLedger = new EventLedger({
    client: processorDocuments,
    tableName: stack.tableName,
    retentionDays: config.ledgerRetentionDays,
    claimLeaseMs: timing.claimLeaseMs,
    processingLeaseMs: timing.processingLeaseMs,
  });
  const counting =
    <T extends (event: FptEnvelope, ctx: HandlerContext) => Promise<void>>(inner: T) =>
    async (event: FptEnvelope, ctx: HandlerContext): Promise<void> => {
      const invocation = als.getStore() as Invocation;
      if (persistent.has(event.eventId) && !outageOver) throw new Error('downstream outage');
      const kind = injector.pick('handler');
      if (kind !== undefined) invocation.faults.push({ step: 'handler', kind });
      if (kind === 'error') throw new Error('injected: handler failed');
      if (kind === 'crash-before') kill(invocation);
      if (kind === 'timeout-before') {
        await invocation.deadlineReached;
        throw new Crash('abandoned: timed out');
      }
      await inner(event, ctx);
      // Killed while it ran: it did not finish.
      if (invocation.dead) throw new Crash('answer lost: the invocation is gone');
      successes.set(event.eventId, (successes.get(event.eventId) ?? 0) + 1);
      // In the window until this invocation has written PROCESSED (see the middleware).
      invocation.inWindow.add(event.eventId);
      if (kind === 'crash-after') kill(invocation);
    };
  const countingHandlers = Object.fromEntries(
    Object.entries(handlers).map(([type, handler]) => [
      type,
      counting(handler as unknown as (event: FptEnvelope, ctx: HandlerContext) => Promise<void>),
    ]),
  ) as unknown as EventHandlers;

  const processorStats = {
    invocations: 0,
    invocationsLost: 0,
    recordsReceived: 0,
    recordsFailed: 0,
    deletedBeforeProcessed: 0,
    naturalTimeouts: 0,
  };
  let invocationsInFlight = 0;
  const processorFor = () => {
    const processor = createProcessorHandler({
      ledger: processorLedger,
      logger: new Logger({ serviceName: 'fault-injection-processor', logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'fault-injection-processor' }),
      maxReceiveCount: options.maxReceiveCount,
      handlers: countingHandlers,
      defaultHandler: counting(defaultHandler),
    });
    return async (
      event: Parameters<typeof processor>[0],
      context: Parameters<typeof processor>[1],
    ): Promise<SQSBatchResponse> => {
      processorStats.invocations++;
      invocationsInFlight++;
      const invocation = newInvocation('processor', timing.processorDeadlineMs);
      try {
        const run = als.run(invocation, () => processor(event, context));
        const result = await Promise.race([
          run.then(
            (value) => ({ kind: 'answered' as const, value }),
            (error: unknown) => ({ kind: 'threw' as const, error }),
          ),
          invocation.deadlineReached.then(() => ({ kind: 'timeout' as const })),
        ]);
        clearTimeout(invocation.timer);
        // Handler successes whose PROCESSED write never happened from this invocation: the window.
        for (const eventId of invocation.inWindow) windowHits.add(eventId);
        if (invocation.dead || result.kind !== 'answered') {
          processorStats.invocationsLost++;
          if (
            (invocation.deadReason === 'timeout' || result.kind === 'timeout') &&
            !invocation.faults.some((f) => f.kind.startsWith('timeout'))
          ) {
            processorStats.naturalTimeouts++;
          }
          throw new Error(
            `invocation lost (${invocation.deadReason ?? 'error'}); the whole batch returns to the queue`,
          );
        }
        return result.value;
      } finally {
        invocationsInFlight--;
      }
    };
  };

  /** The queue forgets a message only when its event is PROCESSED: checked on every deletion. */
  const onBatch = async (batch: BatchResult) => {
    processorStats.recordsReceived += batch.records.length;
    processorStats.recordsFailed += batch.failedMessageIds.size;
    const deleted = batch.records
      .filter((r) => !batch.failedMessageIds.has(r.messageId))
      .map((r) => r.messageAttributes[MESSAGE_ATTRIBUTES.eventId]?.stringValue)
      .filter((id): id is string => id !== undefined);
    if (deleted.length === 0) return;
    const out = await documents.send(
      new BatchGetCommand({
        RequestItems: {
          [stack.tableName]: { Keys: [...new Set(deleted)].map((pk) => ({ pk })), ConsistentRead: true },
        },
      }),
    );
    const processed = new Set(
      (out.Responses?.[stack.tableName] ?? [])
        .filter((row) => row.status === EVENT_STATUS.processed)
        .map((row) => row.pk as string),
    );
    for (const id of new Set(deleted)) if (!processed.has(id)) processorStats.deletedBeforeProcessed++;
  };

  const pollers: Poller[] = Array.from({ length: timing.pollers }, () =>
    startPoller({
      sqs: pollerSqs,
      queueUrl: stack.queueUrl,
      queueArn: stack.queueArn,
      handler: processorFor(),
      batchSize: timing.batchSize,
      batchingWindowSeconds: 0,
      timeoutSeconds: timing.processorDeadlineMs / 1000 + 30,
      waitTimeSeconds: 1,
      visibilityTimeoutSeconds: timing.visibilityTimeoutSeconds,
      onBatch,
      onError: () => {},
    }),
  );

  // ----- The workload: events, duplicates, FPT's retrying senders.
  const eventIds: string[] = [];
  const bodies = new Map<string, string>();
  for (let i = 0; i < options.events; i++) {
    const eventId = randomBytes(16).toString('hex');
    eventIds.push(eventId);
    bodies.set(eventId, makeBody(eventId, random));
    if (random() < options.persistentFailureRate) persistent.add(eventId);
  }
  const deliveries: string[] = [];
  let duplicateDeliveries = 0;
  for (const eventId of eventIds) {
    deliveries.push(eventId);
    if (random() < options.duplicateRate) {
      duplicateDeliveries++;
      // Half right next to the original (concurrent), half anywhere (usually after it was processed).
      if (random() < 0.5) deliveries.push(eventId);
      else deliveries.splice(Math.floor(random() * deliveries.length), 0, eventId);
    }
  }

  const queueDepth = async (queueUrl: string): Promise<number> => {
    const names = [
      'ApproximateNumberOfMessages',
      'ApproximateNumberOfMessagesNotVisible',
      'ApproximateNumberOfMessagesDelayed',
    ] as QueueAttributeName[];
    const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: names }));
    return names.reduce((sum, name) => sum + Number(out.Attributes?.[name] ?? 0), 0);
  };
  // Backpressure: a monitor reads the work queue's depth every second.
  let paused = false;
  let backpressureMs = 0;
  let monitoring = options.maxBacklog !== undefined;
  const monitor = (async () => {
    while (monitoring) {
      const depth = await queueDepth(stack.queueUrl).catch(() => 0);
      paused = depth > (options.maxBacklog ?? Number.POSITIVE_INFINITY);
      await sleep(1000);
    }
  })();

  let attempts = 0;
  let chainsSucceeded = 0;
  let chainsGaveUp = 0;
  let maxAttemptsForOneDelivery = 0;
  const deliver = async (eventId: string) => {
    const body = bodies.get(eventId) as string;
    const waitStart = Date.now();
    while (paused) await sleep(200);
    backpressureMs += Date.now() - waitStart;
    for (let n = 1; n <= timing.retryMaxAttempts; n++) {
      attempts++;
      const { status, outcome } = await attempt(body);
      increment(fptOutcomes, outcome);
      if (status >= 200 && status < 300) {
        chainsSucceeded++;
        maxAttemptsForOneDelivery = Math.max(maxAttemptsForOneDelivery, n);
        return;
      }
      const backoff = Math.min(timing.retryCapMs, timing.retryBaseMs * 2 ** (n - 1));
      await sleep(backoff / 2 + random() * (backoff / 2));
    }
    chainsGaveUp++;
    maxAttemptsForOneDelivery = Math.max(maxAttemptsForOneDelivery, timing.retryMaxAttempts);
  };

  let maxDlqDepth = 0;
  const reporter = setInterval(() => {
    void (async () => {
      const [main, dlq] = await Promise.all([
        queueDepth(stack.queueUrl),
        queueDepth(stack.deadLetterQueueUrl),
      ]).catch(() => [-1, -1]);
      maxDlqDepth = Math.max(maxDlqDepth, dlq ?? 0);
      progress(
        `[${Math.round((Date.now() - started) / 1000)} s] attempts ${attempts}, deliveries done ${chainsSucceeded + chainsGaveUp}/${deliveries.length}, ` +
          `handler successes ${[...successes.values()].reduce((a, b) => a + b, 0)}, faults ${injector.total}, queue ${main}, dlq ${dlq}`,
      );
    })();
  }, 10_000);

  let deliveriesMs = 0;
  let drainMs = 0;
  let redriveMs = 0;
  let redriveRounds = 0;
  let redriven = 0;
  try {
    // Deliveries, `concurrency` at a time.
    const phaseStart = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(options.concurrency, deliveries.length) }, async () => {
        while (next < deliveries.length) {
          const eventId = deliveries[next++] as string;
          await deliver(eventId);
        }
      }),
    );
    deliveriesMs = Date.now() - phaseStart;

    /** Waits until the work queue is empty and no invocation runs, twice in a row, within the bound. */
    const drain = async (): Promise<void> => {
      const deadline = Date.now() + options.drainTimeoutMs;
      let quiet = 0;
      while (Date.now() < deadline && quiet < 2) {
        await sleep(500);
        const depth = await queueDepth(stack.queueUrl);
        quiet = depth === 0 && invocationsInFlight === 0 ? quiet + 1 : 0;
      }
      maxDlqDepth = Math.max(maxDlqDepth, await queueDepth(stack.deadLetterQueueUrl));
    };
    const drainStart = Date.now();
    await drain();
    drainMs = Date.now() - drainStart;

    // The downstream outage is over: redrive the DLQ (receive, send to the work queue, delete), until
    // it stays empty or the rounds run out.
    outageOver = true;
    const redriveStart = Date.now();
    for (redriveRounds = 0; redriveRounds < 5; ) {
      if ((await queueDepth(stack.deadLetterQueueUrl)) === 0) break;
      redriveRounds++;
      for (;;) {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: stack.deadLetterQueueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
            VisibilityTimeout: 60,
            MessageAttributeNames: ['All'],
          }),
        );
        const messages = out.Messages ?? [];
        if (messages.length === 0) break;
        for (const message of messages) {
          await sqs.send(
            new SendMessageCommand({
              QueueUrl: stack.queueUrl,
              MessageBody: message.Body ?? '',
              MessageAttributes: message.MessageAttributes,
            }),
          );
          await sqs.send(
            new DeleteMessageCommand({
              QueueUrl: stack.deadLetterQueueUrl,
              ReceiptHandle: message.ReceiptHandle ?? '',
            }),
          );
          redriven++;
        }
      }
      await drain();
    }
    redriveMs = Date.now() - redriveStart;
  } finally {
    clearInterval(reporter);
    monitoring = false;
    await monitor;
    await Promise.all(pollers.map((p) => p.stop()));
  }

  // ----- The verdict, from the ledger itself.
  const statuses = new Map<string, string>();
  let parkedRows = 0;
  let unexpectedRows = 0;
  let startKey: Record<string, unknown> | undefined;
  const expected = new Set(eventIds);
  do {
    const out = await documents.send(
      new ScanCommand({
        TableName: stack.tableName,
        ConsistentRead: true,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    for (const item of out.Items ?? []) {
      const pk = String(item.pk);
      if (pk.startsWith('parked#')) parkedRows++;
      else if (pk.startsWith('order#')) continue;
      else if (expected.has(pk)) statuses.set(pk, String(item.status));
      else unexpectedRows++;
    }
    startKey = out.LastEvaluatedKey;
  } while (startKey !== undefined);
  const lostByStatus: Record<string, number> = {};
  let processed = 0;
  for (const eventId of eventIds) {
    const status = statuses.get(eventId) ?? 'NO_ROW';
    if (status === EVENT_STATUS.processed) processed++;
    else increment(lostByStatus, status);
  }
  const finalQueueDepth = await queueDepth(stack.queueUrl);
  const finalDlqDepth = await queueDepth(stack.deadLetterQueueUrl);

  let unexplainedDoubles = 0;
  let windowDoubles = 0;
  let eventsSucceededOnce = 0;
  for (const eventId of eventIds) {
    const count = successes.get(eventId) ?? 0;
    if (count === 1) eventsSucceededOnce++;
    if (count > 1) {
      if (windowHits.has(eventId) && !leaseLost.has(eventId)) windowDoubles++;
      else unexplainedDoubles++;
    }
  }
  const copyCounts = [...copies.values()];

  for (const client of clients) client.destroy();
  restoreEnv();

  const { onProgress: _onProgress, endpoint: _endpoint, ...reportedOptions } = options;
  return {
    options: reportedOptions,
    events: options.events,
    deliveries: deliveries.length,
    duplicateDeliveries,
    persistentFailureEvents: persistent.size,
    faults: injector.counts,
    faultsTotal: injector.total,
    windowFaultsInjected: injector.windowInjected,
    fpt: { attempts, byOutcome: fptOutcomes, chainsSucceeded, chainsGaveUp, maxAttemptsForOneDelivery },
    verifierFaulted,
    verifierNaturalTimeouts,
    processor: processorStats,
    eventsQueuedMoreThanOnce: copyCounts.filter((c) => c > 1).length,
    maxCopiesOfOneEvent: Math.max(0, ...copyCounts),
    handlerSuccesses: [...successes.values()].reduce((a, b) => a + b, 0),
    eventsSucceededOnce,
    unexplainedDoubles,
    windowDoubles,
    windowIncidents: windowHits.size,
    leaseLost: leaseLost.size,
    dlq: { maxDepthBeforeRedrive: maxDlqDepth, redriveRounds, redriven, depthAfter: finalDlqDepth },
    final: {
      processed,
      lost: options.events - processed,
      lostByStatus,
      unexpectedRows,
      parkedRows,
      queueDepth: finalQueueDepth,
    },
    emulatorCalls,
    backpressureMs,
    durationsMs: {
      deliveries: deliveriesMs,
      drain: drainMs,
      redrive: redriveMs,
      total: Date.now() - started,
    },
    verifierContainers: containersCreated,
  };
}

/** Powertools writes JSON logs and EMF lines to stdout; a run of thousands of invocations keeps it quiet. */
function silencePowertools(): () => void {
  const previous = {
    POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED,
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL,
  };
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  return () => {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
