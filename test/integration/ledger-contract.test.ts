import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { EventLedger } from '../../lambda/shared/ledger';
import { requestReplay } from '../../lambda/shared/ledger/replay';
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
  // The request as `fpt-webhooks events replay` makes it.
  () => async (eventId, request) => {
    const out = await requestReplay(
      { client, tableName },
      { eventId, reason: request.reason, runId: request.run, nowMs: request.nowMs },
    );
    if (out.kind !== 'requested') throw new Error(`replay not requested: ${out.kind}`);
    return out.count;
  },
);
