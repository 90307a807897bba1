import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { requestReplay } from '../../lambda/shared/ledger';
import { EVENT_STATUS, type EventRow } from '../../lambda/shared/ledger-schema';
import { localClientConfig } from '../../local/aws';
import { loadReceiverConfig, provisionLocalStack } from '../../local/provision';
import { newEventId } from '../../local/testkit/envelopes';
import { emulatorUrlFromEnv } from './support/emulator-env';

jest.setTimeout(60_000);

// requestReplay is one conditional UpdateItem; these cases run it on the emulator's DynamoDB, which
// evaluates the condition and returns ALL_NEW / ALL_OLD as DynamoDB does.
let client: DynamoDBDocumentClient;
let table: { client: DynamoDBDocumentClient; tableName: string };

beforeAll(async () => {
  const endpoint = emulatorUrlFromEnv();
  const stack = await provisionLocalStack({
    endpoint,
    config: loadReceiverConfig(),
    namespace: `replay-${randomUUID().slice(0, 8)}`,
  });
  client = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(endpoint)), {
    marshallOptions: { removeUndefinedValues: true },
  });
  table = { client, tableName: stack.tableName };
});
afterAll(() => client?.destroy());

const body = (eventId: string) => JSON.stringify({ eventId, eventType: 'contact.updated' });

async function seed(row: Partial<EventRow> & Record<string, unknown>): Promise<string> {
  const pk = newEventId();
  await client.send(
    new PutCommand({
      TableName: table.tableName,
      Item: {
        pk,
        subscription: 'default',
        eventType: 'contact.updated',
        receivedAt: 1_700_000_000_000,
        expiresAt: 4_000_000_000,
        rawBody: body(pk),
        ...row,
      },
    }),
  );
  return pk;
}

const read = async (pk: string) =>
  (await client.send(new GetCommand({ TableName: table.tableName, Key: { pk }, ConsistentRead: true })))
    .Item as EventRow;

const request = (eventId: string, runId: string, nowMs = 1_800_000_000_000) =>
  requestReplay(table, { eventId, runId, reason: 'handler fix', nowMs });

describe('requestReplay on the emulator', () => {
  it('records a replay of a PROCESSED event and returns n = 1 with the row and its body', async () => {
    const eventId = await seed({ status: EVENT_STATUS.processed, attempts: 1 });

    const result = await request(eventId, 'run-a', 1_800_000_000_123);

    expect(result).toMatchObject({ kind: 'requested', count: 1 });
    expect(result.kind === 'requested' && result.row.rawBody).toBe(body(eventId));
    expect(await read(eventId)).toMatchObject({
      status: EVENT_STATUS.processed,
      attempts: 1,
      replayCount: 1,
      lastReplayAt: 1_800_000_000_123,
      lastReplayReason: 'handler fix',
      lastReplayRun: 'run-a',
    });
  });

  it('counts up across runs, and a DEAD_LETTERED event can be replayed', async () => {
    const eventId = await seed({ status: EVENT_STATUS.deadLettered, replayCount: 2, replayDone: 2 });

    const result = await request(eventId, 'run-b');

    expect(result).toMatchObject({ kind: 'requested', count: 3 });
    expect((await read(eventId)).replayCount).toBe(3);
  });

  it('does not request again for the same run: a resume re-sends n until the replay is done', async () => {
    const eventId = await seed({ status: EVENT_STATUS.processed });
    await request(eventId, 'run-c');

    const pending = await request(eventId, 'run-c');
    await client.send(
      new PutCommand({ TableName: table.tableName, Item: { ...(await read(eventId)), replayDone: 1 } }),
    );
    const done = await request(eventId, 'run-c');

    expect(pending).toMatchObject({ kind: 'requested_by_this_run', count: 1, done: false });
    expect(pending.kind === 'requested_by_this_run' && pending.row.rawBody).toBe(body(eventId));
    expect(done).toMatchObject({ kind: 'requested_by_this_run', count: 1, done: true });
    expect((await read(eventId)).replayCount).toBe(1);
  });

  it('answers requested_by_this_run while that replay is being processed', async () => {
    const eventId = await seed({
      status: EVENT_STATUS.processing,
      replayCount: 1,
      lastReplayRun: 'run-d',
    });

    expect(await request(eventId, 'run-d')).toMatchObject({ kind: 'requested_by_this_run', done: false });
  });

  it.each([EVENT_STATUS.received, EVENT_STATUS.enqueued, EVENT_STATUS.processing, EVENT_STATUS.failed])(
    'refuses an event in flight (%s) and leaves the row as it was',
    async (status) => {
      const eventId = await seed({ status });

      const result = await request(eventId, 'run-e');

      expect(result).toEqual({ kind: 'in_flight', status });
      expect((await read(eventId)).replayCount).toBeUndefined();
    },
  );

  it('refuses a row without a body, with its bodyNotKept reason', async () => {
    const disabled = await seed({
      status: EVENT_STATUS.processed,
      rawBody: undefined,
      bodyNotKept: 'disabled',
    });
    const predates = await seed({ status: EVENT_STATUS.processed, rawBody: undefined });

    expect(await request(disabled, 'run-f')).toEqual({ kind: 'no_body', bodyNotKept: 'disabled' });
    expect(await request(predates, 'run-f')).toEqual({ kind: 'no_body' });
    expect((await read(disabled)).replayCount).toBeUndefined();
  });

  it('accepts a body kept as base64', async () => {
    const eventId = await seed({
      status: EVENT_STATUS.processed,
      rawBody: undefined,
      rawBodyBase64: Buffer.from([0xff, 0x7b]).toString('base64'),
    });

    expect(await request(eventId, 'run-g')).toMatchObject({ kind: 'requested', count: 1 });
  });

  it('answers not_found for an event the ledger does not hold, and creates no row', async () => {
    const eventId = newEventId();

    expect(await request(eventId, 'run-h')).toEqual({ kind: 'not_found' });
    expect(await read(eventId)).toBeUndefined();
  });
});
