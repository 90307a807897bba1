import { randomUUID } from 'node:crypto';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  EVENT_STATUS,
  type EventRow,
  type EventStatus,
  listDayOf,
  PARK_REASON,
  PARKED_STATUS,
  type ParkReason,
  parkedKey,
} from '../ledger-schema';
import { eventRowBody, storedBody } from './stored-body';
import { conditionFailureItem, expiresAt, getEvent, isConditionFailure, type LedgerTable } from './table';

/*
 * The verifier's side of the ledger: claim an eventId, give it back, park a delivery. There is no
 * "queued" write: the claim is the verifier's only ledger write on the happy path (docs/architecture.md,
 * the idempotency protocol), so a new event costs one round trip to DynamoDB and one to SQS.
 */

export interface ClaimInput {
  readonly eventId: string;
  readonly subscription: string;
  readonly eventType: string;
  readonly eventTimestamp: string;
  readonly locationId: number;
  /** FPT's `data.contactId` (a safe integer), for `events list --contact`; absent when it has none. */
  readonly contactId?: number;
  readonly bodySha256: string;
  /**
   * The signed bytes, kept on the row for the ledger's retention when the table keeps bodies
   * (lambda/shared/ledger/stored-body.ts); absent, the row says nothing about a body.
   */
  readonly rawBody?: Buffer;
  readonly nowMs: number;
}

export type ClaimResult =
  | { readonly kind: 'claimed'; readonly token: string }
  | {
      readonly kind: 'duplicate';
      readonly status: EventStatus;
      /** False only when the row's body hash is known and is not this delivery's. */
      readonly sameBody: boolean;
    }
  | { readonly kind: 'in_progress' };

/** An authentic delivery kept for inspection instead of being processed. */
export interface ParkInput {
  readonly bodySha256: string;
  readonly subscription: string;
  readonly problems: readonly string[];
  /** @default 'invalid_envelope' */
  readonly reason?: ParkReason;
  /** FPT's `data.contactId` when the envelope parsed (scope, event time, conflicting duplicate). */
  readonly contactId?: number;
  readonly rawBody: Buffer;
  readonly nowMs: number;
}

/**
 * Claims an eventId for enqueueing: one PutItem that succeeds only if the id is new, its row has
 * expired, or a previous claim of the same body is still RECEIVED after its lease ran out. The last
 * case covers both a verifier that crashed before the send and a queued message the processor has not
 * reached yet; the row cannot tell them apart, so the retry sends again and the processor's lease and
 * PROCESSED check skip the second copy. A different body never takes over a RECEIVED row: it is
 * answered as a duplicate with another body (and parked by the verifier).
 */
export async function claimEvent(
  table: LedgerTable,
  claimLeaseMs: number,
  input: ClaimInput,
): Promise<ClaimResult> {
  const token = randomUUID();
  try {
    await table.client.send(
      new PutCommand({
        TableName: table.tableName,
        Item: {
          pk: input.eventId,
          status: EVENT_STATUS.received,
          subscription: input.subscription,
          eventType: input.eventType,
          eventTimestamp: input.eventTimestamp,
          locationId: input.locationId,
          ...(input.contactId !== undefined ? { contactId: input.contactId } : {}),
          bodySha256: input.bodySha256,
          // In this one write: a body fits in the row's first write unit, so keeping it costs no call.
          ...eventRowBody(input.rawBody, table.keepBodies ?? true),
          receivedAt: input.nowMs,
          listDay: listDayOf(input.nowMs),
          expiresAt: expiresAt(table, input.nowMs),
          leaseToken: token,
          leaseExpiresAt: input.nowMs + claimLeaseMs,
        },
        ConditionExpression:
          'attribute_not_exists(#pk) OR #expiresAt < :nowSeconds OR (#status = :received AND #leaseExpiresAt < :nowMs AND #bodySha256 = :bodySha256)',
        ExpressionAttributeNames: {
          '#pk': 'pk',
          '#expiresAt': 'expiresAt',
          '#status': 'status',
          '#leaseExpiresAt': 'leaseExpiresAt',
          '#bodySha256': 'bodySha256',
        },
        ExpressionAttributeValues: {
          ':nowSeconds': Math.floor(input.nowMs / 1000),
          ':nowMs': input.nowMs,
          ':received': EVENT_STATUS.received,
          ':bodySha256': input.bodySha256,
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { kind: 'claimed', token };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const old = conditionFailureItem(error) as Partial<EventRow> | undefined;
    const status = old?.status;
    if (status === undefined) {
      // The condition failed but the old item was not returned (some emulators): read it.
      const row = await getEvent(table, input.eventId);
      if (row === undefined) throw error;
      return classifyExisting(row.status, row.bodySha256, input.bodySha256);
    }
    return classifyExisting(status, old?.bodySha256, input.bodySha256);
  }
}

/**
 * A known eventId. Its body differs only when both hashes are known and differ: a row without one (the
 * processor created it from a message queued before `fpt-body-sha256` existed) proves no difference,
 * and eventId is FPT's idempotency key, so the delivery is a duplicate, not a conflict to park.
 */
function classifyExisting(status: EventStatus, oldSha: string | undefined, newSha: string): ClaimResult {
  const sameBody = oldSha === undefined || oldSha === newSha;
  // A RECEIVED row of the same body is another delivery's live claim: FPT retries (409). Another body
  // is never queued under this eventId, whatever the lease: the verifier parks it.
  if (status === EVENT_STATUS.received && sameBody) return { kind: 'in_progress' };
  return { kind: 'duplicate', status, sameBody };
}

/** Gives a claim back after the queue send failed, so FPT's retry can claim it again at once. */
export async function releaseClaim(table: LedgerTable, eventId: string, token: string): Promise<void> {
  try {
    await table.client.send(
      new DeleteCommand({
        TableName: table.tableName,
        Key: { pk: eventId },
        ConditionExpression: '#status = :received AND #leaseToken = :token',
        ExpressionAttributeNames: { '#status': 'status', '#leaseToken': 'leaseToken' },
        ExpressionAttributeValues: { ':received': EVENT_STATUS.received, ':token': token },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/**
 * Keeps an authentic delivery whose envelope is invalid, keyed by body hash so FPT's retries of the
 * same bytes land on one row. Answering 2xx after this stops FPT retrying it forever.
 *
 * The body is kept byte for byte: as text in `rawBody` when it is valid UTF-8, otherwise base64 in
 * `rawBodyBase64` (decoding would replace the invalid bytes).
 * @returns false when the same body was already parked
 */
export async function parkDelivery(table: LedgerTable, input: ParkInput): Promise<boolean> {
  const body = storedBody(input.rawBody);
  try {
    await table.client.send(
      new PutCommand({
        TableName: table.tableName,
        Item: {
          pk: parkedKey(input.bodySha256),
          status: PARKED_STATUS,
          subscription: input.subscription,
          problems: [...input.problems],
          reason: input.reason ?? PARK_REASON.invalidEnvelope,
          ...body,
          receivedAt: input.nowMs,
          // In the list index too, so `events list --status invalid_envelope` is a query like the others.
          listDay: listDayOf(input.nowMs),
          ...(input.contactId !== undefined ? { contactId: input.contactId } : {}),
          expiresAt: expiresAt(table, input.nowMs),
        },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'pk' },
      }),
    );
    return true;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return false;
  }
}
