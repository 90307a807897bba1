import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import { EffectCollector } from '../handlers/effects';
import type {
  DefaultHandler,
  EventHandler,
  EventHandlers,
  HandlerContext,
  ReplayInfo,
} from '../handlers/types';
import { MAX_SIGNATURE_TOLERANCE_SECONDS } from '../shared/defaults';
import {
  EffectsRejectedError,
  EnvelopeValidationError,
  HandlerFailedError,
  ProcessingInProgressError,
  ProcessingLeaseLostError,
  ReplayRefusedError,
} from '../shared/errors';
import { eventTimestampProblem } from '../shared/event-time';
import {
  type CatalogEnvelope,
  type CatalogEventType,
  type FptEnvelope,
  isCatalogEventType,
} from '../shared/fpt-events';
import type { EventLedger, ReplayRequest } from '../shared/ledger';
import { contactIdOf, EVENT_STATUS } from '../shared/ledger-schema';
import { METRIC } from '../shared/observability';
import type { ProcessorMetrics } from './metrics';
import { catalogDataProblems, type ParsedRecord, parseRecord } from './parse-record';

/** The ledger operations the processor uses; `EventLedger` implements them, tests pass a fake. */
export type ProcessorLedger = Pick<
  EventLedger,
  'startProcessing' | 'finishProcessing' | 'commitProcessed' | 'guardOrdering'
>;

export interface ProcessRecordDeps {
  readonly ledger: ProcessorLedger;
  readonly handlers: EventHandlers;
  readonly defaultHandler: DefaultHandler;
  /** Epoch milliseconds; injected so tests control time. */
  readonly now: () => number;
  /** The queue's redrive `maxReceiveCount`: a failure on this receive is the last before the DLQ. */
  readonly maxReceiveCount: number;
  readonly metrics: ProcessorMetrics;
  /** Parent logger; each record logs through a child carrying `eventId` and `subscription`. */
  readonly logger: Logger;
}

/** How a record ended, for callers that want more than "did not throw". */
export type ProcessRecordOutcome = 'processed' | 'duplicate';

/** Bounded `eventType` dimension: catalog types by name, anything else as `other`. */
const OTHER_EVENT_TYPE = 'other';

interface OrderingGuard {
  readonly isStale: boolean;
  readonly highWaterMarkMs?: number;
}

/**
 * Processes one SQS record: takes the ledger's processing lease, applies the ordering guard, runs the
 * event's handler and records the outcome. Throws to report the record as a batch item failure, so
 * SQS redelivers it and, after `maxReceiveCount` receives, moves it to the DLQ.
 *
 * @throws EnvelopeValidationError when the record is a poison message (bad attributes or body)
 * @throws ProcessingInProgressError when another invocation holds the lease for this event
 * @throws ReplayRefusedError when a replay message names a replay the ledger does not hold (its row is
 *   gone, or the replay was never requested); nothing is written and the handler does not run
 * @throws HandlerFailedError when the handler (or the checks just before it) failed, or its declared
 *   effects could not be committed (the cause is an EffectsRejectedError; nothing was written)
 * @throws ProcessingLeaseLostError when another invocation took the event over before the handler's
 *   declared effects were committed; nothing was written, and the retry finds the owner's outcome
 */
export async function processRecord(
  record: SQSRecord,
  deps: ProcessRecordDeps,
): Promise<ProcessRecordOutcome> {
  const { ledger, metrics, now } = deps;
  let parsed: ParsedRecord;
  try {
    parsed = parseRecord(record);
  } catch (error) {
    // Only the messageId: the body and its attributes are not trusted to be free of personal data.
    deps.logger.error('poison message: cannot be processed, will retry and then move to the DLQ', {
      messageId: record.messageId,
      problems: error instanceof EnvelopeValidationError ? error.problems : undefined,
    });
    throw error;
  }
  const { eventId, subscription, eventType, envelope } = parsed;
  const { isTest, replay } = parsed;
  const logger = deps.logger.createChild({
    persistentKeys: {
      eventId,
      subscription,
      ...(isTest ? { isTest } : {}),
      ...(replay !== undefined ? { replay } : {}),
    },
  });

  const contactId = contactIdOf(envelope.data);
  const started = await ledger.startProcessing({
    eventId,
    subscription,
    eventType,
    ...(parsed.bodySha256 !== undefined ? { bodySha256: parsed.bodySha256 } : {}),
    rawBody: Buffer.from(parsed.text, 'utf8'),
    receivedAt: parsed.receivedAt,
    ...(contactId !== undefined ? { contactId } : {}),
    ...(replay !== undefined ? { replay } : {}),
    nowMs: now(),
  });
  if (started.kind === 'already_processed') {
    // A duplicate delivery (SQS is at-least-once, or FPT re-sent after our 2xx was lost) is a success,
    // and so is another copy of a replay that has run (a redelivery, or a resumed run's re-send).
    metrics.emit(METRIC.duplicate, MetricUnit.Count, 1, { stage: 'processor' });
    logger.info(
      replay === undefined
        ? 'duplicate: event already processed, skipping handler'
        : 'duplicate: this replay already ran, skipping handler',
    );
    return 'duplicate';
  }
  if (started.kind === 'in_progress') {
    logger.info('event is being processed by another invocation; will retry');
    throw new ProcessingInProgressError(eventId);
  }
  if (started.kind === 'replay_refused') {
    // Never acknowledged: the message may be the last copy of an authentic event whose row expired, so it
    // is retried and then kept in the DLQ. Never run either: a handler runs only on what the ledger holds.
    logger.error('replay not held by the ledger: handler not run; will retry and then move to the DLQ', {
      messageId: record.messageId,
      reason: started.reason,
    });
    throw new ReplayRefusedError(eventId, replay ?? 0, started.reason);
  }

  let guard: OrderingGuard | undefined;
  const effects = new EffectCollector();
  try {
    if (isCatalogEventType(eventType)) {
      const problems = catalogDataProblems(eventType, envelope.data);
      if (problems.length > 0) throw new EnvelopeValidationError(problems);
    }
    // A test event carries a made-up contactId: it neither reads nor moves a contact's high-water mark,
    // so it can never make a real event look stale (docs/decisions/0007-test-event-marker.md).
    guard =
      isTest || !mayMoveTheGuard(parsed, logger)
        ? undefined
        : await readOrderingGuard(envelope.locationId, contactId, parsed.eventTimestampMs, ledger, now());
    // StaleEvent and EndToEndLatency describe FPT's deliveries; a replay of an old event is stale by design.
    if (guard?.isStale && replay === undefined) metrics.emit(METRIC.staleEvent, MetricUnit.Count, 1);

    const ctx: HandlerContext = {
      subscription,
      attempt: started.attempts,
      receivedAt: parsed.receivedAt,
      isStale: guard?.isStale ?? false,
      isTest,
      ...(guard?.highWaterMarkMs !== undefined
        ? { highWaterMark: new Date(guard.highWaterMarkMs).toISOString() }
        : {}),
      logger,
      idempotencyKey: replay === undefined ? eventId : `${eventId}:replay:${replay}`,
      effects,
      ...(replay !== undefined ? { replay: replayInfo(replay, started.replayRequest) } : {}),
    };
    const handlerStart = now();
    try {
      await route(envelope, ctx, deps);
    } finally {
      metrics.emit(METRIC.handlerDuration, MetricUnit.Milliseconds, now() - handlerStart);
    }
  } catch (error) {
    await recordFailure(error, parsed, started.token, deps, logger);
    throw new HandlerFailedError(eventId, { cause: error });
  }

  // The handler succeeded. Recording that comes first and alone: until it is written, a redelivery
  // would run the handler again, so nothing else may stand between the two. Declared effects are
  // written in the same transaction, so for them there is no such window.
  const finishedAt = now();
  if (effects.declared.length === 0) {
    const kept = await ledger.finishProcessing(eventId, started.token, {
      status: EVENT_STATUS.processed,
      nowMs: finishedAt,
      ...(started.replayCount !== undefined ? { replayDone: started.replayCount } : {}),
    });
    if (!kept) {
      logger.warn('processing lease lost before success was recorded; another invocation owns the event');
    }
  } else {
    let outcome: Awaited<ReturnType<ProcessorLedger['commitProcessed']>>;
    try {
      outcome = await ledger.commitProcessed(
        eventId,
        started.token,
        finishedAt,
        effects.declared,
        started.replayCount,
      );
    } catch (error) {
      if (error instanceof EffectsRejectedError) {
        logger.error('declared effects rejected; nothing was written', { problems: error.problems });
      }
      // Unknown outcome included (the answer was lost): the FAILED write is conditioned on PROCESSING, so
      // a commit that did happen stands, and the retry finds the event PROCESSED.
      await recordFailure(error, parsed, started.token, deps, logger);
      throw new HandlerFailedError(eventId, { cause: error });
    }
    if (outcome === 'lease_lost') {
      logger.warn('processing lease taken over before the effects were committed; nothing was written');
      throw new ProcessingLeaseLostError(eventId);
    }
  }
  metrics.emit(METRIC.processed, MetricUnit.Count, 1, {
    eventType: isCatalogEventType(eventType) ? eventType : OTHER_EVENT_TYPE,
  });
  if (replay === undefined) {
    metrics.emit(METRIC.endToEndLatency, MetricUnit.Milliseconds, finishedAt - parsed.eventTimestampMs);
  }
  return 'processed';
}

function replayInfo(count: number, request: ReplayRequest | undefined): ReplayInfo {
  return {
    count,
    ...(request?.reason !== undefined ? { reason: request.reason } : {}),
    ...(request?.requestedAt !== undefined && Number.isFinite(request.requestedAt)
      ? { requestedAt: new Date(request.requestedAt).toISOString() }
      : {}),
  };
}

/**
 * The verifier parks an event whose eventTimestamp is out of bounds (lambda/shared/event-time.ts), but a
 * message queued by an earlier version, or redriven from the DLQ, was never judged. Such an event is
 * still handled, never lost, but it cannot move a contact's high-water mark. The processor does not know
 * the verifier's tolerance, so it allows the largest one a configuration can set.
 */
function mayMoveTheGuard(parsed: ParsedRecord, logger: Logger): boolean {
  const problem = eventTimestampProblem(
    parsed.eventTimestampMs,
    parsed.receivedAt,
    MAX_SIGNATURE_TOLERANCE_SECONDS,
  );
  if (problem === undefined) return true;
  logger.warn('eventTimestamp out of bounds: handled without the ordering guard', { problem });
  return false;
}

/**
 * Judges the event against its (locationId, contactId) high-water mark and raises the mark, in one
 * conditional write, if its data has a numeric contactId. The mark moves when the event is taken into
 * processing, before its handler runs: a retry of the same event finds its own timestamp (equal is not
 * stale), and an older event arriving meanwhile is stale against it (docs/handlers.md).
 */
async function readOrderingGuard(
  locationId: number,
  contactId: number | undefined,
  eventTimestampMs: number,
  ledger: ProcessorLedger,
  nowMs: number,
): Promise<OrderingGuard | undefined> {
  if (contactId === undefined) return undefined;
  return ledger.guardOrdering(locationId, contactId, eventTimestampMs, nowMs);
}

function route(envelope: FptEnvelope, ctx: HandlerContext, deps: ProcessRecordDeps): Promise<void> {
  const { eventType } = envelope;
  if (isCatalogEventType(eventType)) {
    // TypeScript cannot correlate handlers[K] with CatalogEnvelope<K> for a union K; parseRecord and
    // catalogDataProblems have checked that the envelope matches eventType.
    const handler = deps.handlers[eventType] as EventHandler<CatalogEventType>;
    return handler(envelope as unknown as CatalogEnvelope<CatalogEventType>, ctx);
  }
  return deps.defaultHandler(envelope, ctx);
}

/** Keeps only stack frames: the first line of a stack repeats the message, which may hold payload data. */
function stackFrames(error: unknown): string[] | undefined {
  if (!(error instanceof Error) || typeof error.stack !== 'string') return undefined;
  return error.stack
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .slice(0, 10)
    .map((line) => line.trim());
}

function errorName(error: unknown): string {
  const name = error instanceof Error ? error.name : typeof error;
  return name.slice(0, 100);
}

async function recordFailure(
  error: unknown,
  parsed: ParsedRecord,
  token: string,
  deps: ProcessRecordDeps,
  logger: Logger,
): Promise<void> {
  const name = errorName(error);
  const isLastReceive = parsed.receiveCount >= deps.maxReceiveCount;
  deps.metrics.emit(METRIC.handlerFailed, MetricUnit.Count, 1);
  // The error's message is neither logged nor stored: handlers may put payload data in it.
  logger.error(
    isLastReceive
      ? 'handler failed on the last receive; the message moves to the DLQ'
      : 'handler failed; will retry',
    {
      errorName: name,
      stackFrames: stackFrames(error),
      problems: error instanceof EnvelopeValidationError ? error.problems : undefined,
      receiveCount: parsed.receiveCount,
      maxReceiveCount: deps.maxReceiveCount,
    },
  );
  // Emitted before the ledger write: the message moves to the DLQ whether or not that write succeeds.
  if (isLastReceive) deps.metrics.emit(METRIC.deadLettered, MetricUnit.Count, 1);
  const kept = await deps.ledger.finishProcessing(parsed.eventId, token, {
    status: isLastReceive ? EVENT_STATUS.deadLettered : EVENT_STATUS.failed,
    nowMs: deps.now(),
    error: name,
  });
  if (!kept) logger.warn('processing lease lost before the failure was recorded');
}
