import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { EventRow } from '../ledger-schema';

/** The ledger table as each concern (claim, processing lease, ordering) sees it. */
export interface LedgerTable {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** How long a row is kept (DynamoDB TTL), in seconds. */
  readonly retentionSeconds: number;
  /** Whether event rows keep their body (config `keepEventBodies`). @default true */
  readonly keepBodies?: boolean;
}

/** The row's TTL attribute: epoch seconds at which DynamoDB may delete it. */
export function expiresAt(table: LedgerTable, nowMs: number): number {
  return Math.floor(nowMs / 1000) + table.retentionSeconds;
}

export const isConditionFailure = (error: unknown): error is ConditionalCheckFailedException =>
  error instanceof ConditionalCheckFailedException ||
  (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';

/**
 * The item a failed condition returned (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), read out of
 * DynamoDB's wire format: its string and number attributes, which is all that says why the condition
 * failed. Undefined when there was no item, or the answer left it out.
 */
export function conditionFailureItem(
  error: ConditionalCheckFailedException,
): Record<string, unknown> | undefined {
  if (error.Item === undefined) return undefined;
  const row: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(error.Item)) {
    if (value.S !== undefined) row[name] = value.S;
    else if (value.N !== undefined) row[name] = Number(value.N);
  }
  return row;
}

/** Reads one event's row, strongly consistent. */
export async function getEvent(table: LedgerTable, eventId: string): Promise<EventRow | undefined> {
  const out = await table.client.send(
    new GetCommand({ TableName: table.tableName, Key: { pk: eventId }, ConsistentRead: true }),
  );
  return out.Item as EventRow | undefined;
}
