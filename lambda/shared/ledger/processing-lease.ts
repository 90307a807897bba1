import { randomUUID } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { EVENT_STATUS, type EventRow, type EventStatus, listDayOf } from '../ledger-schema';
import { eventRowBody } from './stored-body';
import { expiresAt, getEvent, isConditionFailure, type LedgerTable } from './table';

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
  readonly nowMs: number;
}

export type StartProcessingResult =
  | {
      readonly kind: 'started';
      readonly token: string;
      readonly attempts: number;
      readonly previousStatus?: EventStatus;
    }
  | { readonly kind: 'already_processed' }
  | { readonly kind: 'in_progress' };

/** How a processing attempt ended; a failure carries its error for the row's `lastError`. */
export type ProcessingOutcome =
  | { readonly status: typeof EVENT_STATUS.processed; readonly nowMs: number }
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
 */
export async function startProcessing(
  table: LedgerTable,
  processingLeaseMs: number,
  input: StartProcessingInput,
): Promise<StartProcessingResult> {
  const token = randomUUID();
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
        ConditionExpression:
          'attribute_not_exists(#pk) OR (#status <> :processed AND (#status <> :processing OR #processingExpiresAt < :nowMs))',
        ExpressionAttributeNames: {
          '#pk': 'pk',
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
          ':processed': EVENT_STATUS.processed,
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
    };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const old = error.Item as Record<string, { S?: string }> | undefined;
    let status = old?.status?.S;
    if (status === undefined) status = (await getEvent(table, input.eventId))?.status;
    return status === EVENT_STATUS.processed ? { kind: 'already_processed' } : { kind: 'in_progress' };
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

/**
 * Marks success. Conditional on our lease token, so a stale invocation cannot overwrite a newer one.
 * @returns false when the lease was lost (another invocation took over)
 */
export async function finishProcessing(
  table: LedgerTable,
  eventId: string,
  token: string,
  outcome: ProcessingOutcome,
): Promise<boolean> {
  const isSuccess = outcome.status === EVENT_STATUS.processed;
  try {
    await table.client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { pk: eventId },
        UpdateExpression: isSuccess
          ? 'SET #status = :status, #processedAt = :now REMOVE #processingExpiresAt, #lastError'
          : 'SET #status = :status, #failedAt = :now, #lastError = :error REMOVE #processingExpiresAt',
        // Still PROCESSING too: once PROCESSED (by a commit whose answer was lost), no outcome replaces it.
        ConditionExpression: '#processingToken = :token AND #status = :processing',
        ExpressionAttributeNames: {
          '#status': 'status',
          '#processingToken': 'processingToken',
          '#processingExpiresAt': 'processingExpiresAt',
          '#lastError': 'lastError',
          ...(isSuccess ? { '#processedAt': 'processedAt' } : { '#failedAt': 'failedAt' }),
        },
        ExpressionAttributeValues: {
          ':status': outcome.status,
          ':processing': EVENT_STATUS.processing,
          ':token': token,
          ':now': outcome.nowMs,
          ...('error' in outcome ? { ':error': outcome.error } : {}),
        },
      }),
    );
    return true;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return false;
  }
}
