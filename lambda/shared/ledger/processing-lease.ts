import { randomUUID } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { EVENT_STATUS, type EventRow, type EventStatus, listDayOf } from '../ledger-schema';
import { eventRowBody } from './stored-body';
import { conditionFailureItem, expiresAt, getEvent, isConditionFailure, type LedgerTable } from './table';

/* The processor's lease on an event: take it, then record the outcome under it. */

export interface StartProcessingInput {
  readonly eventId: string;
  readonly subscription: string;
  readonly eventType: string;
  /**
   * Hex SHA-256 of the signed bytes, from the message's `fpt-body-sha256`; absent on messages queued
   * before the attribute existed. Kept on a row the processor creates, so FPT's retry of the same bytes
   * is a duplicate, not a different body.
   */
  readonly bodySha256?: string;
  /**
   * The signed bytes the message carries. Kept on a row that has no body yet when the table keeps bodies,
   * so an event whose claim's row is gone still has its body for the ledger's retention.
   */
  readonly rawBody?: Buffer;
  /** The verifier's `receivedAt` (message attribute `fpt-received-at`): a created row is listed by it. */
  readonly receivedAt?: number;
  /** FPT's `data.contactId`, kept on a created row for `events list --contact`. */
  readonly contactId?: number;
  /**
   * The replay number n of a replay message (`fpt-replay`); absent on a delivery from the verifier. A
   * replay takes only an existing row on which replay n was requested and has not yet run to success.
   */
  readonly replay?: number;
  readonly nowMs: number;
}

/** The request of the replay being run, from the row's `lastReplay*`, when they belong to it. */
export interface ReplayRequest {
  /** Epoch ms. */
  readonly requestedAt?: number;
  readonly reason?: string;
}

/**
 * Why a replay message was refused without a lease: its event has no row (it expired away), or the row
 * holds no request for this replay (`replayCount` below n). Nothing is written either way.
 */
export type ReplayRefusal = 'row_missing' | 'not_requested';

export type StartProcessingResult =
  | {
      readonly kind: 'started';
      readonly token: string;
      readonly attempts: number;
      readonly previousStatus?: EventStatus;
      /**
       * The row's `replayCount` when the lease was taken: a success under this lease has run every replay
       * requested so far, and records it as `replayDone`. Absent when none was ever requested.
       */
      readonly replayCount?: number;
      /** On a replay: its request, when the row's `lastReplay*` are replay n's (no newer one was requested). */
      readonly replayRequest?: ReplayRequest;
    }
  | { readonly kind: 'already_processed' }
  | { readonly kind: 'in_progress' }
  | { readonly kind: 'replay_refused'; readonly reason: ReplayRefusal };

/** How a processing attempt ended; a failure carries its error for the row's `lastError`. */
export type ProcessingOutcome =
  | {
      readonly status: typeof EVENT_STATUS.processed;
      readonly nowMs: number;
      /** The lease's `replayCount` (StartProcessingResult): every replay up to it has now run. */
      readonly replayDone?: number;
    }
  | {
      readonly status: typeof EVENT_STATUS.failed | typeof EVENT_STATUS.deadLettered;
      readonly nowMs: number;
      readonly error: string;
    };

/**
 * Takes the processing lease. Succeeds unless the event is already PROCESSED or another invocation
 * holds a live lease. Creates the row if there is none: it expired away (a message redriven from the DLQ
 * late), or the verifier released its claim because SendMessage's answer was lost although the message
 * was queued. Such a row carries the message's body hash, so FPT's retry of those bytes is a duplicate.
 *
 * A replay n (`input.replay`) instead takes the row only when it exists, holds the request
 * (`replayCount >= n`) and replay n has not run to success (`replayDone < n`), whatever its status
 * (PROCESSED or DEAD_LETTERED when requested, FAILED after a failed replay attempt), unless a live lease
 * holds it. It never creates a row: a handler runs only on what the ledger holds.
 */
export async function startProcessing(
  table: LedgerTable,
  processingLeaseMs: number,
  input: StartProcessingInput,
): Promise<StartProcessingResult> {
  const token = randomUUID();
  const isReplay = input.replay !== undefined;
  const withHash = input.bodySha256 !== undefined;
  // Only a body: a row whose body is not kept (retention off, too large) is left saying what the claim said.
  const body =
    input.rawBody !== undefined && (table.keepBodies ?? true) ? eventRowBody(input.rawBody, true) : {};
  const [bodyName, bodyValue] = Object.entries(body).find(([name]) => name !== 'bodyNotKept') ?? [];
  // A created row enters the list index as the claim's would have; if_not_exists: written once.
  const listed = listedAttributes(input);
  try {
    const out = await table.client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { pk: input.eventId },
        UpdateExpression:
          'SET #status = :processing, #processingToken = :token, #processingExpiresAt = :leaseEnd, ' +
          '#attempts = if_not_exists(#attempts, :zero) + :one, ' +
          '#subscription = if_not_exists(#subscription, :subscription), ' +
          '#eventType = if_not_exists(#eventType, :eventType), ' +
          // The claim's hash stays; a row the verifier released (its send's answer was lost) gets the message's.
          (withHash ? '#bodySha256 = if_not_exists(#bodySha256, :bodySha256), ' : '') +
          (bodyName !== undefined ? '#body = if_not_exists(#body, :body), ' : '') +
          listed.update +
          '#expiresAt = if_not_exists(#expiresAt, :expiresAt)',
        ConditionExpression: isReplay
          ? 'attribute_exists(#pk) AND attribute_exists(#replayCount) AND #replayCount >= :replay AND ' +
            '(attribute_not_exists(#replayDone) OR #replayDone < :replay) AND ' +
            '(#status <> :processing OR #processingExpiresAt < :nowMs)'
          : 'attribute_not_exists(#pk) OR (#status <> :processed AND (#status <> :processing OR #processingExpiresAt < :nowMs))',
        ExpressionAttributeNames: {
          '#pk': 'pk',
          ...(isReplay ? { '#replayCount': 'replayCount', '#replayDone': 'replayDone' } : {}),
          '#status': 'status',
          '#processingToken': 'processingToken',
          '#processingExpiresAt': 'processingExpiresAt',
          '#attempts': 'attempts',
          '#subscription': 'subscription',
          '#eventType': 'eventType',
          '#expiresAt': 'expiresAt',
          ...(withHash ? { '#bodySha256': 'bodySha256' } : {}),
          ...(bodyName !== undefined ? { '#body': bodyName } : {}),
          ...listed.names,
        },
        ExpressionAttributeValues: {
          ':processing': EVENT_STATUS.processing,
          ...(isReplay ? { ':replay': input.replay } : { ':processed': EVENT_STATUS.processed }),
          ':token': token,
          ':leaseEnd': input.nowMs + processingLeaseMs,
          ':nowMs': input.nowMs,
          ':zero': 0,
          ':one': 1,
          ':subscription': input.subscription,
          ':eventType': input.eventType,
          ':expiresAt': expiresAt(table, input.nowMs),
          ...(withHash ? { ':bodySha256': input.bodySha256 } : {}),
          ...(bodyName !== undefined ? { ':body': bodyValue } : {}),
          ...listed.values,
        },
        ReturnValues: 'ALL_OLD',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    const old = out.Attributes as Partial<EventRow> | undefined;
    return {
      kind: 'started',
      token,
      attempts: (old?.attempts ?? 0) + 1,
      ...(old?.status !== undefined ? { previousStatus: old.status } : {}),
      ...(old?.replayCount !== undefined ? { replayCount: old.replayCount } : {}),
      ...(input.replay !== undefined && old?.replayCount === input.replay
        ? { replayRequest: replayRequestOf(old) }
        : {}),
    };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // The old row comes back with the failure; a missing row does not, and neither does one from an
    // emulator that leaves it out, so read it then.
    const old =
      (conditionFailureItem(error) as Partial<EventRow> | undefined) ??
      (await getEvent(table, input.eventId));
    return input.replay === undefined ? refusalOf(old) : replayRefusalOf(old, input.replay);
  }
}

/** The `SET` clauses that put a created row in the list index, writing nothing a row already has. */
function listedAttributes(input: StartProcessingInput): {
  update: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
} {
  if (input.receivedAt === undefined) return { update: '', names: {}, values: {} };
  const withContact = input.contactId !== undefined;
  return {
    update:
      '#receivedAt = if_not_exists(#receivedAt, :receivedAt), #listDay = if_not_exists(#listDay, :listDay), ' +
      (withContact ? '#contactId = if_not_exists(#contactId, :contactId), ' : ''),
    names: {
      '#receivedAt': 'receivedAt',
      '#listDay': 'listDay',
      ...(withContact ? { '#contactId': 'contactId' } : {}),
    },
    values: {
      ':receivedAt': input.receivedAt,
      ':listDay': listDayOf(input.receivedAt),
      ...(withContact ? { ':contactId': input.contactId } : {}),
    },
  };
}

function replayRequestOf(row: Partial<EventRow>): ReplayRequest {
  return {
    ...(row.lastReplayAt !== undefined ? { requestedAt: row.lastReplayAt } : {}),
    ...(row.lastReplayReason !== undefined ? { reason: row.lastReplayReason } : {}),
  };
}

function refusalOf(row: Partial<EventRow> | undefined): StartProcessingResult {
  return row?.status === EVENT_STATUS.processed ? { kind: 'already_processed' } : { kind: 'in_progress' };
}

/** Why replay n was not started, from the row as it stood: done, not ours to run, or leased. */
function replayRefusalOf(row: Partial<EventRow> | undefined, replay: number): StartProcessingResult {
  if (row === undefined) return { kind: 'replay_refused', reason: 'row_missing' };
  if ((row.replayDone ?? 0) >= replay) return { kind: 'already_processed' };
  if ((row.replayCount ?? 0) < replay) return { kind: 'replay_refused', reason: 'not_requested' };
  return { kind: 'in_progress' };
}

/**
 * Records the outcome. Conditional on our lease token, so a stale invocation cannot overwrite a newer
 * one. A success also records `replayDone`: the replays requested before the lease have run.
 * @returns false when the lease was lost (another invocation took over)
 */
export async function finishProcessing(
  table: LedgerTable,
  eventId: string,
  token: string,
  outcome: ProcessingOutcome,
): Promise<boolean> {
  const isSuccess = outcome.status === EVENT_STATUS.processed;
  const replayDone = outcome.status === EVENT_STATUS.processed ? outcome.replayDone : undefined;
  try {
    await table.client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { pk: eventId },
        UpdateExpression: isSuccess
          ? `SET #status = :status, #processedAt = :now${replayDone !== undefined ? ', #replayDone = :replayDone' : ''} REMOVE #processingExpiresAt, #lastError`
          : 'SET #status = :status, #failedAt = :now, #lastError = :error REMOVE #processingExpiresAt',
        // Still PROCESSING too: once PROCESSED (by a commit whose answer was lost), no outcome replaces it.
        ConditionExpression: '#processingToken = :token AND #status = :processing',
        ExpressionAttributeNames: {
          '#status': 'status',
          '#processingToken': 'processingToken',
          '#processingExpiresAt': 'processingExpiresAt',
          '#lastError': 'lastError',
          ...(isSuccess ? { '#processedAt': 'processedAt' } : { '#failedAt': 'failedAt' }),
          ...(replayDone !== undefined ? { '#replayDone': 'replayDone' } : {}),
        },
        ExpressionAttributeValues: {
          ':status': outcome.status,
          ':processing': EVENT_STATUS.processing,
          ':token': token,
          ':now': outcome.nowMs,
          ...('error' in outcome ? { ':error': outcome.error } : {}),
          ...(replayDone !== undefined ? { ':replayDone': replayDone } : {}),
        },
      }),
    );
    return true;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return false;
  }
}
