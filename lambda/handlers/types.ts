import type { Logger } from '@aws-lambda-powertools/logger';
import type { CatalogEnvelope, CatalogEventType, FptEnvelope } from '../shared/fpt-events';
import type { TransactionalEffects } from './effects';

export type {
  ConditionCheckEffectProps,
  DeleteEffectProps,
  DynamoDbEffect,
  EffectAttributes,
  EffectExpressionProps,
  PutEffectProps,
  TransactionalEffects,
  UpdateEffectProps,
} from './effects';

/** What the processor tells a handler about the delivery it is running for. */
export interface HandlerContext {
  /** The FPT subscription (URL path name) the event arrived on. */
  readonly subscription: string;
  /**
   * 1-based count of processing attempts for this eventId, from the ledger: 1 the first time, more after
   * a handler failure or a redrive from the DLQ.
   */
  readonly attempt: number;
  /** When the verifier accepted the delivery, epoch milliseconds. */
  readonly receivedAt: number;
  /**
   * True when `eventTimestamp` is older than the newest event already processed for the same
   * (locationId, contactId): a late or retried event. Do not let it overwrite newer state.
   * Always false for events whose `data` has no numeric `contactId`.
   */
  readonly isStale: boolean;
  /**
   * True for a test event sent by `fpt-webhooks send-test-event` or `fpt-webhooks acceptance`: its body
   * carries the marker `"fpt-webhook-receiver:test": true`, covered by the signature, so only someone
   * holding the subscription's secret can send one. Its ids are made up: skip side effects (writes,
   * emails, calls to other systems) and return. It is deduplicated like any event, but the ordering
   * guard ignores it (`isStale` is false and it never moves a contact's high-water mark).
   */
  readonly isTest: boolean;
  /** The high-water mark `isStale` was judged against, ISO-8601 UTC; absent when none was recorded yet. */
  readonly highWaterMark?: string;
  /**
   * A Powertools Logger that already carries `eventId` and `subscription`. Log ids, never the `data`
   * object or field values you do not need.
   */
  readonly logger: Logger;
  /**
   * Stable for the event: the same on every attempt, redelivery and DLQ redrive of it (its eventId,
   * lowercase). Pass it to APIs outside DynamoDB that deduplicate requests, e.g. as an `Idempotency-Key`
   * header, so the one window in which a handler can run twice does not repeat their effect.
   */
  readonly idempotencyKey: string;
  /**
   * DynamoDB writes to commit exactly once: declared here, written after the handler returns, in one
   * transaction with the event's PROCESSED record (see docs/handlers.md, "Exactly-once DynamoDB writes").
   */
  readonly effects: TransactionalEffects;
}

/** A handler for one catalog event type; `event.data` is typed for that type. Throw to fail (and retry). */
export type EventHandler<T extends CatalogEventType> = (
  event: CatalogEnvelope<T>,
  ctx: HandlerContext,
) => Promise<void>;

/** One handler per catalog event type; the compiler tells you when FPT's catalog grows. */
export type EventHandlers = { readonly [K in CatalogEventType]: EventHandler<K> };

/** Runs for event types outside the catalog (FPT's roadmap families). `data` has no documented shape. */
export type DefaultHandler = (event: FptEnvelope, ctx: HandlerContext) => Promise<void>;
