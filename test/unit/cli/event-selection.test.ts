import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { UsageError } from '../../../cli/errors';
import {
  daysBetween,
  decodeCursor,
  encodeCursor,
  eventFilterFrom,
  type SelectedEvent,
  selectEvents,
} from '../../../cli/event-selection';

const NOW = Date.parse('2026-11-29T08:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const usageError = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('no UsageError was thrown');
};

describe('eventFilterFrom', () => {
  it('reads ISO-8601 times, with UTC when no zone is given', () => {
    expect(eventFilterFrom({ since: '2026-11-28', until: '2026-11-28T09:30Z' }, NOW)).toEqual({
      since: Date.parse('2026-11-28T00:00:00Z'),
      until: Date.parse('2026-11-28T09:30:00Z'),
    });
    expect(eventFilterFrom({ since: '2026-11-28T09:30:15.250' }, NOW).since).toBe(
      Date.parse('2026-11-28T09:30:15.250Z'),
    );
    expect(eventFilterFrom({ since: '2026-11-28T10:30:00+01:00' }, NOW).since).toBe(
      Date.parse('2026-11-28T09:30:00Z'),
    );
  });

  it('reads relative ages back from now', () => {
    expect(eventFilterFrom({ since: '7d', until: '30m' }, NOW)).toEqual({
      since: NOW - 7 * DAY,
      until: NOW - 30 * 60_000,
    });
    expect(eventFilterFrom({ since: '24h' }, NOW).since).toBe(NOW - 24 * HOUR);
    expect(eventFilterFrom({ since: '2w' }, NOW).since).toBe(NOW - 14 * DAY);
  });

  it('takes comma lists and repeated flags, without duplicates, statuses in any case', () => {
    expect(
      eventFilterFrom(
        {
          type: ['contact.created,contact.updated', 'contact.created'],
          status: ['processed', 'Dead_Lettered'],
          subscription: ['default, billing'],
          contact: '5678',
        },
        NOW,
      ),
    ).toEqual({
      types: ['contact.created', 'contact.updated'],
      statuses: ['PROCESSED', 'DEAD_LETTERED'],
      subscriptions: ['default', 'billing'],
      contactId: 5678,
    });
  });

  it('is empty without flags', () => {
    expect(eventFilterFrom({}, NOW)).toEqual({});
  });

  it.each([
    [{ since: 'yesterday' }, /^--since must be an ISO-8601 time .* but "yesterday" was provided$/],
    [{ until: '2026-02-31' }, /^--until must be an ISO-8601 time/],
    [{ since: '2026-11-28T25:00Z' }, /^--since must be an ISO-8601 time/],
    [{ since: '5y' }, /^--since must be/],
    [{ since: '1h', until: '2h' }, /^--since \(.*\) is after --until \(.*\): nothing can match$/],
    [
      { status: ['done'] },
      /^--status must be one of received, enqueued, .*invalid_envelope, but "done" was provided$/,
    ],
    [{ type: [','] }, /^--type needs a value/],
    [{ type: ['contact updated'] }, /^--type must be an event type/],
    [
      { contact: '12abc' },
      /^--contact must be a whole number \(FPT's contactId\), but "12abc" was provided$/,
    ],
    [{ contact: '-3' }, /^--contact must be a whole number/],
    [
      { subscription: [Array.from({ length: 101 }, (_, i) => `s${i}`).join(',')] },
      /^--subscription takes at most 100 values, but 101 were provided$/,
    ],
  ])('refuses bad input with a one-line usage error (case %#)', (values, message) => {
    const text = usageError(() => eventFilterFrom(values, NOW));

    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
  });
});

describe('daysBetween', () => {
  it('lists every UTC day the range touches, newest or oldest first', () => {
    const from = Date.parse('2026-11-27T23:59:59.999Z');
    const to = Date.parse('2026-11-29T00:00:00.000Z');

    expect(daysBetween(from, to, 'newest')).toEqual(['2026-11-29', '2026-11-28', '2026-11-27']);
    expect(daysBetween(from, to, 'oldest')).toEqual(['2026-11-27', '2026-11-28', '2026-11-29']);
  });
});

describe('cursor', () => {
  it('round-trips the position of the last row', () => {
    const cursor = { listDay: '2026-11-28', receivedAt: NOW - DAY, eventId: 'a'.repeat(32) };

    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it.each([
    'not a cursor!',
    Buffer.from('{"x":1}').toString('base64url'),
    Buffer.from('["2026-11-28", "soon", "abc"]').toString('base64url'),
    Buffer.from(JSON.stringify(['2026-11-28', 1, 'parked#zz'])).toString('base64url'),
  ])('refuses %s with a usage error', (raw) => {
    expect(usageError(() => decodeCursor(raw))).toMatch(
      /^--after must be the cursor a previous page printed/,
    );
  });
});

describe('selectEvents', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  const table = { client, tableName: 'ledger', retentionDays: 2 };
  const id = (n: number) => n.toString(16).padStart(32, '0');
  const row = (n: number, status = 'PROCESSED', receivedAt = NOW - n * 1000) => ({
    pk: id(n),
    status,
    subscription: 'default',
    eventType: 'contact.updated',
    receivedAt,
  });
  const collect = async (gen: AsyncGenerator<SelectedEvent>): Promise<SelectedEvent[]> => {
    const out: SelectedEvent[] = [];
    for await (const event of gen) out.push(event);
    return out;
  };

  beforeEach(() => ddb.reset());

  it('queries the index once per day of the retention, newest day first, and never scans', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });

    const progress: number[] = [];
    await collect(
      selectEvents(table, {}, { now: () => NOW, onProgress: (p) => progress.push(p.daysQueried) }),
    );

    const queries = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(queries.map((q) => q.ExpressionAttributeValues?.[':day'])).toEqual([
      '2026-11-29',
      '2026-11-28',
      '2026-11-27',
    ]);
    expect(queries.every((q) => q.IndexName === 'byReceivedDay' && q.ScanIndexForward === false)).toBe(true);
    expect(queries[0]?.FilterExpression).toBe('NOT begins_with(#pk, :parked)');
    expect(progress).toEqual([1, 2, 3]);
    expect(ddb.commandCalls(ScanCommand)).toHaveLength(0);
  });

  it('starts a range no earlier than the known retention allows, and as asked when it is unknown', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    const since = NOW - 100 * DAY;

    await collect(selectEvents(table, { since }, { now: () => NOW }));
    const known = ddb.commandCalls(QueryCommand).length;
    ddb.resetHistory();
    await collect(selectEvents({ client, tableName: 'ledger' }, { since }, { now: () => NOW }));

    // Retention 2 days, plus 2 for DynamoDB's TTL deletion: 2026-11-25 to 2026-11-29.
    expect(known).toBe(5);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(101);
  });

  it('filters type, subscription and contact in the query, and status from the rows it reads', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ pk: id(1) }, { pk: id(2) }, { pk: id(3) }] })
      .resolves({ Items: [] });
    ddb.on(BatchGetCommand).resolves({
      Responses: { ledger: [row(3, 'FAILED'), row(1), row(2, 'DEAD_LETTERED')] },
    });

    const events = await collect(
      selectEvents(
        table,
        {
          types: ['contact.updated'],
          subscriptions: ['default'],
          contactId: 42,
          statuses: ['FAILED', 'PROCESSED'],
        },
        { now: () => NOW },
      ),
    );

    // In the index's order, not the BatchGetItem's.
    expect(events.map((e) => [e.eventId, e.status])).toEqual([
      [id(1), 'PROCESSED'],
      [id(3), 'FAILED'],
    ]);
    const query = ddb.commandCalls(QueryCommand)[0]?.args[0].input;
    expect(query?.FilterExpression).toBe(
      '#type IN (:type0) AND #subscription IN (:subscription0) AND #contact = :contact AND NOT begins_with(#pk, :parked)',
    );
    expect(query?.ExpressionAttributeValues).toMatchObject({ ':contact': 42, ':type0': 'contact.updated' });
    const get = ddb.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.ledger;
    expect(get?.Keys).toEqual([{ pk: id(1) }, { pk: id(2) }, { pk: id(3) }]);
    expect(Object.values(get?.ExpressionAttributeNames ?? {})).not.toEqual(
      expect.arrayContaining(['rawBody']),
    );
    for (const secret of ['rawBody', 'rawBodyBase64', 'leaseToken', 'processingToken']) {
      expect(Object.values(get?.ExpressionAttributeNames ?? {})).not.toContain(secret);
    }
  });

  it('asks again for unprocessed keys, and gives up after a bounded number of attempts', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ pk: id(1) }, { pk: id(2) }] })
      .resolves({ Items: [] });
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { ledger: [row(1)] },
        UnprocessedKeys: { ledger: { Keys: [{ pk: id(2) }] } },
      })
      .resolvesOnce({ Responses: { ledger: [row(2)] } });

    const events = await collect(selectEvents(table, {}, { now: () => NOW }));

    expect(events.map((e) => e.eventId)).toEqual([id(1), id(2)]);
    expect(ddb.commandCalls(BatchGetCommand)[1]?.args[0].input.RequestItems?.ledger?.Keys).toEqual([
      { pk: id(2) },
    ]);

    ddb.reset();
    ddb.on(QueryCommand).resolves({ Items: [{ pk: id(1) }] });
    ddb.on(BatchGetCommand).resolves({ UnprocessedKeys: { ledger: { Keys: [{ pk: id(1) }] } } });
    await expect(collect(selectEvents(table, {}, { now: () => NOW }))).rejects.toThrow(
      /still left 1 keys unprocessed after 8 attempts/,
    );
    expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(8);
  }, 20_000);

  it('follows LastEvaluatedKey within a day, and resumes after a cursor on its day', async () => {
    const last = { pk: id(1), listDay: '2026-11-28', receivedAt: NOW - DAY };
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ pk: id(1) }], LastEvaluatedKey: last })
      .resolvesOnce({ Items: [{ pk: id(2) }] })
      .resolves({ Items: [] });
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { ledger: [row(1, 'PROCESSED', NOW - DAY)] } })
      .resolvesOnce({ Responses: { ledger: [row(2, 'PROCESSED', NOW - DAY - 1)] } });

    const events = await collect(
      selectEvents(
        table,
        {},
        { now: () => NOW, after: { listDay: '2026-11-28', receivedAt: NOW, eventId: id(9) } },
      ),
    );

    expect(events.map((e) => e.eventId)).toEqual([id(1), id(2)]);
    const queries = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    // Day 2026-11-29 is before the cursor's day in newest-first order: not queried again.
    expect(queries.map((q) => q.ExpressionAttributeValues?.[':day'])).toEqual([
      '2026-11-28',
      '2026-11-28',
      '2026-11-27',
    ]);
    expect(queries[0]?.ExclusiveStartKey).toEqual({ pk: id(9), listDay: '2026-11-28', receivedAt: NOW });
    expect(queries[1]?.ExclusiveStartKey).toEqual(last);
  });

  it('lists only parked rows for INVALID_ENVELOPE, and skips rows gone since the index saw them', async () => {
    const parked = `parked#${'c'.repeat(64)}`;
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ pk: parked }, { pk: id(5) }] })
      .resolves({ Items: [] });
    ddb.on(BatchGetCommand).resolves({
      Responses: {
        ledger: [{ pk: parked, status: 'INVALID_ENVELOPE', subscription: 'default', receivedAt: NOW }],
      },
    });

    const events = await collect(selectEvents(table, { statuses: ['INVALID_ENVELOPE'] }, { now: () => NOW }));

    expect(events.map((e) => e.eventId)).toEqual([parked]);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input.FilterExpression).toBe(
      'begins_with(#pk, :parked)',
    );
  });
});
