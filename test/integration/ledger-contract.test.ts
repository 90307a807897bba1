import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EventLedger } from '../../lambda/shared/ledger';
import { localClientConfig } from '../../local/aws';
import { loadReceiverConfig, provisionLocalStack } from '../../local/provision';
import { CONTRACT_OPTIONS, describeLedgerContract } from '../support/ledger-contract';
import { emulatorUrlFromEnv } from './support/emulator-env';

jest.setTimeout(60_000);

// The same cases run against the in-memory FakeLedger in test/unit/shared/ledger-contract.test.ts.
let client: DynamoDBDocumentClient;
let tableName: string;

beforeAll(async () => {
  const endpoint = emulatorUrlFromEnv();
  const stack = await provisionLocalStack({
    endpoint,
    config: loadReceiverConfig(),
    namespace: `contract-${randomUUID().slice(0, 8)}`,
  });
  tableName = stack.tableName;
  client = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(endpoint)), {
    marshallOptions: { removeUndefinedValues: true },
  });
});

describeLedgerContract(
  'EventLedger on the emulator',
  () => new EventLedger({ client, tableName, ...CONTRACT_OPTIONS }),
);
