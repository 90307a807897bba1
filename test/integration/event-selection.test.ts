import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type SelectedEvent, selectEvents } from '../../cli/event-selection';
import { EventLedger } from '../../lambda/shared/ledger';
import { EVENT_STATUS } from '../../lambda/shared/ledger-schema';
import { localClientConfig } from '../../local/aws';
import { loadReceiverConfig, provisionLocalStack } from '../../local/provision';
import { emulatorUrlFromEnv } from './support/emulator-env';

jest.setTimeout(60_000);

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-29T08:00:00.000Z');
const newEventId = (): string => randomUUID().replaceAll('-', '');

let client: DynamoDBDocumentClient;
let tableName: string;
let ledger: EventLedger;

const collect = async (gen: AsyncGenerator<SelectedEvent>): Promise<SelectedEvent[]> => {
  const out: SelectedEvent[] = [];
  for await (const event of gen) out.push(event);
  return out;
};

/** Events claimed by the ledger (the verifier's write), at the given receive times. */
async function claim(receivedAt: number, extra: { eventType?: string; contactId?: number } = {}) {
  const eventId = newEventId();
  const result = await ledger.claim({
    eventId,
    subscription: 'default',
    eventType: extra.eventType ?? 'contact.updated',
    eventTimestamp: new Date(receivedAt).toISOString(),
    locationId: 1234,
    ...(extra.contactId !== undefined ? { contactId: extra.contactId } : {}),
    bodySha256: 'a'.repeat(64),
    rawBody: Buffer.from('{}'),
    nowMs: receivedAt,
  });
  expect(result.kind).toBe('claimed');
  return eventId;
}

beforeAll(async () => {
  const endpoint = emulatorUrlFromEnv();
  const stack = await provisionLocalStack({
    endpoint,
    config: loadReceiverConfig(),
    namespace: `select-${randomUUID().slice(0, 8)}`,
  });
  tableName = stack.tableName;
  client = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(endpoint)));
  ledger = new EventLedger({
    client,
    tableName,
    retentionDays: 30,
    claimLeaseMs: 30_000,
    processingLeaseMs: 60_000,
  });
});
afterAll(() => client?.destroy());

describe('selectEvents on the emulator', () => {
  const ids: string[] = [];
  beforeAll(async () => {
    // 3 days, 2 events a day, plus one processed and one of another type and contact.
    for (const day of [2, 1, 0]) {
      ids.push(await claim(NOW - day * DAY - 2000));
      ids.push(
        await claim(NOW - day * DAY - 1000, day === 1 ? { eventType: 'contact.created', contactId: 77 } : {}),
      );
    }
    const started = await ledger.startProcessing({
      eventId: ids[0] as string,
      subscription: 'default',
      eventType: 'contact.updated',
      nowMs: NOW,
    });
    if (started.kind !== 'started') throw new Error('not started');
    await ledger.finishProcessing(ids[0] as string, started.token, {
      status: EVENT_STATUS.processed,
      nowMs: NOW,
    });
  });

  it('lists newest first across days, or oldest first', async () => {
    const table = { client, tableName, retentionDays: 3 };
    const newest = await collect(selectEvents(table, {}, { now: () => NOW }));
    const oldest = await collect(selectEvents(table, {}, { now: () => NOW, order: 'oldest' }));

    expect(newest.map((e) => e.eventId)).toEqual([...ids].reverse());
    expect(oldest.map((e) => e.eventId)).toEqual(ids);
    expect(newest.at(-1)).toMatchObject({ status: EVENT_STATUS.processed, listDay: '2026-11-27' });
  });

  it('filters by time range, type, contact and status', async () => {
    const table = { client, tableName, retentionDays: 3 };
    const select = async (filter: Parameters<typeof selectEvents>[1]) =>
      (await collect(selectEvents(table, filter, { now: () => NOW }))).map((e) => e.eventId);

    expect(await select({ since: NOW - DAY - 1500, until: NOW - 1500 })).toEqual([ids[4], ids[3]]);
    expect(await select({ types: ['contact.created'] })).toEqual([ids[3]]);
    expect(await select({ contactId: 77 })).toEqual([ids[3]]);
    expect(await select({ statuses: [EVENT_STATUS.processed] })).toEqual([ids[0]]);
  });

  it('finds a parked delivery by status and contact, and leaves it out otherwise', async () => {
    const table = { client, tableName, retentionDays: 3 };
    const parkedAt = NOW - 500;
    await ledger.park({
      bodySha256: 'd'.repeat(64),
      subscription: 'default',
      problems: ["locationId is not one of the subscription's locations"],
      reason: 'scope_mismatch',
      contactId: 4242,
      rawBody: Buffer.from('{"contactId":4242}'),
      nowMs: parkedAt,
    });
    const select = async (filter: Parameters<typeof selectEvents>[1]) =>
      collect(selectEvents(table, filter, { now: () => NOW }));

    const parked = await select({ statuses: ['INVALID_ENVELOPE'], contactId: 4242 });
    const events = await select({ contactId: 4242 });

    expect(parked).toEqual([
      expect.objectContaining({
        eventId: `parked#${'d'.repeat(64)}`,
        status: 'INVALID_ENVELOPE',
        reason: 'scope_mismatch',
        contactId: 4242,
        receivedAt: parkedAt,
      }),
    ]);
    expect(parked[0]).not.toHaveProperty('rawBody');
    expect(events).toEqual([]);
  });

  it('resumes after a cursor within a day and across days', async () => {
    const table = { client, tableName, retentionDays: 3 };
    const all = await collect(selectEvents(table, {}, { now: () => NOW }));
    const third = all[2] as SelectedEvent;
    const fourth = all[3] as SelectedEvent;

    const afterThird = await collect(
      selectEvents(table, {}, { now: () => NOW, after: { ...third, listDay: third.listDay } }),
    );
    const afterFourth = await collect(selectEvents(table, {}, { now: () => NOW, after: fourth }));

    expect(afterThird.map((e) => e.eventId)).toEqual(all.slice(3).map((e) => e.eventId));
    expect(afterFourth.map((e) => e.eventId)).toEqual(all.slice(4).map((e) => e.eventId));
  });
});
