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

/** An explicit replay (`fpt-webhooks events replay`), as recorded in the ledger when it was requested. */
export interface ReplayInfo {
  /** Which replay of the event this is: 1 for the first one requested, then 2, 3... */
  readonly count: number;
  /** The operator's reason, when the ledger still holds this replay's request (no newer one was made). */
  readonly reason?: string;
  /** When the replay was requested, ISO-8601 UTC; present under the same condition as `reason`. */
  readonly requestedAt?: string;
}

/** What the processor tells a handler about the delivery it is running for. */
export interface HandlerContext {
  /** The FPT subscription (URL path name) the event arrived on. */
  readonly subscription: string;
  /**
   * 1-based count of processing attempts for this eventId, from the ledger: 1 the first time, more after
   * a handler failure or a redrive from the DLQ. A replay counts on from the event's earlier attempts.
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
   * On replay n it is `<eventId>:replay:<n>`, stable across that replay's redeliveries, so a downstream
   * API does not swallow the replay as a repeat of the first run.
   */
  readonly idempotencyKey: string;
  /**
   * Present only when this run is an explicit replay of the event, requested by an operator after it was
   * PROCESSED or DEAD_LETTERED. Each replay runs the handler to success at most once. See docs/handlers.md.
   */
  readonly replay?: ReplayInfo;
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
