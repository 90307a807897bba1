import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { EVENT_STATUS } from '../../../lambda/shared/ledger-schema';
import { sha256Hex } from '../../../lambda/shared/queue-message';
import type { VerifierDeps } from '../../../lambda/verifier/receive';
import { createVerifierCore, type IncomingDelivery } from '../../../lambda/verifier/receive';
import type { SecretVersion, VersionStage } from '../../../lambda/verifier/secret-store';
import { buildEnvelope } from '../../../local/testkit/envelopes';
import { captureOutput } from '../../support/capture-output';
import { FakeLedger } from '../../support/fake-ledger';
import { fptHeader, fptSign } from '../../support/independent-signer';

const SECRET = 'current-secret-0123456789-abcdefghijklmnop';
const OLD_SECRET = 'previous-secret-0123456789-abcdefghijklmno';
const START_MS = Date.parse('2026-11-28T12:00:00.000Z');
const EVENT_ID = '9f1c7e2a8c4d4b1b9e3f5a6d7c8b9a0e';

function envelope(overrides: Record<string, unknown> = {}): string {
  const data = { contactId: 9876, operation: 'update', email: 'pii-sentinel@example.com' };
  return JSON.stringify({
    ...buildEnvelope('contact.updated', {
      eventId: EVENT_ID,
      timestamp: new Date('2026-11-28T11:59:58.123Z'),
      data,
    }),
    ...overrides,
  });
}

class FakeSecrets {
  versions: Record<VersionStage, SecretVersion> = {
    AWSCURRENT: { value: SECRET, createdAtMs: START_MS - 60_000 },
    AWSPREVIOUS: { value: undefined, createdAtMs: undefined },
  };
  /** What Secrets Manager holds now; `get` sees it only after a fetch. */
  stored: Record<VersionStage, SecretVersion> = { ...this.versions };
  gets: VersionStage[] = [];
  invalidations = 0;
  refreshAllowed = true;

  async get(_id: string, stage: VersionStage): Promise<SecretVersion> {
    this.gets.push(stage);
    return this.versions[stage];
  }

  tryInvalidate(): boolean {
    if (!this.refreshAllowed) return false;
    this.invalidations++;
    this.versions = { ...this.stored };
    return true;
  }
}

function setup(overrides: Partial<VerifierDeps> = {}) {
  let now = START_MS;
  const ledger = new FakeLedger();
  const secrets = new FakeSecrets();
  secrets.stored = { ...secrets.versions };
  const sent: { rawBody: string; subscription: string }[] = [];
  const enqueueFailures: Error[] = [];
  const deps: VerifierDeps = {
    subscriptions: new Map([
      ['default', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:fpt/default'],
      ['billing', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:fpt/billing'],
    ]),
    toleranceSeconds: 300,
    maxBodyBytes: 256 * 1024,
    previousSecretGraceMs: 24 * 60 * 60 * 1000,
    ledger,
    secrets,
    enqueue: async ({ rawBody, subscription }) => {
      await Promise.resolve();
      const failure = enqueueFailures.shift();
      if (failure) throw failure;
      sent.push({ rawBody, subscription });
      return `msg-${sent.length}`;
    },
    now: () => now,
    logger: new Logger({ serviceName: 'test' }),
    metrics: new Metrics({ namespace: 'Test', serviceName: 'test' }),
    ...overrides,
  };
  const receive = createVerifierCore(deps);
  return {
    receive,
    ledger,
    secrets,
    sent,
    enqueueFailures,
    advance: (ms: number) => {
      now += ms;
    },
    nowSeconds: () => Math.floor(now / 1000),
  };
}

function signed(
  body: string,
  options: { secret?: string; t?: number; subscription?: string; headerName?: string } = {},
): IncomingDelivery {
  const t = options.t ?? Math.floor(START_MS / 1000);
  return {
    subscription: options.subscription ?? 'default',
    headers: { [options.headerName ?? 'x-fpt-signature']: fptHeader(options.secret ?? SECRET, t, body) },
    body,
    isBase64Encoded: false,
  };
}

let output: ReturnType<typeof captureOutput>;
beforeEach(() => {
  output = captureOutput();
});
afterEach(() => output.restore());

describe('createVerifierCore: authentication', () => {
  it('returns 202 and queues the exact raw body when the signature is valid', async () => {
    const { receive, sent } = setup();
    const body = envelope();
    const response = await receive(signed(body));
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toEqual({ status: 'accepted', eventId: EVENT_ID });
    expect(sent).toEqual([{ rawBody: body, subscription: 'default' }]);
  });

  it('finds the signature header whatever its case', async () => {
    const { receive } = setup();
    expect((await receive(signed(envelope(), { headerName: 'X-FPT-Signature' }))).statusCode).toBe(202);
  });

  it('queues a non-ASCII text body exactly as API Gateway handed it over', async () => {
    const { receive, sent } = setup();
    const body = envelope({ data: { contactId: 1, firstName: 'Zoë', city: 'Kraków', note: '🏋️' } });

    const response = await receive(signed(body));

    expect(response.statusCode).toBe(202);
    expect(sent[0]?.rawBody).toBe(body);
  });

  it('queues the decoding of the signed bytes when the text body holds a lone surrogate', async () => {
    const { receive, sent } = setup();
    // JSON.stringify would escape it; a raw lone surrogate is what a mis-decoded body can carry.
    const body = envelope({ data: { contactId: 1, note: 'aXb' } }).replace('aXb', 'a\uD800b');
    const bytes = Buffer.from(body, 'utf8'); // the lone surrogate became EF BF BD, as on the wire
    const t = Math.floor(START_MS / 1000);
    const v1 = fptSign(SECRET, t, bytes);

    const response = await receive({
      subscription: 'default',
      headers: { 'x-fpt-signature': `t=${t},v1=${v1}` },
      body,
      isBase64Encoded: false,
    });

    expect(response.statusCode).toBe(202);
    expect(sent[0]?.rawBody).toBe(bytes.toString('utf8'));
    expect(sent[0]?.rawBody).not.toBe(body);
  });

  it('verifies a base64-encoded body over its decoded bytes', async () => {
    const { receive, sent } = setup();
    const body = envelope();
    const delivery = signed(body);
    const response = await receive({
      ...delivery,
      body: Buffer.from(body).toString('base64'),
      isBase64Encoded: true,
    });
    expect(response.statusCode).toBe(202);
    expect(sent[0]?.rawBody).toBe(body);
  });

  it('returns 404 for an unknown subscription without looking up any secret', async () => {
    const { receive, secrets, ledger } = setup();
    const response = await receive(signed(envelope(), { subscription: 'nope' }));
    expect(response.statusCode).toBe(404);
    expect(secrets.gets).toEqual([]);
    expect(ledger.rows.size).toBe(0);
  });

  it('returns 413 for a body over 256 KiB, plain or base64', async () => {
    const { receive, secrets } = setup();
    const big = 'x'.repeat(256 * 1024 + 1);
    expect((await receive(signed(big))).statusCode).toBe(413);
    const b64 = { ...signed(big), body: Buffer.from(big).toString('base64'), isBase64Encoded: true };
    expect((await receive(b64)).statusCode).toBe(413);
    expect(secrets.gets).toEqual([]);
  });

  it.each([
    ['no signature header', {}],
    ['a malformed header', { 'x-fpt-signature': 't=abc,v1=00' }],
    ['a header without v1', { 'x-fpt-signature': 't=1780000000' }],
  ])('returns 401 with a fixed body for %s', async (_name, headers) => {
    const { receive, ledger, sent } = setup();
    const response = await receive({
      subscription: 'default',
      headers,
      body: envelope(),
      isBase64Encoded: false,
    });
    expect(response).toEqual({
      statusCode: 401,
      headers: { 'content-type': 'application/json' },
      body: '{"message":"Unauthorized"}',
    });
    expect(ledger.rows.size).toBe(0);
    expect(sent).toEqual([]);
  });

  it('returns 401 when the timestamp is older than the tolerance', async () => {
    const { receive, ledger } = setup();
    const response = await receive(signed(envelope(), { t: Math.floor(START_MS / 1000) - 301 }));
    expect(response.statusCode).toBe(401);
    expect(ledger.rows.size).toBe(0);
  });

  it('returns 401 when the timestamp is in the future beyond the tolerance', async () => {
    const { receive, ledger } = setup();
    const response = await receive(signed(envelope(), { t: Math.floor(START_MS / 1000) + 301 }));
    expect(response.statusCode).toBe(401);
    expect(ledger.rows.size).toBe(0);
  });

  it('returns 401 and stores nothing when the signature was made with another secret', async () => {
    const { receive, ledger, sent } = setup();
    const response = await receive(signed(envelope(), { secret: 'attacker-guess-0123456789-abcdefghijk' }));
    expect(response.statusCode).toBe(401);
    expect(response.body).toBe('{"message":"Unauthorized"}');
    expect(ledger.rows.size).toBe(0);
    expect(ledger.parked.size).toBe(0);
    expect(sent).toEqual([]);
  });

  it('accepts the AWSPREVIOUS secret within the grace window', async () => {
    const { receive, secrets } = setup();
    secrets.versions.AWSPREVIOUS = { value: OLD_SECRET, createdAtMs: START_MS - 86_400_000 * 10 };
    secrets.stored = { ...secrets.versions };
    expect((await receive(signed(envelope(), { secret: OLD_SECRET }))).statusCode).toBe(202);
    expect(secrets.gets).toEqual(['AWSCURRENT', 'AWSPREVIOUS']);
  });

  it('rejects the AWSPREVIOUS secret once the grace window after the current one was set is over', async () => {
    const { receive, secrets } = setup();
    secrets.versions.AWSCURRENT = { value: SECRET, createdAtMs: START_MS - 25 * 3600 * 1000 };
    secrets.versions.AWSPREVIOUS = { value: OLD_SECRET, createdAtMs: START_MS - 30 * 86_400_000 };
    secrets.stored = { ...secrets.versions };
    expect((await receive(signed(envelope(), { secret: OLD_SECRET }))).statusCode).toBe(401);
  });

  it('does not fetch AWSPREVIOUS when the current secret matches', async () => {
    const { receive, secrets } = setup();
    await receive(signed(envelope()));
    expect(secrets.gets).toEqual(['AWSCURRENT']);
  });

  it('picks up a newly set secret at once by refreshing after a failed match', async () => {
    const { receive, secrets } = setup();
    const rotated = 'rotated-secret-0123456789-abcdefghijklmnop';
    secrets.stored = {
      AWSCURRENT: { value: rotated, createdAtMs: START_MS },
      AWSPREVIOUS: { value: SECRET, createdAtMs: START_MS - 60_000 },
    };
    expect((await receive(signed(envelope(), { secret: rotated }))).statusCode).toBe(202);
    expect(secrets.invalidations).toBe(1);
  });

  it('does not refresh again while the refresh is rate-limited', async () => {
    const { receive, secrets } = setup();
    secrets.refreshAllowed = false;
    expect(
      (await receive(signed(envelope(), { secret: 'wrong-secret-0123456789-abcdefghijklmn' }))).statusCode,
    ).toBe(401);
    expect(secrets.gets.filter((s) => s === 'AWSCURRENT')).toHaveLength(1);
  });

  it('fails closed with 503 when the secret is not configured, and logs "not configured"', async () => {
    const { receive, secrets, ledger, sent } = setup();
    secrets.versions.AWSCURRENT = { value: undefined, createdAtMs: undefined };
    secrets.stored = { ...secrets.versions };
    const response = await receive(signed(envelope()));
    expect(response.statusCode).toBe(503);
    expect(response.body).toBe('{"message":"Service Unavailable"}');
    expect(ledger.rows.size).toBe(0);
    expect(sent).toEqual([]);
    expect(output.text()).toContain('not configured');
  });
});

describe('createVerifierCore: idempotent ingest', () => {
  it('answers 200 to a repeated delivery once the processor has the event, and queues it once', async () => {
    const { receive, sent, ledger } = setup();
    const body = envelope();
    expect((await receive(signed(body))).statusCode).toBe(202);
    await ledger.startProcessing({
      eventId: EVENT_ID,
      subscription: 'default',
      eventType: 'contact.updated',
      nowMs: START_MS,
    });
    const again = await receive(signed(body));
    expect(again.statusCode).toBe(200);
    expect(JSON.parse(again.body)).toEqual({ status: 'duplicate', eventId: EVENT_ID });
    expect(sent).toHaveLength(1);
  });

  it('dedupes eventIds that differ only in letter case', async () => {
    const { receive, sent } = setup();
    await receive(signed(envelope()));
    await receive(signed(envelope({ eventId: EVENT_ID.toUpperCase() })));
    expect(sent).toHaveLength(1);
  });

  it('queues exactly once when 50 deliveries of one event arrive concurrently', async () => {
    const { receive, sent } = setup();
    const body = envelope();
    const responses = await Promise.all(Array.from({ length: 50 }, () => receive(signed(body))));
    expect(sent).toHaveLength(1);
    const codes = responses.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 202)).toHaveLength(1);
    expect(codes.every((c) => c === 202 || c === 200 || c === 409)).toBe(true);
  });

  it('answers 409 with retry-after while another delivery of the same body holds the claim', async () => {
    const { receive, ledger } = setup();
    const body = envelope();
    ledger.rows.set(EVENT_ID, {
      status: 'RECEIVED',
      bodySha256: sha256Hex(Buffer.from(body, 'utf8')),
      leaseToken: 't',
      leaseExpiresAt: START_MS + 1000,
    });
    const response = await receive(signed(body));
    expect(response.statusCode).toBe(409);
    expect(response.headers['retry-after']).toBe('5');
  });

  it('parks another body claimed under the same eventId and answers 200, instead of waiting or queueing it', async () => {
    const { receive, ledger, sent } = setup();
    ledger.rows.set(EVENT_ID, {
      status: 'RECEIVED',
      bodySha256: 'x',
      leaseToken: 't',
      leaseExpiresAt: START_MS + 1000,
    });
    const response = await receive(signed(envelope()));
    expect(response.statusCode).toBe(200);
    expect(ledger.parked.size).toBe(1);
    expect(sent).toEqual([]);
  });

  it('returns a generic 500 and releases the claim when the queue send fails, so the retry gets through', async () => {
    const { receive, ledger, sent, enqueueFailures } = setup();
    enqueueFailures.push(new Error('SQS unavailable: internal detail'));
    const body = envelope();
    const first = await receive(signed(body));
    expect(first).toMatchObject({ statusCode: 500, body: '{"message":"Internal Server Error"}' });
    expect(ledger.rows.has(EVENT_ID)).toBe(false);
    const retry = await receive(signed(body));
    expect(retry.statusCode).toBe(202);
    expect(sent).toHaveLength(1);
  });

  it('recovers after a crash between the ledger write and the queue send once the lease expires', async () => {
    const { receive, ledger, sent, enqueueFailures, advance } = setup();
    enqueueFailures.push(new Error('crash'));
    ledger.failNext.release = new Error('crash before release');
    const body = envelope();
    expect((await receive(signed(body))).statusCode).toBe(500);
    expect((await receive(signed(body))).statusCode).toBe(409);
    advance(31_000);
    const t = Math.floor((START_MS + 31_000) / 1000);
    expect((await receive(signed(body, { t }))).statusCode).toBe(202);
    expect(sent).toHaveLength(1);
  });

  it('writes nothing to the ledger after the send: the row stays RECEIVED until the processor takes it', async () => {
    const { receive, ledger, sent } = setup();
    const body = envelope();
    expect((await receive(signed(body))).statusCode).toBe(202);
    expect(sent).toHaveLength(1);
    expect(ledger.rows.get(JSON.parse(body).eventId)).toMatchObject({ status: EVENT_STATUS.received });
  });

  it('asks a retry of a queued, unprocessed event to wait during the lease, then queues it again', async () => {
    // The row cannot tell a crashed claim from a queued message: after the lease a retry sends a second
    // copy, which the processor's lease and PROCESSED check skip.
    const { receive, sent, advance } = setup();
    const body = envelope();
    expect((await receive(signed(body))).statusCode).toBe(202);
    expect((await receive(signed(body))).statusCode).toBe(409);
    advance(31_000);
    const t = Math.floor((START_MS + 31_000) / 1000);
    expect((await receive(signed(body, { t }))).statusCode).toBe(202);
    expect(sent).toHaveLength(2);
  });

  it('returns a generic 500 when the ledger is unavailable, so FPT retries', async () => {
    const { receive, ledger, sent } = setup();
    ledger.failNext.claim = new Error('ProvisionedThroughputExceeded: table fpt');
    const response = await receive(signed(envelope()));
    expect(response).toMatchObject({ statusCode: 500, body: '{"message":"Internal Server Error"}' });
    expect(sent).toEqual([]);
  });
});

describe('createVerifierCore: invalid envelopes', () => {
  it.each([
    ['not JSON', 'this is not json'],
    ['a JSON array', '[]'],
    ['a short eventId', envelope({ eventId: 'abc' })],
    ['a bad eventType', envelope({ eventType: 'ContactUpdated' })],
    ['a non-UTC timestamp', envelope({ eventTimestamp: '2026-11-28T11:59:58+01:00' })],
    ['a negative locationId', envelope({ locationId: -1 })],
    ['a string organizationId', envelope({ organizationId: '5678' })],
    ['a missing apiVersion', envelope({ apiVersion: undefined })],
    ['data that is not an object', envelope({ data: [1, 2] })],
  ])('parks an authentic body with %s, answers 202, and queues nothing', async (_name, body) => {
    const { receive, ledger, sent } = setup();
    const response = await receive(signed(body));
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toEqual({ status: 'parked' });
    expect(ledger.parked.size).toBe(1);
    expect([...ledger.parked.values()][0]?.rawBody).toBe(body);
    expect(sent).toEqual([]);
  });

  it('parks an authentic body that is not valid UTF-8 byte for byte, and queues nothing', async () => {
    const { receive, ledger, sent } = setup();
    const bytes = Buffer.concat([
      Buffer.from(envelope().slice(0, -1)),
      Buffer.from([0x2c, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
    ]);
    const t = Math.floor(START_MS / 1000);
    const v1 = fptSign(SECRET, t, bytes);

    const response = await receive({
      subscription: 'default',
      headers: { 'x-fpt-signature': `t=${t},v1=${v1}` },
      body: bytes.toString('base64'),
      isBase64Encoded: true,
    });

    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toEqual({ status: 'parked' });
    const [parked] = [...ledger.parked.values()];
    expect(parked?.problems).toEqual(['body is not valid UTF-8']);
    expect(parked?.bytes.equals(bytes)).toBe(true);
    expect(sent).toEqual([]);
  });

  it('parks a retried invalid body only once', async () => {
    const { receive, ledger } = setup();
    await receive(signed('nope'));
    await receive(signed('nope'));
    expect(ledger.parked.size).toBe(1);
  });

  it('parks a second body that reuses an eventId, and answers 200', async () => {
    const { receive, ledger, sent } = setup();
    await receive(signed(envelope()));
    const other = envelope({ locationId: 4321 });
    const response = await receive(signed(other));
    expect(response.statusCode).toBe(200);
    expect(sent).toHaveLength(1);
    expect([...ledger.parked.values()][0]?.rawBody).toBe(other);
  });
});

describe('createVerifierCore: what reaches the logs', () => {
  it('never logs the secret, the signature, the raw body or payload fields', async () => {
    const { receive, secrets, enqueueFailures } = setup();
    secrets.versions.AWSPREVIOUS = { value: OLD_SECRET, createdAtMs: START_MS };
    const body = envelope();
    const delivery = signed(body);
    enqueueFailures.push(new Error('boom'));
    await receive(delivery);
    await receive(delivery);
    await receive(delivery);
    await receive(signed(body, { secret: 'wrong-secret-0123456789-abcdefghijklmn' }));
    await receive(signed('{"not":"an envelope","email":"pii-sentinel@example.com"}'));
    const logs = output.text();
    expect(logs.length).toBeGreaterThan(0);
    for (const forbidden of [
      SECRET,
      OLD_SECRET,
      delivery.headers['x-fpt-signature'] as string,
      body,
      'pii-sentinel',
      '9876',
    ]) {
      expect(logs).not.toContain(forbidden);
    }
  });

  it('logs an SDK error by name and request id, never by its message, which may quote the request', async () => {
    const { receive, enqueueFailures } = setup();
    const body = envelope();
    const sdkError = Object.assign(new Error(`InvalidMessageContents: ${body}`), {
      name: 'InvalidMessageContents',
      $metadata: { httpStatusCode: 400, requestId: 'aws-req-123' },
    });
    enqueueFailures.push(sdkError);
    expect((await receive(signed(body))).statusCode).toBe(500);
    const logs = output.text();
    expect(logs).toContain('InvalidMessageContents');
    expect(logs).toContain('aws-req-123');
    expect(logs).not.toContain('pii-sentinel');
  });

  it('logs no eventType and no eventId for a request that fails verification', async () => {
    const { receive } = setup();
    await receive(signed(envelope(), { secret: 'wrong-secret-0123456789-abcdefghijklmn' }));
    const logs = output.text();
    expect(logs).toContain('bad_signature');
    expect(logs).not.toContain('contact.updated');
    expect(logs).not.toContain(EVENT_ID);
  });
});
