import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EventLedger } from '../../lambda/shared/ledger';
import { localClientConfig } from '../../local/aws';
import { loadReceiverConfig, provisionLocalStack } from '../../local/provision';
import { emulatorUrlFromEnv } from './support/emulator-env';

jest.setTimeout(60_000);

/*
 * DynamoDB applies a conditional write to one item atomically, and the idempotency ledger depends on it.
 * moto alone does not (it checks, then writes, on concurrent threads); local/moto_server.py restores it.
 * Several rounds, because an unprotected emulator lets a second claim through only now and then.
 */
describe('ledger on the emulator: concurrent claims of one eventId', () => {
  let ledger: EventLedger;

  beforeAll(async () => {
    const endpoint = emulatorUrlFromEnv();
    const stack = await provisionLocalStack({
      endpoint,
      config: loadReceiverConfig(),
      namespace: `atomic-${randomUUID().slice(0, 8)}`,
    });
    const client = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(endpoint)), {
      marshallOptions: { removeUndefinedValues: true },
    });
    ledger = new EventLedger({ client, tableName: stack.tableName, retentionDays: 1 });
  });

  it('grants exactly one of 40 simultaneous claims, in each of 10 rounds', async () => {
    const claimedPerRound: number[] = [];
    for (let round = 0; round < 10; round++) {
      const eventId = `evt_${randomUUID()}`;
      const results = await Promise.all(
        Array.from({ length: 40 }, () =>
          ledger.claim({
            eventId,
            subscription: 'default',
            eventType: 'contact.created',
            eventTimestamp: '2026-11-28T10:00:00Z',
            locationId: 1,
            bodySha256: 'a'.repeat(64),
            nowMs: Date.now(),
          }),
        ),
      );
      claimedPerRound.push(results.filter((r) => r.kind === 'claimed').length);
      expect(results.filter((r) => r.kind !== 'claimed').every((r) => r.kind === 'in_progress')).toBe(true);
    }
    expect(claimedPerRound).toEqual(Array(10).fill(1));
  });
});
