import { createHash, randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { FptEnvelope } from '../../lambda/shared/fpt-events';
import { EventLedger } from '../../lambda/shared/ledger';
import { EVENT_STATUS, parkedKey } from '../../lambda/shared/ledger-schema';
import { SQS_MAX_MESSAGE_BYTES } from '../../lambda/shared/queue-message';
import { MAX_BODY_BYTES } from '../../lib/config';
import { localClientConfig } from '../../local/aws';
import { fptSign } from '../support/independent-signer';
import { fptBody, type Harness, nowSeconds, startHarness } from './support/harness';

jest.setTimeout(90_000);

/** What an AWS SDK error tells a caller: its name and HTTP status. */
async function failureOf(
  promise: Promise<unknown>,
): Promise<{ name: string; status?: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return {
      name: e.name,
      message: e.message,
      ...(e.$metadata?.httpStatusCode !== undefined ? { status: e.$metadata.httpStatusCode } : {}),
    };
  }
  throw new Error('the call succeeded, but AWS refuses it');
}

/** A signed body whose `data.note` pads it to exactly `bytes` UTF-8 bytes with `fill` (3 bytes each). */
function bodyOfExactly(bytes: number, fill: string): string {
  const base = fptBody('contact.updated', {
    data: { contactId: 7, operation: 'update', note: '' },
  } as Partial<FptEnvelope>);
  const room = bytes - Buffer.byteLength(base, 'utf8');
  const note = fill.repeat(Math.floor(room / 3)) + 'a'.repeat(room % 3);
  const body = base.replace('"note":""', `"note":"${note}"`);
  expect(Buffer.byteLength(body, 'utf8')).toBe(bytes);
  return body;
}

describe('local stack: bodies with characters SQS refuses still reach the handler exactly as signed', () => {
  let harness: Harness;
  const seen = new Map<string, unknown>();

  beforeAll(async () => {
    harness = await startHarness({
      name: 'sqs-chars',
      countHandlerCalls: true,
      behaviour: (event) => {
        seen.set(event.eventId, event.data);
      },
    });
  });
  afterAll(async () => {
    await harness?.stop();
  });

  it.each([
    ['a raw U+FFFE', '"\uFFFE"'],
    ['a raw U+FFFF', '"\uFFFF"'],
    ['U+FFFE and U+FFFF beside other scripts and an emoji', '"Zoë \uFFFF 東京 \u{1F600} \uFFFE"'],
    ['an escaped U+0001 (JSON allows control characters only escaped)', '"\\u0001"'],
    ['an escaped lone surrogate', '"\\ud800"'],
  ])('processes an event whose data holds %s', async (_name, noteJson) => {
    const body = fptBody('contact.updated').replace('"email":', `"note":${noteJson},"email":`);
    const { eventId, data } = JSON.parse(body) as { eventId: string; data: unknown };

    const response = await harness.deliver(body);

    expect(response.status).toBe(202);
    await harness.waitForStatus(eventId, EVENT_STATUS.processed);
    expect(seen.get(eventId)).toEqual(data);
    expect(JSON.stringify(seen.get(eventId))).toBe(JSON.stringify(data));
    expect(harness.calls.get(eventId)).toBe(1);
  });

  it('processes the largest body the verifier accepts, made of U+FFFF (base64 in SQS, 4/3 larger)', async () => {
    const body = bodyOfExactly(MAX_BODY_BYTES, '\uFFFF');
    const { eventId, data } = JSON.parse(body) as { eventId: string; data: unknown };

    const response = await harness.deliver(body);

    expect(response.status).toBe(202);
    await harness.waitForStatus(eventId, EVENT_STATUS.processed);
    expect(seen.get(eventId)).toEqual(data);
  });

  it('parks the largest non-UTF-8 body the verifier accepts, byte for byte, within DynamoDB item limit', async () => {
    const bytes = randomBytes(MAX_BODY_BYTES);
    bytes[0] = 0xff; // never valid UTF-8
    const t = nowSeconds();
    const v1 = fptSign(harness.secret, t, bytes);

    const response = await harness.post(bytes, {
      'content-type': 'application/octet-stream',
      'x-fpt-signature': `t=${t},v1=${v1}`,
    });

    expect(response.status).toBe(202);
    expect(JSON.parse(response.body)).toEqual({ status: 'parked' });
    const ddb = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(harness.emulatorUrl)));
    try {
      const sha = createHash('sha256').update(bytes).digest('hex');
      const out = await ddb.send(
        new GetCommand({ TableName: harness.running.stack.tableName, Key: { pk: parkedKey(sha) } }),
      );
      expect(Buffer.from(out.Item?.rawBodyBase64 as string, 'base64').equals(bytes)).toBe(true);
    } finally {
      ddb.destroy();
    }
  });
});

describe('local emulator: refuses what AWS refuses', () => {
  let emulatorUrl: string;
  let harness: Harness;
  let sqs: SQSClient;
  let queueUrl: string;

  beforeAll(async () => {
    // A harness only to reach the run's emulator and a provisioned table; its stack is not exercised.
    harness = await startHarness({ name: 'aws-rules' });
    emulatorUrl = harness.emulatorUrl;
    sqs = new SQSClient(localClientConfig(emulatorUrl));
    const created = await sqs.send(
      new CreateQueueCommand({
        QueueName: `aws-rules-${randomBytes(3).toString('hex')}`,
        Attributes: { MaximumMessageSize: String(SQS_MAX_MESSAGE_BYTES) },
      }),
    );
    queueUrl = created.QueueUrl as string;
  });
  afterAll(async () => {
    await sqs?.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
    sqs?.destroy();
    await harness?.stop();
  });

  describe('SQS SendMessage', () => {
    it.each([
      ['U+FFFE', '\uFFFE'],
      ['U+FFFF', '\uFFFF'],
      ['U+0001', '\u0001'],
      ['U+000B', '\u000B'],
      ['U+0000', '\u0000'],
      ['a lone surrogate', '\uD800'],
    ])('answers InvalidMessageContents (HTTP 400) to a body holding %s', async (_name, char) => {
      const failure = await failureOf(
        sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: `{"a":"x${char}y"}` })),
      );

      expect(failure).toMatchObject({ name: 'InvalidMessageContents', status: 400 });
    });

    it('answers InvalidParameterValue (HTTP 400) to a String attribute value holding U+FFFF', async () => {
      const failure = await failureOf(
        sqs.send(
          new SendMessageCommand({
            QueueUrl: queueUrl,
            MessageBody: '{}',
            MessageAttributes: { note: { DataType: 'String', StringValue: 'x\uFFFFy' } },
          }),
        ),
      );

      expect(failure).toMatchObject({ name: 'InvalidParameterValue', status: 400 });
    });

    it('accepts a message of exactly 1 MiB, body and attributes together, and keeps it intact', async () => {
      const attributes: Record<string, MessageAttributeValue> = {
        name: { DataType: 'String', StringValue: 'é'.repeat(1000) },
      };
      const attributeBytes = 'name'.length + 'String'.length + 2000;
      const body = `${'\u{1F600}'.repeat(1000)}${'a'.repeat(SQS_MAX_MESSAGE_BYTES - attributeBytes - 4000)}`;

      await sqs.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageAttributes: attributes }),
      );

      const out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MessageAttributeNames: ['All'], WaitTimeSeconds: 1 }),
      );
      expect(out.Messages?.[0]?.Body).toBe(body);
    });

    it('answers InvalidParameterValue (HTTP 400) when the attributes take a message one byte past 1 MiB', async () => {
      const failure = await failureOf(
        sqs.send(
          new SendMessageCommand({
            QueueUrl: queueUrl,
            MessageBody: 'a'.repeat(SQS_MAX_MESSAGE_BYTES - 'n'.length - 'String'.length - 1),
            MessageAttributes: { n: { DataType: 'String', StringValue: 'xy' } },
          }),
        ),
      );

      expect(failure).toMatchObject({ name: 'InvalidParameterValue', status: 400 });
      expect(failure.message).toContain(`shorter than ${SQS_MAX_MESSAGE_BYTES} bytes`);
    });

    it('counts the body in UTF-8 bytes, not characters', async () => {
      const failure = await failureOf(
        sqs.send(
          new SendMessageCommand({
            QueueUrl: queueUrl,
            MessageBody: 'é'.repeat(SQS_MAX_MESSAGE_BYTES / 2 + 1),
          }),
        ),
      );

      expect(failure).toMatchObject({ name: 'InvalidParameterValue', status: 400 });
    });
  });

  describe('DynamoDB', () => {
    it('answers ValidationException (HTTP 400) to an item over 400 KB', async () => {
      const ddb = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(emulatorUrl)));
      try {
        const failure = await failureOf(
          ddb.send(
            new PutCommand({
              TableName: harness.running.stack.tableName,
              Item: { pk: 'oversize', blob: 'a'.repeat(400 * 1024) },
            }),
          ),
        );

        expect(failure).toMatchObject({ name: 'ValidationException', status: 400 });
        expect(failure.message).toContain('Item size has exceeded the maximum allowed size');
      } finally {
        ddb.destroy();
      }
    });

    it('measures an update by the item it leaves: replacing a 300 KB attribute succeeds, growing past 400 KB fails', async () => {
      const ddb = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(emulatorUrl)));
      const TableName = harness.running.stack.tableName;
      const Key = { pk: 'large-update' };
      const blob = 'a'.repeat(300 * 1024);
      try {
        await ddb.send(new PutCommand({ TableName, Item: { ...Key, blob } }));
        // As the processor's lease update sets a kept body: the item stays 300 KB.
        await ddb.send(
          new UpdateCommand({
            TableName,
            Key,
            UpdateExpression: 'SET #status = :s, #blob = if_not_exists(#blob, :blob)',
            ExpressionAttributeNames: { '#status': 'status', '#blob': 'blob' },
            ExpressionAttributeValues: { ':s': 'PROCESSING', ':blob': blob },
          }),
        );
        const growing = await failureOf(
          ddb.send(
            new UpdateCommand({
              TableName,
              Key,
              UpdateExpression: 'SET #more = :more',
              ExpressionAttributeNames: { '#more': 'more' },
              ExpressionAttributeValues: { ':more': 'b'.repeat(150 * 1024) },
            }),
          ),
        );
        const row = await ddb.send(new GetCommand({ TableName, Key, ConsistentRead: true }));

        expect(row.Item).toEqual({ ...Key, blob, status: 'PROCESSING' });
        expect(growing).toMatchObject({ name: 'ValidationException', status: 400 });
      } finally {
        ddb.destroy();
      }
    });
  });

  describe('DynamoDB global secondary index keys', () => {
    it('answers ValidationException (HTTP 400) to a put whose index key has the wrong type, and stores nothing', async () => {
      const ddb = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(emulatorUrl)));
      const TableName = harness.running.stack.tableName;
      try {
        const numberDay = await failureOf(
          ddb.send(new PutCommand({ TableName, Item: { pk: 'gsi-put', listDay: 20261128, receivedAt: 1 } })),
        );
        const textTime = await failureOf(
          ddb.send(
            new PutCommand({ TableName, Item: { pk: 'gsi-put', listDay: '2026-11-28', receivedAt: '1' } }),
          ),
        );
        const row = await ddb.send(
          new GetCommand({ TableName, Key: { pk: 'gsi-put' }, ConsistentRead: true }),
        );

        expect(numberDay).toMatchObject({ name: 'ValidationException', status: 400 });
        expect(numberDay.message).toBe(
          'One or more parameter values were invalid: Type mismatch for Index Key listDay Expected: S Actual: N IndexName: byReceivedDay',
        );
        expect(textTime.message).toContain('Type mismatch for Index Key receivedAt Expected: N Actual: S');
        expect(row.Item).toBeUndefined();
      } finally {
        ddb.destroy();
      }
    });

    it('answers ValidationException to an update that would leave a wrong-typed index key, and applies none of it', async () => {
      const ddb = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(emulatorUrl)));
      const TableName = harness.running.stack.tableName;
      const Key = { pk: 'gsi-update' };
      try {
        await ddb.send(new PutCommand({ TableName, Item: { ...Key, listDay: '2026-11-28', receivedAt: 1 } }));
        const failure = await failureOf(
          ddb.send(
            new UpdateCommand({
              TableName,
              Key,
              UpdateExpression: 'SET #status = :s, #day = :day',
              ExpressionAttributeNames: { '#status': 'status', '#day': 'listDay' },
              ExpressionAttributeValues: { ':s': 'PROCESSING', ':day': 7 },
            }),
          ),
        );
        // A new item made by an update is checked the same way.
        const created = await failureOf(
          ddb.send(
            new UpdateCommand({
              TableName,
              Key: { pk: 'gsi-update-new' },
              UpdateExpression: 'SET #received = :r',
              ExpressionAttributeNames: { '#received': 'receivedAt' },
              ExpressionAttributeValues: { ':r': 'now' },
            }),
          ),
        );
        const row = await ddb.send(new GetCommand({ TableName, Key, ConsistentRead: true }));
        const none = await ddb.send(
          new GetCommand({ TableName, Key: { pk: 'gsi-update-new' }, ConsistentRead: true }),
        );

        expect(failure).toMatchObject({ name: 'ValidationException', status: 400 });
        expect(created).toMatchObject({ name: 'ValidationException', status: 400 });
        expect(row.Item).toEqual({ ...Key, listDay: '2026-11-28', receivedAt: 1 });
        expect(none.Item).toBeUndefined();
      } finally {
        ddb.destroy();
      }
    });
  });

  describe('DynamoDB ReturnValuesOnConditionCheckFailure', () => {
    /** A ledger on the emulator that records the DynamoDB operations it sends. */
    function countingLedger(): { ledger: EventLedger; operations: string[]; destroy: () => void } {
      const raw = new DynamoDBClient(localClientConfig(emulatorUrl));
      const operations: string[] = [];
      raw.middlewareStack.add(
        (next, context) => async (args) => {
          operations.push(context.commandName ?? '');
          return next(args);
        },
        { step: 'initialize', name: 'countOperations' },
      );
      const ledger = new EventLedger({
        client: DynamoDBDocumentClient.from(raw),
        tableName: harness.running.stack.tableName,
        retentionDays: 1,
      });
      return { ledger, operations, destroy: () => raw.destroy() };
    }

    it('returns the existing item, in DynamoDB JSON, on the exception of a failed conditional write', async () => {
      const ddb = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(emulatorUrl)));
      const pk = `cond-${randomBytes(4).toString('hex')}`;
      try {
        await ddb.send(
          new PutCommand({ TableName: harness.running.stack.tableName, Item: { pk, status: 'PROCESSED' } }),
        );

        const error = (await ddb
          .send(
            new PutCommand({
              TableName: harness.running.stack.tableName,
              Item: { pk, status: 'RECEIVED' },
              ConditionExpression: 'attribute_not_exists(pk)',
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          )
          .catch((e: unknown) => e)) as { name: string; Item?: unknown };

        expect(error.name).toBe('ConditionalCheckFailedException');
        // The document client does not unmarshall errors: the ledger reads `Item.status.S`.
        expect(error.Item).toEqual({ pk: { S: pk }, status: { S: 'PROCESSED' } });
      } finally {
        ddb.destroy();
      }
    });

    it('lets the ledger classify a duplicate claim and an already processed event without reading the row again', async () => {
      const { ledger, operations, destroy } = countingLedger();
      const eventId = randomBytes(16).toString('hex');
      const claim = {
        eventId,
        subscription: 'default',
        eventType: 'contact.updated',
        eventTimestamp: new Date().toISOString(),
        locationId: 1,
        bodySha256: 'a'.repeat(64),
        nowMs: Date.now(),
      };
      try {
        const first = await ledger.claim(claim);
        expect(first.kind).toBe('claimed');
        const started = await ledger.startProcessing({ ...claim, nowMs: Date.now() });
        if (started.kind !== 'started') throw new Error(`expected the lease, got ${started.kind}`);
        await ledger.finishProcessing(eventId, started.token, {
          status: EVENT_STATUS.processed,
          nowMs: Date.now(),
        });
        operations.length = 0;

        expect(await ledger.claim(claim)).toEqual({
          kind: 'duplicate',
          status: EVENT_STATUS.processed,
          sameBody: true,
        });
        expect(await ledger.startProcessing({ ...claim, nowMs: Date.now() })).toEqual({
          kind: 'already_processed',
        });
        expect(operations).toEqual(['PutItemCommand', 'UpdateItemCommand']);
      } finally {
        destroy();
      }
    });
  });

  describe('Secrets Manager', () => {
    const client = () => new SecretsManagerClient(localClientConfig(emulatorUrl));

    it('answers ValidationException (HTTP 400) to CreateSecret and PutSecretValue with a value over 65,536 bytes', async () => {
      const secrets = client();
      const name = `aws-rules-${randomBytes(3).toString('hex')}`;
      try {
        const create = await failureOf(
          secrets.send(new CreateSecretCommand({ Name: name, SecretString: 'a'.repeat(65_537) })),
        );
        expect(create).toMatchObject({ name: 'ValidationException', status: 400 });

        await secrets.send(new CreateSecretCommand({ Name: name, SecretString: 'é'.repeat(32_768) }));
        const put = await failureOf(
          secrets.send(new PutSecretValueCommand({ SecretId: name, SecretString: `${'é'.repeat(32_768)}a` })),
        );
        expect(put).toMatchObject({ name: 'ValidationException', status: 400 });
      } finally {
        await secrets
          .send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }))
          .catch(() => undefined);
        secrets.destroy();
      }
    });
  });
});
