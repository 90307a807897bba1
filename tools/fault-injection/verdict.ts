/** The verdict, from the ledger itself: which events ended PROCESSED, and which handlers ran twice. */
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { EVENT_STATUS } from '../../lambda/shared/ledger-schema';

export interface LedgerVerdict {
  readonly processed: number;
  readonly lostByStatus: Record<string, number>;
  readonly unexpectedRows: number;
  readonly parkedRows: number;
}

/** Reads the whole ledger (consistent reads) and checks every expected event's status. */
export async function readLedgerVerdict(
  documents: DynamoDBDocumentClient,
  tableName: string,
  eventIds: readonly string[],
): Promise<LedgerVerdict> {
  const statuses = new Map<string, string>();
  let parkedRows = 0;
  let unexpectedRows = 0;
  let startKey: Record<string, unknown> | undefined;
  const expected = new Set(eventIds);
  do {
    const out = await documents.send(
      new ScanCommand({
        TableName: tableName,
        ConsistentRead: true,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    for (const item of out.Items ?? []) {
      const pk = String(item.pk);
      if (pk.startsWith('parked#')) parkedRows++;
      else if (pk.startsWith('order#')) continue;
      else if (expected.has(pk)) statuses.set(pk, String(item.status));
      else unexpectedRows++;
    }
    startKey = out.LastEvaluatedKey;
  } while (startKey !== undefined);
  const lostByStatus: Record<string, number> = {};
  let processed = 0;
  for (const eventId of eventIds) {
    const status = statuses.get(eventId) ?? 'NO_ROW';
    if (status === EVENT_STATUS.processed) processed++;
    else lostByStatus[status] = (lostByStatus[status] ?? 0) + 1;
  }
  return { processed, lostByStatus, unexpectedRows, parkedRows };
}

export interface DoublesVerdict {
  readonly eventsSucceededOnce: number;
  /** Handler succeeded twice with no window incident: must be 0. */
  readonly unexplainedDoubles: number;
  /** Handler succeeded twice after a fault or timeout inside the documented window. */
  readonly windowDoubles: number;
}

/** Sorts every event whose handler succeeded more than once into explained and unexplained. */
export function countDoubles(
  eventIds: readonly string[],
  successes: ReadonlyMap<string, number>,
  windowHits: ReadonlySet<string>,
  leaseLost: ReadonlySet<string>,
): DoublesVerdict {
  let unexplainedDoubles = 0;
  let windowDoubles = 0;
  let eventsSucceededOnce = 0;
  for (const eventId of eventIds) {
    const count = successes.get(eventId) ?? 0;
    if (count === 1) eventsSucceededOnce++;
    if (count > 1) {
      if (windowHits.has(eventId) && !leaseLost.has(eventId)) windowDoubles++;
      else unexplainedDoubles++;
    }
  }
  return { eventsSucceededOnce, unexplainedDoubles, windowDoubles };
}
