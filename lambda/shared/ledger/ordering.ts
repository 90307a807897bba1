import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { orderKey } from '../ledger-schema';
import { conditionFailureItem, expiresAt, isConditionFailure, type LedgerTable } from './table';

/* The ordering guard: per contact, the newest eventTimestamp taken into processing (its high-water mark). */

/** The ordering guard's high-water mark (epoch ms of the newest eventTimestamp processed). */
export async function getHighWaterMark(
  table: LedgerTable,
  locationId: number,
  contactId: number | string,
): Promise<number | undefined> {
  const out = await table.client.send(
    new GetCommand({
      TableName: table.tableName,
      Key: { pk: orderKey(locationId, contactId) },
      ConsistentRead: true,
    }),
  );
  return (out.Item?.highWaterMark as number | undefined) ?? undefined;
}

/** What the ordering guard found for one event: the mark it was judged against, and whether it is older. */
export interface OrderingVerdict {
  /** The event is older than the newest one taken into processing for the same contact. */
  readonly isStale: boolean;
  /** The high-water mark before this event (epoch ms); absent for a contact's first event. */
  readonly highWaterMarkMs?: number;
}

/**
 * The ordering guard in one conditional write: raises the contact's high-water mark to this event's
 * timestamp unless a newer one is there, and returns the mark it was judged against. A newer mark fails
 * the condition and comes back with it (ReturnValuesOnConditionCheckFailure), so no read is needed.
 * Equal timestamps are not stale: the same event retried, or two changes in one millisecond that
 * cannot be ordered anyway. The mark never goes down.
 */
export async function guardOrdering(
  table: LedgerTable,
  locationId: number,
  contactId: number | string,
  eventTimestampMs: number,
  nowMs: number,
): Promise<OrderingVerdict> {
  const key = orderKey(locationId, contactId);
  try {
    const out = await table.client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { pk: key },
        UpdateExpression: 'SET #hwm = :ts, #expiresAt = :expiresAt',
        ConditionExpression: 'attribute_not_exists(#hwm) OR #hwm <= :ts',
        ExpressionAttributeNames: { '#hwm': 'highWaterMark', '#expiresAt': 'expiresAt' },
        ExpressionAttributeValues: { ':ts': eventTimestampMs, ':expiresAt': expiresAt(table, nowMs) },
        ReturnValues: 'ALL_OLD',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    const previous = out.Attributes?.highWaterMark as number | undefined;
    return { isStale: false, ...(previous !== undefined ? { highWaterMarkMs: previous } : {}) };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // The condition failed, so a newer mark exists; read it only if the old item was not returned.
    const newer =
      (conditionFailureItem(error)?.highWaterMark as number | undefined) ??
      (await getHighWaterMark(table, locationId, contactId));
    return { isStale: true, ...(newer !== undefined ? { highWaterMarkMs: newer } : {}) };
  }
}
