import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  EVENT_STATUS,
  type EventRow,
  type EventStatus,
  orderKey,
  PARKED_STATUS,
  parkedKey,
} from './ledger-schema';

export interface LedgerOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly retentionDays: number;
  /**
   * How long a verifier claim blocks other deliveries of the same eventId. Longer than the verifier's
   * timeout, so a live claim is never stolen; short enough that FPT's retry after a crash gets through.
   * @default 30_000
   */
  readonly claimLeaseMs?: number;
  /**
   * How long a processor claim blocks other invocations. Must exceed the processor timeout.
   * @default 180_000
   */
  readonly processingLeaseMs?: number;
}

export interface ClaimInput {
  readonly eventId: string;
  readonly subscription: string;
  readonly eventType: string;
  readonly eventTimestamp: string;
  readonly locationId: number;
  readonly bodySha256: string;
  readonly nowMs: number;
}

export type ClaimResult =
  | { readonly kind: 'claimed'; readonly token: string }
  | { readonly kind: 'duplicate'; readonly status: EventStatus; readonly sameBody: boolean }
  | { readonly kind: 'in_progress' };

export type StartProcessingResult =
  | {
      readonly kind: 'started';
      readonly token: string;
      readonly attempts: number;
      readonly previousStatus?: EventStatus;
    }
  | { readonly kind: 'already_processed' }
  | { readonly kind: 'in_progress' };

const isConditionFailure = (error: unknown): error is ConditionalCheckFailedException =>
  error instanceof ConditionalCheckFailedException ||
  (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';

/**
 * The event ledger: the idempotency protocol on one DynamoDB table, after Powertools' idempotency
 * persistence layer (conditional put with a lease, delete-on-failure) extended with processing state.
 *
 * Every write is conditional, so concurrent and repeated deliveries race safely and the only shared
 * truth is the row.
 */
export class EventLedger {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly retentionSeconds: number;
  private readonly claimLeaseMs: number;
  private readonly processingLeaseMs: number;

  constructor(options: LedgerOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.retentionSeconds = options.retentionDays * 24 * 60 * 60;
    this.claimLeaseMs = options.claimLeaseMs ?? 30_000;
    this.processingLeaseMs = options.processingLeaseMs ?? 180_000;
  }

  private expiresAt(nowMs: number): number {
    return Math.floor(nowMs / 1000) + this.retentionSeconds;
  }

  /**
   * Claims an eventId for enqueueing: one PutItem that succeeds only if the id is new, its row has
   * expired, or a previous claim's lease ran out (the verifier crashed before queueing).
   */
  async claim(input: ClaimInput): Promise<ClaimResult> {
    const token = randomUUID();
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: input.eventId,
            status: EVENT_STATUS.received,
            subscription: input.subscription,
            eventType: input.eventType,
            eventTimestamp: input.eventTimestamp,
            locationId: input.locationId,
            bodySha256: input.bodySha256,
            receivedAt: input.nowMs,
            expiresAt: this.expiresAt(input.nowMs),
            leaseToken: token,
            leaseExpiresAt: input.nowMs + this.claimLeaseMs,
          },
          ConditionExpression:
            'attribute_not_exists(#pk) OR #expiresAt < :nowSeconds OR (#status = :received AND #leaseExpiresAt < :nowMs)',
          ExpressionAttributeNames: {
            '#pk': 'pk',
            '#expiresAt': 'expiresAt',
            '#status': 'status',
            '#leaseExpiresAt': 'leaseExpiresAt',
          },
          ExpressionAttributeValues: {
            ':nowSeconds': Math.floor(input.nowMs / 1000),
            ':nowMs': input.nowMs,
            ':received': EVENT_STATUS.received,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'claimed', token };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const old = error.Item as Record<string, { S?: string }> | undefined;
      const status = old?.status?.S as EventStatus | undefined;
      if (status === undefined) {
        // The condition failed but the old item was not returned (some emulators): read it.
        const row = await this.getEvent(input.eventId);
        if (row === undefined) throw error;
        return this.classifyExisting(row.status, row.bodySha256, input.bodySha256);
      }
      return this.classifyExisting(status, old?.bodySha256?.S, input.bodySha256);
    }
  }

  private classifyExisting(status: EventStatus, oldSha: string | undefined, newSha: string): ClaimResult {
    if (status === EVENT_STATUS.received) return { kind: 'in_progress' };
    return { kind: 'duplicate', status, sameBody: oldSha === newSha };
  }

  /** Gives a claim back after the queue send failed, so FPT's retry can claim it again at once. */
  async release(eventId: string, token: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
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
   * Records that the event is queued. If the processor got there first (the row moved on), the
   * condition fails and that is fine: the message was sent.
   */
  async markEnqueued(eventId: string, token: string, messageId: string, nowMs: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: eventId },
          UpdateExpression:
            'SET #status = :enqueued, #enqueuedAt = :now, #messageId = :messageId REMOVE #leaseExpiresAt',
          ConditionExpression: '#status = :received AND #leaseToken = :token',
          ExpressionAttributeNames: {
            '#status': 'status',
            '#enqueuedAt': 'enqueuedAt',
            '#messageId': 'messageId',
            '#leaseExpiresAt': 'leaseExpiresAt',
            '#leaseToken': 'leaseToken',
          },
          ExpressionAttributeValues: {
            ':enqueued': EVENT_STATUS.enqueued,
            ':received': EVENT_STATUS.received,
            ':now': nowMs,
            ':messageId': messageId,
            ':token': token,
          },
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
  async park(input: {
    bodySha256: string;
    subscription: string;
    problems: readonly string[];
    rawBody: Buffer;
    nowMs: number;
  }): Promise<boolean> {
    const body = isUtf8(input.rawBody)
      ? { rawBody: input.rawBody.toString('utf8') }
      : { rawBodyBase64: input.rawBody.toString('base64') };
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: parkedKey(input.bodySha256),
            status: PARKED_STATUS,
            subscription: input.subscription,
            problems: [...input.problems],
            ...body,
            receivedAt: input.nowMs,
            expiresAt: this.expiresAt(input.nowMs),
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

  async getEvent(eventId: string): Promise<EventRow | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: eventId }, ConsistentRead: true }),
    );
    return out.Item as EventRow | undefined;
  }

  /**
   * Takes the processing lease. Succeeds unless the event is already PROCESSED or another invocation
   * holds a live lease. Creates the row if it has expired away (a message redriven from the DLQ late).
   */
  async startProcessing(input: {
    eventId: string;
    subscription: string;
    eventType: string;
    nowMs: number;
  }): Promise<StartProcessingResult> {
    const token = randomUUID();
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: input.eventId },
          UpdateExpression:
            'SET #status = :processing, #processingToken = :token, #processingExpiresAt = :leaseEnd, ' +
            '#attempts = if_not_exists(#attempts, :zero) + :one, ' +
            '#subscription = if_not_exists(#subscription, :subscription), ' +
            '#eventType = if_not_exists(#eventType, :eventType), ' +
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
          },
          ExpressionAttributeValues: {
            ':processing': EVENT_STATUS.processing,
            ':processed': EVENT_STATUS.processed,
            ':token': token,
            ':leaseEnd': input.nowMs + this.processingLeaseMs,
            ':nowMs': input.nowMs,
            ':zero': 0,
            ':one': 1,
            ':subscription': input.subscription,
            ':eventType': input.eventType,
            ':expiresAt': this.expiresAt(input.nowMs),
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
      if (status === undefined) status = (await this.getEvent(input.eventId))?.status;
      return status === EVENT_STATUS.processed ? { kind: 'already_processed' } : { kind: 'in_progress' };
    }
  }

  /**
   * Marks success. Conditional on our lease token, so a stale invocation cannot overwrite a newer one.
   * @returns false when the lease was lost (another invocation took over)
   */
  async finishProcessing(
    eventId: string,
    token: string,
    outcome:
      | { status: typeof EVENT_STATUS.processed; nowMs: number }
      | {
          status: typeof EVENT_STATUS.failed | typeof EVENT_STATUS.deadLettered;
          nowMs: number;
          error: string;
        },
  ): Promise<boolean> {
    const isSuccess = outcome.status === EVENT_STATUS.processed;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: eventId },
          UpdateExpression: isSuccess
            ? 'SET #status = :status, #processedAt = :now REMOVE #processingExpiresAt, #lastError'
            : 'SET #status = :status, #failedAt = :now, #lastError = :error REMOVE #processingExpiresAt',
          ConditionExpression: '#processingToken = :token',
          ExpressionAttributeNames: {
            '#status': 'status',
            '#processingToken': 'processingToken',
            '#processingExpiresAt': 'processingExpiresAt',
            '#lastError': 'lastError',
            ...(isSuccess ? { '#processedAt': 'processedAt' } : { '#failedAt': 'failedAt' }),
          },
          ExpressionAttributeValues: {
            ':status': outcome.status,
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

  /** The ordering guard's high-water mark (epoch ms of the newest eventTimestamp processed). */
  async getHighWaterMark(locationId: number, contactId: number | string): Promise<number | undefined> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: orderKey(locationId, contactId) },
        ConsistentRead: true,
      }),
    );
    return (out.Item?.highWaterMark as number | undefined) ?? undefined;
  }

  /** Raises the high-water mark; never lowers it, so late arrivals cannot move it back. */
  async advanceHighWaterMark(
    locationId: number,
    contactId: number | string,
    eventTimestampMs: number,
    nowMs: number,
  ): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: orderKey(locationId, contactId) },
          UpdateExpression: 'SET #hwm = :ts, #expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(#hwm) OR #hwm < :ts',
          ExpressionAttributeNames: { '#hwm': 'highWaterMark', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ':ts': eventTimestampMs, ':expiresAt': this.expiresAt(nowMs) },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}
