/**
 * The fault injector: which protocol step an AWS SDK call is, whether it is faulted and how, and the
 * simulated invocations (with their deadlines) that a fault can crash or hang.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { EVENT_STATUS, MESSAGE_ATTRIBUTES } from '../../lambda/shared/ledger-schema';

export const VERIFIER_STEPS = ['secret', 'claim', 'send', 'release'] as const;
export const PROCESSOR_STEPS = [
  'startProcessing',
  'guardOrdering',
  'handler',
  'finishProcessed',
  'commitEffects',
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
  release: FAULT_KINDS,
  startProcessing: FAULT_KINDS,
  guardOrdering: FAULT_KINDS,
  // For the handler, "after" means after it succeeded: inside the documented window.
  handler: ['error', 'crash-before', 'timeout-before', 'crash-after'],
  finishProcessed: FAULT_KINDS,
  // A transactional handler's effects and PROCESSED, in one TransactWriteItems.
  commitEffects: FAULT_KINDS,
  finishFailed: FAULT_KINDS,
  deleteMessages: ['error'],
};

/**
 * Faults that land after the handler succeeded and before PROCESSED is written: the documented window
 * (docs/architecture.md, last row of the crash table). The redelivered message runs the handler again.
 */
export function isWindowFault(step: Step, kind: FaultKind): boolean {
  // The ordering guard is written before the handler runs, so it is outside the window.
  // For a transactional handler the same faults land between its return and the commit of its effects.
  if (step === 'finishProcessed' || step === 'commitEffects')
    return kind === 'error' || kind === 'crash-before' || kind === 'timeout-before';
  if (step === 'handler') return kind === 'crash-after';
  return false;
}

/** Any SDK v3 client: the fault middleware goes on its stack. */
export interface FaultableClient {
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

export interface Invocation {
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

export function newInvocation(component: Invocation['component'], deadlineMs: number): Invocation {
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

export function kill(invocation: Invocation): never {
  if (!invocation.dead) {
    invocation.dead = true;
    invocation.deadReason = 'crash';
  }
  throw new Crash();
}

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
      if (':leaseEnd' in values) return { step: 'startProcessing', ...base };
      if (String(input.UpdateExpression ?? '').includes('#hwm')) return { step: 'guardOrdering', ...base };
      if (String(input.ConditionExpression ?? '').includes('#processingToken = :token')) {
        return {
          step:
            attributeText(values[':status']) === EVENT_STATUS.processed ? 'finishProcessed' : 'finishFailed',
          ...base,
        };
      }
      return { step: undefined };
    }
    case 'TransactWriteItemsCommand': {
      // The ledger's transition is the first action; its key is the event.
      const first = (input.TransactItems as Array<Record<string, Record<string, unknown>>> | undefined)?.[0];
      const pk = attributeText((first?.Update?.Key as Record<string, unknown> | undefined)?.pk);
      return { step: 'commitEffects', ...(pk ? { key: pk } : {}) };
    }
    default:
      return { step: undefined };
  }
}

const isConditionFailure = (error: unknown) =>
  (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';

/** A commit cancelled because its ledger transition's condition (our token, still PROCESSING) failed. */
const isLedgerConditionCancelled = (error: unknown) => {
  const e = error as { name?: string; CancellationReasons?: Array<{ Code?: string }> } | null;
  return (
    e?.name === 'TransactionCanceledException' &&
    e.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed'
  );
};

export class FaultInjector {
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
    // Until each of its kinds has been injected once, a step owes a fault every 10 calls: kinds rotate,
    // so any step with 10 calls per kind covers them all, however the run's calls interleave.
    const kinds = KINDS_BY_STEP[step].filter((kind) => this.windowFaults || !isWindowFault(step, kind));
    if (kinds.length === 0) return undefined;
    const covered = Object.keys(this.counts[step] ?? {}).length;
    const overdue = this.rate > 0 && covered < kinds.length && calls >= 10 * (covered + 1);
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

/**
 * The fault layer on the functions' SDK clients. Every call an invocation makes passes through it: it
 * knows the running invocation (AsyncLocalStorage), classifies the call as a protocol step and, at a
 * faulted call, throws before it (an error: no effect), throws after it (a lost response), kills the
 * invocation before or after it (a crash), or hangs until the invocation's deadline (a timeout).
 */
export class FaultLayer {
  /** The invocation a call belongs to; calls outside any invocation pass untouched. */
  readonly invocations = new AsyncLocalStorage<Invocation>();
  readonly injector: FaultInjector;
  /** Every call that reached the emulator, from the functions and the poller. */
  emulatorCalls = 0;
  /** Events whose PROCESSED write found another live invocation's lease: the lease was too short. */
  readonly leaseLost = new Set<string>();
  /** Copies of each event that reached the work queue. */
  readonly copies = new Map<string, number>();

  constructor(random: () => number, rate: number, windowFaults: boolean) {
    this.injector = new FaultInjector(random, rate, windowFaults);
  }

  /** Puts the fault middleware on a function's client. */
  withFaults<C extends FaultableClient>(client: C): C {
    client.middlewareStack.add(
      (next: (args: { input: unknown }) => Promise<unknown>, context: { commandName?: string }) =>
        (args: { input: unknown }) =>
          this.inject(context.commandName ?? '', (args.input ?? {}) as Record<string, unknown>, () =>
            next(args),
          ),
      { step: 'initialize', name: 'faultInjection', priority: 'high' },
    );
    return client;
  }

  /** The poller's client: its calls are counted, and its DeleteMessageBatch calls fail at the fault rate. */
  withDeleteFaults<C extends FaultableClient>(client: C): C {
    client.middlewareStack.add(
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
        async (args: unknown) => {
          this.emulatorCalls++;
          if (
            context.commandName === 'DeleteMessageBatchCommand' &&
            this.injector.pick('deleteMessages') !== undefined
          ) {
            throw Object.assign(new Error('injected: deleteMessages failed'), { name: 'ServiceUnavailable' });
          }
          return next(args);
        },
      { step: 'initialize', name: 'faultInjection', priority: 'high' },
    );
    return client;
  }

  private inject(
    commandName: string,
    input: Record<string, unknown>,
    next: () => Promise<unknown>,
  ): Promise<unknown> {
    const invocation = this.invocations.getStore();
    const { step, key } = classify(commandName, input);
    if (invocation === undefined) {
      this.emulatorCalls++;
      return next();
    }
    if (invocation.dead) return Promise.reject(new Crash('refused: the invocation is gone'));
    const run = async () => {
      const kind = step === undefined ? undefined : this.injector.pick(step);
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
        this.emulatorCalls++;
        out = await next();
      } catch (error) {
        // Another invocation holds the lease while this one is alive: the lease was too short. (A late
        // answer to an invocation already gone is the window: its PROCESSED write never happened.)
        if (
          ((step === 'finishProcessed' && isConditionFailure(error)) ||
            (step === 'commitEffects' && isLedgerConditionCancelled(error))) &&
          key !== undefined &&
          !invocation.dead
        ) {
          this.leaseLost.add(key);
          invocation.inWindow.delete(key);
        }
        throw error;
      }
      // The call took effect. Record what it means before anything can go wrong after it.
      if ((step === 'finishProcessed' || step === 'commitEffects') && key !== undefined) {
        invocation.inWindow.delete(key);
      }
      if (step === 'send') {
        invocation.sent = true;
        const attributes = input.MessageAttributes as Record<string, { StringValue?: string }> | undefined;
        const eventId = attributes?.[MESSAGE_ATTRIBUTES.eventId]?.StringValue;
        if (eventId !== undefined) this.copies.set(eventId, (this.copies.get(eventId) ?? 0) + 1);
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
  }
}

/**
 * Runs `call` as one invocation with a deadline: resolves to its answer, or to `lost` when it threw,
 * crashed or ran past the deadline (a Lambda timeout: the answer is dropped).
 */
export async function invokeWithDeadline<T>(
  layer: FaultLayer,
  invocation: Invocation,
  call: () => Promise<T>,
): Promise<{ readonly kind: 'answered'; readonly value: T } | { readonly kind: 'threw' | 'timeout' }> {
  const run = layer.invocations.run(invocation, call);
  const result = await Promise.race([
    run.then(
      (value) => ({ kind: 'answered' as const, value }),
      () => ({ kind: 'threw' as const }),
    ),
    invocation.deadlineReached.then(() => ({ kind: 'timeout' as const })),
  ]);
  clearTimeout(invocation.timer);
  return result;
}
