import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { EventLedger } from '../../lambda/shared/ledger';
import { localClientConfig } from '../../local/aws';
import { loadReceiverConfig, provisionLocalStack } from '../../local/provision';
import { CONTRACT_OPTIONS, describeLedgerContract } from '../support/ledger-contract';
import { emulatorUrlFromEnv } from './support/emulator-env';

jest.setTimeout(60_000);

// The same cases run against the in-memory FakeLedger in test/unit/shared/ledger-contract.test.ts.
let client: DynamoDBDocumentClient;
let tableName: string;
let effectsTableName: string;

beforeAll(async () => {
  const endpoint = emulatorUrlFromEnv();
  const namespace = `contract-${randomUUID().slice(0, 8)}`;
  const stack = await provisionLocalStack({ endpoint, config: loadReceiverConfig(), namespace });
  tableName = stack.tableName;
  const dynamodb = new DynamoDBClient(localClientConfig(endpoint));
  // A partner's table, which declared effects write to.
  effectsTableName = `${namespace}-effects`;
  await dynamodb.send(
    new CreateTableCommand({
      TableName: effectsTableName,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  client = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
});

describeLedgerContract(
  'EventLedger on the emulator',
  (options) => new EventLedger({ client, tableName, ...CONTRACT_OPTIONS, ...options }),
  () => ({
    tableName: effectsTableName,
    count: async (pk) => {
      const out = await client.send(
        new GetCommand({ TableName: effectsTableName, Key: { pk }, ConsistentRead: true }),
      );
      return out.Item?.count as number | undefined;
    },
  }),
  // The request's successful write, as replay.ts makes it; its conditions are tested with replay.ts.
  () => async (eventId, request) => {
    const out = await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk: eventId },
        UpdateExpression:
          'SET #count = if_not_exists(#count, :zero) + :one, #at = :at, #run = :run' +
          (request.reason !== undefined ? ', #reason = :reason' : ''),
        ExpressionAttributeNames: {
          '#count': 'replayCount',
          '#at': 'lastReplayAt',
          '#run': 'lastReplayRun',
          ...(request.reason !== undefined ? { '#reason': 'lastReplayReason' } : {}),
        },
        ExpressionAttributeValues: {
          ':zero': 0,
          ':one': 1,
          ':at': request.nowMs,
          ':run': request.run,
          ...(request.reason !== undefined ? { ':reason': request.reason } : {}),
        },
        ConditionExpression: 'attribute_exists(pk)',
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes?.replayCount as number;
  },
);
