import { randomBytes } from 'node:crypto';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { EVENT_STATUS, orderKey } from '../../lambda/shared/ledger-schema';
import { localClientConfig } from '../../local/aws';
import {
  fptBody,
  fptSignatureHeader,
  type Harness,
  nowSeconds,
  sleep,
  startHarness,
} from './support/harness';

jest.setTimeout(60_000);

const LOCATION_A = 1234;
const LOCATION_B = 4321;
const ORGANIZATION = 5678;
const CONTACT = 101;

/**
 * Issue #12, points 1 and 2, through the local API, the emulator and the real handlers: a location
 * admin holding subscription loc-a's key signs events for location B, and a key holder signs far-future
 * and ancient eventTimestamps. Each is parked (202), and B's events, handlers and ordering guard are as
 * if it never came.
 */
describe('local stack: authorisation after authentication', () => {
  let harness: Harness;
  let ddb: DynamoDBClient;
  const locationBKey = randomBytes(32).toString('base64url');

  beforeAll(async () => {
    harness = await startHarness({
      name: 'scope',
      countHandlerCalls: true,
      config: {
        subscriptions: [
          { name: 'loc-a', organizationId: ORGANIZATION, locationIds: [LOCATION_A] },
          { name: 'loc-b', organizationId: ORGANIZATION, locationIds: [LOCATION_B] },
        ],
      },
    });
    // loc-b gets its own key, before any delivery reaches it (the harness gives every subscription one).
    const secrets = new SecretsManagerClient(localClientConfig(harness.emulatorUrl));
    await secrets.send(
      new PutSecretValueCommand({
        SecretId: harness.running.stack.secrets['loc-b'],
        SecretString: locationBKey,
        VersionStages: ['AWSCURRENT'],
      }),
    );
    secrets.destroy();
    ddb = new DynamoDBClient(localClientConfig(harness.emulatorUrl));
  });
  afterAll(async () => {
    ddb?.destroy();
    await harness?.stop();
  });

  const postSigned = (key: string, subscription: string, overrides: Record<string, unknown>) => {
    const body = fptBody('contact.updated', {
      locationId: LOCATION_B,
      organizationId: ORGANIZATION,
      ...overrides,
    } as never);
    return {
      eventId: (JSON.parse(body) as { eventId: string }).eventId,
      response: harness.post(
        body,
        {
          'content-type': 'application/json',
          'x-fpt-signature': fptSignatureHeader(key, nowSeconds(), body),
        },
        subscription,
      ),
    };
  };

  /** The raw ledger items, by key prefix. */
  const items = async (prefix: string) => {
    const out = await ddb.send(
      new ScanCommand({ TableName: harness.running.stack.tableName, ConsistentRead: true }),
    );
    return (out.Items ?? []).filter((item) => item.pk?.S?.startsWith(prefix));
  };
  const highWaterMark = async () => {
    const [row] = await items(orderKey(LOCATION_B, CONTACT));
    return row?.highWaterMark?.N === undefined ? undefined : Number(row.highWaterMark.N);
  };

  it("parks what loc-a's key signs for location B and the bounds refuse, and B's guard and handlers never see it", async () => {
    // Prepare: a genuine event of location B, through B's own subscription, sets B's high-water mark.
    const genuineAt = Date.now() - 10_000;
    const genuine = postSigned(locationBKey, 'loc-b', { eventTimestamp: new Date(genuineAt).toISOString() });
    expect((await genuine.response).status).toBe(202);
    await harness.waitForStatus(genuine.eventId, EVENT_STATUS.processed);
    expect(await highWaterMark()).toBe(genuineAt);

    // Act: the attacks. loc-a's real key, location B, a newer timestamp; then B's own key with
    // timestamps FPT cannot have stamped.
    const crossLocation = postSigned(harness.secret, 'loc-a', {
      eventTimestamp: new Date(Date.now() - 1_000).toISOString(),
    });
    const otherOrganization = postSigned(harness.secret, 'loc-a', {
      locationId: LOCATION_A,
      organizationId: ORGANIZATION + 1,
    });
    const farFuture = postSigned(locationBKey, 'loc-b', { eventTimestamp: '9999-12-31T23:59:59.999Z' });
    const ancient = postSigned(locationBKey, 'loc-b', { eventTimestamp: '0000-01-01T00:00:00Z' });
    const attacks = [crossLocation, otherOrganization, farFuture, ancient];
    const answers = await Promise.all(attacks.map((attack) => attack.response));

    // Assess: each authentic attack is kept, answered 202, and goes nowhere.
    expect(answers.map((a) => [a.status, JSON.parse(a.body)])).toEqual(
      attacks.map(() => [202, { status: 'parked' }]),
    );
    const parked = await items('parked#');
    expect(parked.map((item) => item.reason?.S).sort()).toEqual([
      'event_time_out_of_bounds',
      'event_time_out_of_bounds',
      'scope_mismatch',
      'scope_mismatch',
    ]);
    await sleep(1500); // long enough for the poller to have run anything that was queued
    for (const { eventId } of attacks) {
      expect(await harness.readRow(eventId)).toBeUndefined();
      expect(harness.calls.get(eventId)).toBeUndefined();
    }
    expect(await highWaterMark()).toBe(genuineAt);

    // And B's next genuine event is processed, not stale: the guard was not poisoned.
    const next = postSigned(locationBKey, 'loc-b', { eventTimestamp: new Date().toISOString() });
    expect((await next.response).status).toBe(202);
    const row = await harness.waitForStatus(next.eventId, EVENT_STATUS.processed);
    expect(row.status).toBe(EVENT_STATUS.processed);
    expect(harness.calls.get(next.eventId)).toBe(1);
    expect(await highWaterMark()).toBeGreaterThan(genuineAt);
  });
});
