import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoDbEffect } from '../../handlers/effects';
import { DEFAULT_PROCESSING_LEASE_SECONDS, DEFAULTS } from '../defaults';
import type { EventRow } from '../ledger-schema';
import {
  type ClaimInput,
  type ClaimResult,
  claimEvent,
  type ParkInput,
  parkDelivery,
  releaseClaim,
} from './claim';
import { type CommitOutcome, commitProcessedWithEffects } from './effects-commit';
import { getHighWaterMark, guardOrdering, type OrderingVerdict } from './ordering';
import {
  finishProcessing,
  type ProcessingOutcome,
  type StartProcessingInput,
  type StartProcessingResult,
  startProcessing,
} from './processing-lease';
import { getEvent, type LedgerTable } from './table';

export interface LedgerOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly retentionDays: number;
  /**
   * How long a verifier claim blocks other deliveries of the same eventId. Longer than the verifier's
   * timeout, so a live claim is never stolen; short enough that FPT's retry after a crash gets through.
   * @default DEFAULTS.claimLeaseMs (30 s)
   */
  readonly claimLeaseMs?: number;
  /**
   * How long a processor claim blocks other invocations. Must exceed the processor timeout.
   * @default the deployed default, DEFAULT_PROCESSING_LEASE_SECONDS (60 s)
   */
  readonly processingLeaseMs?: number;
  /**
   * Whether event rows keep the event's exact body for the ledger's retention (config `keepEventBodies`).
   * @default true
   */
  readonly keepEventBodies?: boolean;
}

/**
 * The event ledger: the idempotency protocol on one DynamoDB table, after Powertools' idempotency
 * persistence layer (conditional put with a lease, delete-on-failure) extended with processing state.
 *
 * Every write is conditional, so concurrent and repeated deliveries race safely and the only shared
 * truth is the row. Each concern lives in its own module: claim.ts (the verifier's claim, release and
 * park), processing-lease.ts (the processor's lease and outcome) and ordering.ts (the
 * per-contact high-water mark); this class binds them to one table and its leases.
 */
export class EventLedger {
  private readonly table: LedgerTable;
  private readonly claimLeaseMs: number;
  private readonly processingLeaseMs: number;

  constructor(options: LedgerOptions) {
    this.table = {
      client: options.client,
      tableName: options.tableName,
      retentionSeconds: options.retentionDays * 24 * 60 * 60,
      keepBodies: options.keepEventBodies ?? true,
    };
    this.claimLeaseMs = options.claimLeaseMs ?? DEFAULTS.claimLeaseMs;
    this.processingLeaseMs = options.processingLeaseMs ?? DEFAULT_PROCESSING_LEASE_SECONDS * 1000;
  }

  /** The ledger's table name. */
  get tableName(): string {
    return this.table.tableName;
  }

  /** See {@link claimEvent}. */
  claim(input: ClaimInput): Promise<ClaimResult> {
    return claimEvent(this.table, this.claimLeaseMs, input);
  }

  /** See {@link releaseClaim}. */
  release(eventId: string, token: string): Promise<void> {
    return releaseClaim(this.table, eventId, token);
  }

  /** See {@link parkDelivery}. */
  park(input: ParkInput): Promise<boolean> {
    return parkDelivery(this.table, input);
  }

  getEvent(eventId: string): Promise<EventRow | undefined> {
    return getEvent(this.table, eventId);
  }

  /** See {@link startProcessing}. */
  startProcessing(input: StartProcessingInput): Promise<StartProcessingResult> {
    return startProcessing(this.table, this.processingLeaseMs, input);
  }

  /** See {@link finishProcessing}. */
  finishProcessing(eventId: string, token: string, outcome: ProcessingOutcome): Promise<boolean> {
    return finishProcessing(this.table, eventId, token, outcome);
  }

  /** See {@link commitProcessedWithEffects}. */
  commitProcessed(
    eventId: string,
    token: string,
    nowMs: number,
    effects: readonly DynamoDbEffect[],
    replayDone?: number,
  ): Promise<CommitOutcome> {
    return commitProcessedWithEffects(this.table, eventId, token, nowMs, effects, replayDone);
  }

  /** See {@link getHighWaterMark}. */
  getHighWaterMark(locationId: number, contactId: number | string): Promise<number | undefined> {
    return getHighWaterMark(this.table, locationId, contactId);
  }

  /** See {@link guardOrdering}. */
  guardOrdering(
    locationId: number,
    contactId: number | string,
    eventTimestampMs: number,
    nowMs: number,
  ): Promise<OrderingVerdict> {
    return guardOrdering(this.table, locationId, contactId, eventTimestampMs, nowMs);
  }
}
