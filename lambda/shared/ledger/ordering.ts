import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { orderKey } from '../ledger-schema';
import { expiresAt, isConditionFailure, type LedgerTable } from './table';

/* The ordering guard: per contact, the newest eventTimestamp processed (its high-water mark). */

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

/** Raises the high-water mark; never lowers it, so late arrivals cannot move it back. */
export async function advanceHighWaterMark(
  table: LedgerTable,
  locationId: number,
  contactId: number | string,
  eventTimestampMs: number,
  nowMs: number,
): Promise<void> {
  try {
    await table.client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { pk: orderKey(locationId, contactId) },
        UpdateExpression: 'SET #hwm = :ts, #expiresAt = :expiresAt',
        ConditionExpression: 'attribute_not_exists(#hwm) OR #hwm < :ts',
        ExpressionAttributeNames: { '#hwm': 'highWaterMark', '#expiresAt': 'expiresAt' },
        ExpressionAttributeValues: { ':ts': eventTimestampMs, ':expiresAt': expiresAt(table, nowMs) },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}
