import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { EVENT_STATUS } from '../../lambda/shared/ledger-schema';
import { localClientConfig } from '../../local/aws';
import { countingUpdate } from '../support/ledger-contract';
import { emulatorUrlFromEnv } from './support/emulator-env';
import { fptBody, type Harness, sleep, startHarness } from './support/harness';

jest.setTimeout(90_000);

/*
 * TransactWriteItems as AWS documents it
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html), on the
 * emulator: what moto enforces itself, and what local/moto_server.py adds (ClientRequestToken, 4 MB).
 */

type Items = NonNullable<TransactWriteCommandInput['TransactItems']>;

async function failureOf(promise: Promise<unknown>): Promise<{ name: string; reasons?: string[] }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; CancellationReasons?: Array<{ Code?: string }> };
    return {
      name: e.name,
      ...(e.CancellationReasons ? { reasons: e.CancellationReasons.map((r) => r.Code ?? '') } : {}),
    };
  }
  throw new Error('the transaction succeeded, but AWS refuses it');
}

let documents: DynamoDBDocumentClient;
let table: string;

async function createTable(name: string): Promise<void> {
  await documents.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}

const get = async (pk: string, tableName = table) =>
  (await documents.send(new GetCommand({ TableName: tableName, Key: { pk }, ConsistentRead: true }))).Item;

const put = (pk: string, extra: Record<string, unknown> = {}) => ({
  Put: { TableName: table, Item: { pk, ...extra } },
});
const add = (pk: string) => ({ Update: { ...countingUpdateInput(pk) } });
function countingUpdateInput(pk: string) {
  const props = countingUpdate(table, pk);
  return {
    TableName: props.tableName,
    Key: props.key,
    UpdateExpression: props.updateExpression,
    ExpressionAttributeNames: { ...props.expressionAttributeNames },
    ExpressionAttributeValues: { ...props.expressionAttributeValues },
  };
}
const id = () => randomBytes(6).toString('hex');

beforeAll(async () => {
  documents = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(emulatorUrlFromEnv())));
  table = `tx-${id()}`;
  await createTable(table);
});
afterAll(() => documents?.destroy());

describe('local emulator: TransactWriteItems refuses what AWS refuses', () => {
  it('answers ValidationException to 101 actions and accepts 100 (moto enforces it)', async () => {
    const run = id();
    const hundred: Items = Array.from({ length: 100 }, (_, i) => put(`${run}-${i}`));

    const tooMany = await failureOf(
      documents.send(new TransactWriteCommand({ TransactItems: [...hundred, put(`${run}-100`)] })),
    );
    await documents.send(new TransactWriteCommand({ TransactItems: hundred }));

    expect(tooMany.name).toBe('ValidationException');
    expect(await get(`${run}-99`)).toBeDefined();
  });

  it('answers ValidationException to two actions on one item, and writes neither (moto enforces it)', async () => {
    const pk = id();

    const failure = await failureOf(
      documents.send(new TransactWriteCommand({ TransactItems: [put(pk), add(pk)] })),
    );

    expect(failure.name).toBe('ValidationException');
    expect(await get(pk)).toBeUndefined();
  });

  it('answers ValidationException to items over 4 MB in all, and accepts just under (local/moto_server.py)', async () => {
    const run = id();
    const blob = 'a'.repeat(390 * 1024);
    const items = (n: number): Items =>
      Array.from({ length: n }, (_, i) => put(`${run}-${n}-${i}`, { blob }));

    const over = await failureOf(documents.send(new TransactWriteCommand({ TransactItems: items(11) })));
    await documents.send(new TransactWriteCommand({ TransactItems: items(10) }));

    expect(over.name).toBe('ValidationException');
    expect(await get(`${run}-11-0`)).toBeUndefined();
    expect(await get(`${run}-10-9`)).toBeDefined();
  });

  it('cancels the whole transaction with a reason per action when one condition fails (moto enforces it)', async () => {
    const [a, b] = [id(), id()];

    const failure = await failureOf(
      documents.send(
        new TransactWriteCommand({
          TransactItems: [
            add(a),
            { Put: { TableName: table, Item: { pk: b }, ConditionExpression: 'attribute_exists(pk)' } },
          ],
        }),
      ),
    );

    expect(failure).toEqual({
      name: 'TransactionCanceledException',
      reasons: ['None', 'ConditionalCheckFailed'],
    });
    expect(await get(a)).toBeUndefined();
  });

  it('applies a request sent again with the same ClientRequestToken once, and refuses the token with other parameters (local/moto_server.py)', async () => {
    const pk = id();
    const token = `${id()}-${id()}`;

    await documents.send(new TransactWriteCommand({ ClientRequestToken: token, TransactItems: [add(pk)] }));
    await documents.send(new TransactWriteCommand({ ClientRequestToken: token, TransactItems: [add(pk)] }));
    const mismatch = await failureOf(
      documents.send(
        new TransactWriteCommand({ ClientRequestToken: token, TransactItems: [add(`${pk}-other`)] }),
      ),
    );
    await documents.send(
      new TransactWriteCommand({ ClientRequestToken: `${token}-2`, TransactItems: [add(pk)] }),
    );

    expect(mismatch.name).toBe('IdempotentParameterMismatchException');
    expect((await get(pk))?.count).toBe(2);
  });
});

describe('local stack: a handler declaring effects', () => {
  let harness: Harness;
  let effectsTable: string;
  let failFirstCommit = 0;

  beforeAll(async () => {
    effectsTable = `effects-${id()}`;
    await createTable(effectsTable);
    harness = await startHarness({
      name: 'effects',
      countHandlerCalls: true,
      behaviour: (event, ctx) => {
        if (ctx.isTest) return;
        ctx.effects.update(countingUpdate(effectsTable, event.eventId));
        ctx.effects.put({
          tableName: effectsTable,
          item: { pk: `key#${event.eventId}`, key: ctx.idempotencyKey },
        });
        if (failFirstCommit > 0) {
          // The handler succeeds, then the invocation dies before the commit: the window.
          failFirstCommit--;
          throw new Error('injected: crash between the handler and the commit');
        }
      },
    });
  });
  afterAll(async () => {
    await harness?.stop();
  });

  it('commits the effects once with PROCESSED, and gives the handler its eventId as idempotencyKey', async () => {
    const body = fptBody('contact.created');
    const { eventId } = JSON.parse(body) as { eventId: string };

    const response = await harness.deliver(body);
    const row = await harness.waitForStatus(eventId, EVENT_STATUS.processed);
    await harness.deliver(body);
    await sleep(1500);

    expect(response.status).toBe(202);
    expect(row.status).toBe(EVENT_STATUS.processed);
    expect((await get(eventId, effectsTable))?.count).toBe(1);
    expect((await get(`key#${eventId}`, effectsTable))?.key).toBe(eventId);
  });

  it('writes nothing a failed run declared, and the retry commits its effects once', async () => {
    const body = fptBody('contact.updated');
    const { eventId } = JSON.parse(body) as { eventId: string };
    failFirstCommit = 1;

    await harness.deliver(body);
    const row = await harness.waitForStatus(eventId, EVENT_STATUS.processed);

    expect(row.attempts).toBe(2);
    expect((await get(eventId, effectsTable))?.count).toBe(1);
  });
});
