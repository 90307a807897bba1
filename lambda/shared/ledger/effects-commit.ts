import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { DynamoDbEffect } from '../../handlers/effects';
import { EffectsRejectedError } from '../errors';
import { EVENT_STATUS } from '../ledger-schema';
import type { LedgerTable } from './table';

/*
 * A handler's declared DynamoDB effects and the event's PROCESSED transition, committed as one
 * TransactWriteItems (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html).
 * The transition is conditioned on the processing token and on the row still being PROCESSING, so the
 * effects are written only by the invocation that owns the event, and only once.
 */

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** TransactWriteItems' most actions per call. */
export const TRANSACT_WRITE_MAX_ACTIONS = 100;
/** TransactWriteItems' most aggregate item size per call. */
export const TRANSACT_WRITE_MAX_BYTES = 4 * 1024 * 1024;

/** How a commit ended; a cancellation for another reason throws EffectsRejectedError. */
export type CommitOutcome = 'committed' | 'lease_lost';

/** One key attribute value as DynamoDB compares it: type and value (S, N or B). */
function keyValue(value: unknown): string {
  if (typeof value === 'string') return `S:${value}`;
  if (typeof value === 'number' || typeof value === 'bigint') return `N:${String(value)}`;
  if (value instanceof Uint8Array) return `B:${Buffer.from(value).toString('base64')}`;
  const numberValue = (value as { value?: unknown } | null)?.value;
  if (typeof numberValue === 'string') return `N:${numberValue}`;
  return `?:${JSON.stringify(value)}`;
}

function keyOf(key: Readonly<Record<string, unknown>>): string {
  return Object.keys(key)
    .sort()
    .map((name) => `${name}=${keyValue(key[name])}`)
    .join('|');
}

/** An upper bound of an attribute value's size as DynamoDB counts it (names and values in UTF-8). */
function approximateBytes(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number' || typeof value === 'bigint') return String(value).length + 1;
  if (value instanceof Uint8Array) return value.length;
  if (value instanceof Set) return [...value].reduce((sum: number, v) => sum + approximateBytes(v), 3);
  if (Array.isArray(value)) return value.reduce((sum: number, v) => sum + 1 + approximateBytes(v), 3);
  if (typeof value === 'object') {
    return Object.entries(value).reduce(
      (sum, [name, v]) => sum + 1 + Buffer.byteLength(name, 'utf8') + approximateBytes(v),
      3,
    );
  }
  return 0;
}

function effectBytes(effect: DynamoDbEffect): number {
  const { props } = effect;
  const body = 'item' in props ? props.item : props.key;
  return approximateBytes(body) + approximateBytes(props.expressionAttributeValues ?? {});
}

/**
 * Why a handler's declared effects cannot go into one transaction with the event's transition, checked
 * before anything is sent: the action count (the transition included), the aggregate size, two actions on
 * one item, and any action on the ledger table, whose rows are the protocol's own.
 * A put's key is unknown without the table's schema; it conflicts with another action when its item
 * holds that action's whole key. Two puts of one item are refused by DynamoDB itself (ValidationException).
 * @returns problems naming effects by index, never by value; empty when the effects can be committed
 */
export function effectProblems(effects: readonly DynamoDbEffect[], ledgerTableName: string): string[] {
  const problems: string[] = [];
  if (effects.length + 1 > TRANSACT_WRITE_MAX_ACTIONS) {
    problems.push(
      `${effects.length} effects plus the ledger's PROCESSED transition exceed TransactWriteItems' ${TRANSACT_WRITE_MAX_ACTIONS} actions`,
    );
  }
  const bytes = effects.reduce((sum, effect) => sum + effectBytes(effect), 0);
  if (bytes > TRANSACT_WRITE_MAX_BYTES) {
    problems.push(`effects total about ${bytes} bytes, over TransactWriteItems' 4 MB`);
  }
  const keyed = new Map<string, number>();
  effects.forEach((effect, index) => {
    if (effect.props.tableName === ledgerTableName) {
      problems.push(`effect ${index} writes to the event ledger table, which only the receiver writes`);
    }
    if (effect.kind === 'put') return;
    const id = `${effect.props.tableName}\u0000${keyOf(effect.props.key)}`;
    const first = keyed.get(id);
    if (first !== undefined) problems.push(`effects ${first} and ${index} act on the same item`);
    else keyed.set(id, index);
  });
  effects.forEach((effect, index) => {
    if (effect.kind !== 'put') return;
    effects.forEach((other, otherIndex) => {
      if (other.kind === 'put' || other.props.tableName !== effect.props.tableName) return;
      const holdsKey = Object.entries(other.props.key).every(
        ([name, value]) => name in effect.props.item && keyValue(effect.props.item[name]) === keyValue(value),
      );
      if (holdsKey) {
        problems.push(
          `effects ${Math.min(index, otherIndex)} and ${Math.max(index, otherIndex)} act on the same item`,
        );
      }
    });
  });
  return problems;
}

const expressionParts = (props: DynamoDbEffect['props']) => ({
  ...(props.conditionExpression !== undefined ? { ConditionExpression: props.conditionExpression } : {}),
  ...(props.expressionAttributeNames !== undefined
    ? { ExpressionAttributeNames: { ...props.expressionAttributeNames } }
    : {}),
  ...(props.expressionAttributeValues !== undefined
    ? { ExpressionAttributeValues: { ...props.expressionAttributeValues } }
    : {}),
});

/** The TransactWriteItems action for one declared effect. */
export function toTransactItem(effect: DynamoDbEffect): TransactItem {
  switch (effect.kind) {
    case 'put':
      return {
        Put: {
          TableName: effect.props.tableName,
          Item: { ...effect.props.item },
          ...expressionParts(effect.props),
        },
      };
    case 'update':
      return {
        Update: {
          TableName: effect.props.tableName,
          Key: { ...effect.props.key },
          UpdateExpression: effect.props.updateExpression,
          ...expressionParts(effect.props),
        },
      };
    case 'delete':
      return {
        Delete: {
          TableName: effect.props.tableName,
          Key: { ...effect.props.key },
          ...expressionParts(effect.props),
        },
      };
    case 'conditionCheck':
      return {
        ConditionCheck: {
          TableName: effect.props.tableName,
          Key: { ...effect.props.key },
          ...expressionParts(effect.props),
          ConditionExpression: effect.props.conditionExpression,
        },
      };
  }
}

interface CancellationReason {
  readonly Code?: string;
}

const isTransactionCanceled = (
  error: unknown,
): error is Error & { CancellationReasons?: readonly CancellationReason[] } =>
  (error as { name?: string } | null)?.name === 'TransactionCanceledException';

/**
 * Writes the handler's effects and PROCESSED in one transaction, as the owner of the lease `token`.
 *
 * The transition is action 0; its condition (our token, still PROCESSING) failing means another
 * invocation took the event over, and then nothing was written: `lease_lost`. The token doubles as the
 * ClientRequestToken, so the SDK's retry of a commit whose answer was lost is answered from DynamoDB's
 * 10-minute idempotency window instead of being applied twice; after the window the status condition
 * refuses it. Like finishProcessing's success, the transition records `replayDone` (the lease's
 * `replayCount`), so the replays requested before the lease are done exactly when PROCESSED is written.
 * @throws EffectsRejectedError when the effects break a transaction limit (nothing is sent) or DynamoDB
 *   cancels the transaction for an effect's reason (nothing is written)
 */
export async function commitProcessedWithEffects(
  table: LedgerTable,
  eventId: string,
  token: string,
  nowMs: number,
  effects: readonly DynamoDbEffect[],
  replayDone?: number,
): Promise<CommitOutcome> {
  const problems = effectProblems(effects, table.tableName);
  if (problems.length > 0) throw new EffectsRejectedError(problems);
  try {
    await table.client.send(
      new TransactWriteCommand({
        ClientRequestToken: token,
        TransactItems: [
          {
            Update: {
              TableName: table.tableName,
              Key: { pk: eventId },
              UpdateExpression: `SET #status = :processed, #processedAt = :now${
                replayDone !== undefined ? ', #replayDone = :replayDone' : ''
              } REMOVE #processingExpiresAt, #lastError`,
              ConditionExpression: '#processingToken = :token AND #status = :processing',
              ExpressionAttributeNames: {
                '#status': 'status',
                '#processedAt': 'processedAt',
                '#processingExpiresAt': 'processingExpiresAt',
                '#lastError': 'lastError',
                '#processingToken': 'processingToken',
                ...(replayDone !== undefined ? { '#replayDone': 'replayDone' } : {}),
              },
              ExpressionAttributeValues: {
                ':processed': EVENT_STATUS.processed,
                ':processing': EVENT_STATUS.processing,
                ':now': nowMs,
                ':token': token,
                ...(replayDone !== undefined ? { ':replayDone': replayDone } : {}),
              },
            },
          },
          ...effects.map(toTransactItem),
        ],
      }),
    );
    return 'committed';
  } catch (error) {
    if ((error as { name?: string } | null)?.name === 'ValidationException') {
      // E.g. two puts of one item, which effectProblems cannot see without the table's key schema.
      throw new EffectsRejectedError(['DynamoDB refused the transaction: ValidationException']);
    }
    if (!isTransactionCanceled(error)) throw error;
    const reasons = error.CancellationReasons ?? [];
    if (reasons[0]?.Code === 'ConditionalCheckFailed') return 'lease_lost';
    const codes = reasons
      .slice(1)
      .map((reason, index) => ({ code: reason.Code ?? 'None', index }))
      .filter(({ code }) => code !== 'None')
      .map(({ code, index }) => `effect ${index}: ${code}`);
    throw new EffectsRejectedError(
      codes.length > 0
        ? codes
        : [`transaction cancelled: ${reasons.map((r) => r.Code ?? 'None').join(', ')}`],
    );
  }
}
