import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { SECRET_PLACEHOLDER } from '../../../lambda/shared/secret-placeholder';
import { createVerifierCore, type IncomingDelivery } from '../../../lambda/verifier/receive';
import { SecretStore, type VersionStage } from '../../../lambda/verifier/secret-store';
import { envelopeBody } from '../../../local/testkit/envelopes';
import { captureOutput } from '../../support/capture-output';
import { FakeLedger } from '../../support/fake-ledger';
import { fptHeader } from '../../support/independent-signer';

/*
 * The verifier's side of a key rotation, end to end through createVerifierCore with the real SecretStore
 * over a mocked Secrets Manager: what `fpt-webhooks secret set` leaves behind (new AWSCURRENT, old
 * AWSPREVIOUS) must be accepted at once, the old value only for the grace window, and a flood of bad
 * signatures must not become a flood of GetSecretValue calls.
 */

const sm = mockClient(SecretsManagerClient);
const SECRET_ID = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:fpt-webhooks/test/default-AbCdEf';
const OLD = 'old-fpt-secret-0123456789-abcdefghijklmnop';
const NEW = 'new-fpt-secret-0123456789-abcdefghijklmnop';
const WRONG = 'attacker-guess-0123456789-abcdefghijklmno';
const HOUR = 3_600_000;
const GRACE_MS = 24 * HOUR;
const START = Date.parse('2026-11-28T12:00:00.000Z');

interface Stored {
  value: string | undefined;
  createdAtMs: number;
}

/** What Secrets Manager holds, by stage; each GetSecretValue call is recorded with the clock's time. */
function secretsManager(clock: { ms: number }) {
  const stages: Partial<Record<VersionStage, Stored>> = {};
  const calls: { stage: VersionStage; atMs: number }[] = [];
  sm.on(GetSecretValueCommand).callsFake(async (input: { VersionStage: VersionStage }) => {
    calls.push({ stage: input.VersionStage, atMs: clock.ms });
    const stored = stages[input.VersionStage];
    if (stored === undefined) {
      throw Object.assign(new Error('no such stage'), { name: 'ResourceNotFoundException' });
    }
    return { SecretString: stored.value, CreatedDate: new Date(stored.createdAtMs) };
  });
  return { stages, calls };
}

function body(eventId: string): string {
  return envelopeBody('contact.updated', {
    eventId,
    timestamp: new Date('2026-11-28T11:59:58.123Z'),
    contactId: 9876,
  });
}

let counter = 0;
const nextEventId = () => (++counter).toString(16).padStart(32, '0');

function setup() {
  const clock = { ms: START };
  const store = secretsManager(clock);
  const receive = createVerifierCore({
    subscriptions: new Map([['default', SECRET_ID]]),
    toleranceSeconds: 300,
    maxBodyBytes: 256 * 1024,
    previousSecretGraceMs: GRACE_MS,
    ledger: new FakeLedger(),
    secrets: new SecretStore({ client: new SecretsManagerClient({}), now: () => clock.ms }),
    enqueue: async () => `msg-${counter}`,
    now: () => clock.ms,
    logger: new Logger({ serviceName: 'test' }),
    metrics: new Metrics({ namespace: 'Test', serviceName: 'test' }),
  });
  const send = (secret: string): Promise<number> => {
    const raw = body(nextEventId());
    const delivery: IncomingDelivery = {
      subscription: 'default',
      headers: { 'x-fpt-signature': fptHeader(secret, Math.floor(clock.ms / 1000), raw) },
      body: raw,
      isBase64Encoded: false,
    };
    return receive(delivery).then((r) => r.statusCode);
  };
  return { clock, ...store, send };
}

/** The state `secret set` leaves: NEW is AWSCURRENT since `setAtMs`, OLD is AWSPREVIOUS. */
function rotated(stages: Partial<Record<VersionStage, Stored>>, setAtMs: number): void {
  stages.AWSCURRENT = { value: NEW, createdAtMs: setAtMs };
  stages.AWSPREVIOUS = { value: OLD, createdAtMs: setAtMs - 90 * 24 * HOUR };
}

let output: ReturnType<typeof captureOutput>;
beforeEach(() => {
  sm.reset();
  output = captureOutput();
});
afterEach(() => output.restore());

describe('verifier during a key rotation (createVerifierCore + SecretStore)', () => {
  it('accepts the previous secret within the grace window after the new one was set', async () => {
    // Prepare
    const { clock, stages, send } = setup();
    rotated(stages, START);

    // Act
    clock.ms = START + GRACE_MS - 1000;
    const late = await send(OLD);

    // Assess
    expect(late).toBe(202);
    expect(await send(NEW)).toBe(202);
  });

  it('refuses the previous secret once the grace window is over, and still accepts the new one', async () => {
    const { clock, stages, send } = setup();
    rotated(stages, START);

    clock.ms = START + GRACE_MS + 1000;

    expect(await send(OLD)).toBe(401);
    expect(await send(NEW)).toBe(202);
  });

  it('honours a shorter configured grace window', async () => {
    const clock = { ms: START };
    const { stages } = secretsManager(clock);
    rotated(stages, START);
    const receive = createVerifierCore({
      subscriptions: new Map([['default', SECRET_ID]]),
      toleranceSeconds: 300,
      maxBodyBytes: 256 * 1024,
      previousSecretGraceMs: 1 * HOUR,
      ledger: new FakeLedger(),
      secrets: new SecretStore({ client: new SecretsManagerClient({}), now: () => clock.ms }),
      enqueue: async () => 'msg',
      now: () => clock.ms,
      logger: new Logger({ serviceName: 'test' }),
      metrics: new Metrics({ namespace: 'Test', serviceName: 'test' }),
    });
    clock.ms = START + 2 * HOUR;
    const raw = body(nextEventId());

    const response = await receive({
      subscription: 'default',
      headers: { 'x-fpt-signature': fptHeader(OLD, Math.floor(clock.ms / 1000), raw) },
      body: raw,
      isBase64Encoded: false,
    });

    expect(response.statusCode).toBe(401);
  });

  it('picks up a newly set secret within seconds, without a redeploy or waiting for the cache TTL', async () => {
    // Prepare: the old secret is current and cached.
    const { clock, stages, calls, send } = setup();
    stages.AWSCURRENT = { value: OLD, createdAtMs: START - 100 * 24 * HOUR };
    expect(await send(OLD)).toBe(202);

    // Act: the operator runs `secret set`; FPT signs with the new secret two seconds later.
    rotated(stages, START + 1000);
    clock.ms = START + 2000;
    const first = await send(NEW);

    // Assess: accepted on the first delivery, through one forced refresh.
    expect(first).toBe(202);
    expect(calls.filter((c) => c.stage === 'AWSCURRENT')).toHaveLength(2);
  });

  it('answers 503 until the placeholder is replaced, then accepts the first real secret at once', async () => {
    const { clock, stages, send } = setup();
    stages.AWSCURRENT = { value: SECRET_PLACEHOLDER, createdAtMs: START - HOUR };
    expect(await send(NEW)).toBe(503);

    stages.AWSCURRENT = { value: NEW, createdAtMs: START + 5000 };
    stages.AWSPREVIOUS = { value: SECRET_PLACEHOLDER, createdAtMs: START - HOUR };
    clock.ms = START + 11_000;

    expect(await send(NEW)).toBe(202);
    expect(await send(SECRET_PLACEHOLDER)).toBe(401);
  });

  it('makes at most one GetSecretValue per secret per 10 s for 1000 bad signatures in a row', async () => {
    // Prepare: outside the grace window, so only AWSCURRENT is ever read.
    const { clock, stages, calls, send } = setup();
    rotated(stages, START - 30 * 24 * HOUR);

    // Act: 1000 deliveries with a wrong key, one every 100 ms (100 s in all).
    const codes: number[] = [];
    for (let i = 0; i < 1000; i++) {
      codes.push(await send(WRONG));
      clock.ms += 100;
    }

    // Assess: every one refused; one read when the cache is cold, then one forced refresh per 10 s.
    expect(new Set(codes)).toEqual(new Set([401]));
    const perWindow = countPerWindow(calls, 10_000);
    expect(perWindow.get(0)).toBeLessThanOrEqual(2);
    for (const [window, count] of perWindow) if (window > 0) expect(count).toBeLessThanOrEqual(1);
    expect(calls.length).toBeLessThanOrEqual(11);
  });

  it('reads each stage at most twice for 1000 bad signatures arriving at once within the grace window', async () => {
    // Prepare: within the grace window, so AWSPREVIOUS is consulted too.
    const { stages, calls, send } = setup();
    rotated(stages, START - HOUR);

    // Act: a burst, all in flight together (the local server, or a future multi-concurrency runtime).
    const codes = await Promise.all(Array.from({ length: 1000 }, () => send(WRONG)));

    // Assess: the cold read and one forced refresh, per stage; not one read per request.
    expect(new Set(codes)).toEqual(new Set([401]));
    expect(calls.filter((c) => c.stage === 'AWSCURRENT').length).toBeLessThanOrEqual(2);
    expect(calls.filter((c) => c.stage === 'AWSPREVIOUS').length).toBeLessThanOrEqual(2);
  });
});

function countPerWindow(calls: readonly { atMs: number }[], windowMs: number): Map<number, number> {
  const counts = new Map<number, number>();
  for (const call of calls) {
    const window = Math.floor((call.atMs - START) / windowMs);
    counts.set(window, (counts.get(window) ?? 0) + 1);
  }
  return counts;
}
