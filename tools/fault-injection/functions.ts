/**
 * The functions under test: the real verifier and processor, built by their composition roots on
 * clients that carry the fault layer, and run as simulated Lambda invocations with deadlines.
 */
import type { APIGatewayProxyEventV2, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { defaultHandler, handlers } from '../../lambda/handlers';
import type { EventHandlers, HandlerContext } from '../../lambda/handlers/types';
import type { ProcessorHandler } from '../../lambda/processor/create-handler';
import type { FptEnvelope } from '../../lambda/shared/fpt-events';
import type { VerifierHandler } from '../../lambda/verifier/create-handler';
import { createLambdaContext } from '../../local/lambda-context';
import { Crash, type FaultLayer, invokeWithDeadline, kill, newInvocation } from './injector';

/** How FPT saw one attempt. */
export interface AttemptOutcome {
  readonly status: number;
  readonly outcome: string;
}

/**
 * The verifier as Lambda runs it: a pool of "containers", each with its own secret cache, one per
 * concurrent invocation; a container that crashed or timed out is replaced by a new one.
 */
export class VerifierPool {
  containersCreated = 0;
  naturalTimeouts = 0;
  /** Invocations that had at least one injected fault, by how they ended. */
  readonly faulted = {
    total: 0,
    answeredNon2xx: 0,
    noAnswer: 0,
    answered2xxAbsorbed: 0,
    answered2xxUnexplained: 0,
  };
  private readonly idle: VerifierHandler[] = [];

  constructor(
    private readonly layer: FaultLayer,
    /** A new container: the composition root on the faulted clients. */
    private readonly newContainer: () => VerifierHandler,
    private readonly deadlineMs: number,
  ) {}

  /** One invocation for API Gateway's event; a lost invocation is answered 502/504, as API Gateway does. */
  async invoke(event: APIGatewayProxyEventV2): Promise<AttemptOutcome> {
    const container = this.idle.pop() ?? this.create();
    const invocation = newInvocation('verifier', this.deadlineMs);
    const context = createLambdaContext({
      functionName: 'fault-injection-verifier',
      timeoutSeconds: this.deadlineMs / 1000,
    });
    const result = await invokeWithDeadline(this.layer, invocation, () => container(event, context));
    const faulted = invocation.faults.length > 0;
    if (faulted) this.faulted.total++;
    if (invocation.dead || result.kind !== 'answered') {
      // The process is gone (or the handler threw): API Gateway answers 502/504, FPT retries.
      const timedOut = invocation.deadReason === 'timeout' || result.kind === 'timeout';
      if (timedOut && !invocation.faults.some((f) => f.kind.startsWith('timeout'))) this.naturalTimeouts++;
      if (faulted) this.faulted.noAnswer++;
      return {
        status: timedOut ? 504 : 502,
        outcome: timedOut ? 'no answer (timeout)' : 'no answer (crash)',
      };
    }
    this.idle.push(container);
    const status = result.value.statusCode ?? 200;
    if (faulted) {
      if (status >= 300) this.faulted.answeredNon2xx++;
      else {
        const answer = JSON.parse(String(result.value.body ?? '{}')) as { status?: string };
        // A 2xx despite a fault is correct only if this invocation queued the event, or it was known.
        if (invocation.sent || answer.status === 'duplicate') this.faulted.answered2xxAbsorbed++;
        else this.faulted.answered2xxUnexplained++;
      }
    }
    return { status, outcome: String(status) };
  }

  private create(): VerifierHandler {
    this.containersCreated++;
    return this.newContainer();
  }
}

type AnyHandler = (event: FptEnvelope, ctx: HandlerContext) => Promise<void>;

/**
 * The processor as Lambda runs it: the real handler with counting user handlers, one invocation per
 * batch. Handlers fail, crash or hang at random, and persistent-failure events fail until the outage
 * is over.
 */
export class ProcessorUnderTest {
  readonly stats = {
    invocations: 0,
    invocationsLost: 0,
    recordsReceived: 0,
    recordsFailed: 0,
    deletedBeforeProcessed: 0,
    naturalTimeouts: 0,
  };
  invocationsInFlight = 0;
  /** Handler successes per eventId, for events whose handler has no declared effects. */
  readonly successes = new Map<string, number>();
  /**
   * Handler successes per eventId for transactional events. Such a handler may return twice (a fault
   * in the window); what must happen once is the commit of its effect, counted in the effects table.
   */
  readonly transactionalRuns = new Map<string, number>();
  /** Events with a fault or timeout inside the documented window. */
  readonly windowHits = new Set<string>();
  /** Set when the downstream outage ends (before the DLQ redrive). */
  outageOver = false;

  constructor(
    private readonly layer: FaultLayer,
    /** The composition root, given the counting handlers. */
    private readonly compose: (handlers: EventHandlers, fallback: AnyHandler) => ProcessorHandler,
    private readonly persistent: ReadonlySet<string>,
    private readonly deadlineMs: number,
    /** Transactional events, and the table their handler's effect adds 1 to (`count` of item `pk` = eventId). */
    private readonly transactional: { readonly events: ReadonlySet<string>; readonly tableName: string },
  ) {}

  /** A new poller's handler: its own processor, as each concurrent Lambda batch has. */
  handler(): (event: SQSEvent, context?: Parameters<ProcessorHandler>[1]) => Promise<SQSBatchResponse> {
    const counting = (inner: AnyHandler) => this.counting(inner);
    const countingHandlers = Object.fromEntries(
      Object.entries(handlers).map(([type, handler]) => [type, counting(handler as unknown as AnyHandler)]),
    ) as unknown as EventHandlers;
    const processor = this.compose(countingHandlers, counting(defaultHandler));
    return async (event, context) => {
      this.stats.invocations++;
      this.invocationsInFlight++;
      const invocation = newInvocation('processor', this.deadlineMs);
      try {
        const result = await invokeWithDeadline(this.layer, invocation, () => processor(event, context));
        // Handler successes whose PROCESSED write never happened from this invocation: the window.
        for (const eventId of invocation.inWindow) this.windowHits.add(eventId);
        if (invocation.dead || result.kind !== 'answered') {
          this.stats.invocationsLost++;
          if (
            (invocation.deadReason === 'timeout' || result.kind === 'timeout') &&
            !invocation.faults.some((f) => f.kind.startsWith('timeout'))
          ) {
            this.stats.naturalTimeouts++;
          }
          throw new Error(
            `invocation lost (${invocation.deadReason ?? 'error'}); the whole batch returns to the queue`,
          );
        }
        return result.value;
      } finally {
        this.invocationsInFlight--;
      }
    };
  }

  private counting(inner: AnyHandler): AnyHandler {
    return async (event, ctx) => {
      const invocation = this.layer.invocations.getStore();
      if (invocation === undefined) throw new Error('a handler ran outside an invocation');
      if (this.persistent.has(event.eventId) && !this.outageOver) throw new Error('downstream outage');
      const kind = this.layer.injector.pick('handler');
      if (kind !== undefined) invocation.faults.push({ step: 'handler', kind });
      if (kind === 'error') throw new Error('injected: handler failed');
      if (kind === 'crash-before') kill(invocation);
      if (kind === 'timeout-before') {
        await invocation.deadlineReached;
        throw new Crash('abandoned: timed out');
      }
      await inner(event, ctx);
      const transactional = this.transactional.events.has(event.eventId);
      if (transactional) {
        // Applied twice, this counter would read 2: the verdict reads it back.
        ctx.effects.update({
          tableName: this.transactional.tableName,
          key: { pk: event.eventId },
          updateExpression: 'ADD #count :one',
          expressionAttributeNames: { '#count': 'count' },
          expressionAttributeValues: { ':one': 1 },
        });
      }
      // Killed while it ran: it did not finish.
      if (invocation.dead) throw new Crash('answer lost: the invocation is gone');
      const runs = transactional ? this.transactionalRuns : this.successes;
      runs.set(event.eventId, (runs.get(event.eventId) ?? 0) + 1);
      // In the window until this invocation has written PROCESSED (see the fault layer).
      invocation.inWindow.add(event.eventId);
      if (kind === 'crash-after') kill(invocation);
    };
  }
}
