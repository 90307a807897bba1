import crypto from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { EARLIEST_EVENT_TIMESTAMP_MS } from '../../../lambda/shared/event-time';
import { EVENT_STATUS } from '../../../lambda/shared/ledger-schema';
import { createVerifierHandler } from '../../../lambda/verifier/create-handler';
import {
  createVerifierCore,
  type HttpResponse,
  type IncomingDelivery,
  type VerifierDeps,
} from '../../../lambda/verifier/receive';
import type { SecretVersion, VersionStage } from '../../../lambda/verifier/secret-store';
import { FakeLedger } from '../../support/fake-ledger';
import {
  eventIdHex,
  hex64,
  hmacHex,
  ignorableItem,
  padding,
  runs,
  serialisation,
  validEnvelope,
} from './arbitraries';

/**
 * Properties of the verifier's core (createVerifierCore) over arbitrary and adversarial deliveries, with
 * the in-memory ledger of test/support/fake-ledger.ts and a fake secret port:
 *
 * - it always answers, with a known status and a fixed body, and never throws;
 * - a 2xx answer implies a signature that an independent oracle accepts, inside the tolerance;
 * - nothing is written to the ledger or the queue for a delivery the oracle does not authenticate;
 * - an authentic delivery is always accepted (queued, parked or known), whatever its body;
 * - a 2xx answer implies the event is durable (queued, known, or parked), whatever fails;
 * - requests that fail before the HMAC cost no secret lookup and no HMAC;
 * - nothing secret or personal reaches the logs.
 */

const TOLERANCE_S = 300;
const MAX_BODY_BYTES = 8 * 1024;
const SECRETS: Record<string, string> = {
  default: 'prop-default-secret-0123456789-abcdefghijklm',
  billing: 'prop-billing-secret-9876543210-nopqrstuvwxyz',
};
const SECRET_IDS = new Map([
  ['default', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:fpt/default'],
  ['billing', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:fpt/billing'],
]);
const SUBSCRIPTION_BY_SECRET_ID = new Map([...SECRET_IDS].map(([name, id]) => [id, name]));
const PII = 'pii-sentinel';

const KNOWN_STATUS = new Set([200, 202, 401, 404, 409, 413, 500, 503]);
const FIXED_BODIES: Record<number, string> = {
  401: '{"message":"Unauthorized"}',
  404: '{"message":"Not Found"}',
  409: '{"message":"Conflict"}',
  413: '{"message":"Payload Too Large"}',
  500: '{"message":"Internal Server Error"}',
  503: '{"message":"Service Unavailable"}',
};

// ---------------------------------------------------------------------------------------------------
// The oracle: written from the documentation, and more permissive than the verifier on purpose. It
// accepts a delivery when ANY digit run in ANY header named x-fpt-signature (any case) is within the
// tolerance and ANY 64-hex window in that header is the HMAC of the decoded body under the
// subscription's secret. A verifier that answers 2xx when this says no has accepted a forgery.
// ---------------------------------------------------------------------------------------------------

function decodedBody(delivery: IncomingDelivery): Buffer {
  const body = delivery.body ?? '';
  return delivery.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
}

function hexWindows(value: string): string[] {
  const windows: string[] = [];
  for (const run of value.match(/[0-9a-fA-F]{64,}/g) ?? []) {
    for (let i = 0; i + 64 <= run.length; i++) windows.push(run.slice(i, i + 64).toLowerCase());
  }
  return windows;
}

function signatureValues(delivery: IncomingDelivery): string[] {
  return Object.entries(delivery.headers)
    .filter(([name, value]) => name.toLowerCase() === 'x-fpt-signature' && typeof value === 'string')
    .map(([, value]) => value as string);
}

function hasFreshTimestamp(delivery: IncomingDelivery, nowMs: number): boolean {
  const nowS = Math.floor(nowMs / 1000);
  return signatureValues(delivery).some((value) =>
    (value.match(/\d+/g) ?? []).some((t) => Math.abs(nowS - Number(t)) <= TOLERANCE_S),
  );
}

function isAuthentic(delivery: IncomingDelivery, nowMs: number): boolean {
  const secret = delivery.subscription === undefined ? undefined : SECRETS[delivery.subscription];
  if (secret === undefined || !Object.hasOwn(SECRETS, delivery.subscription as string)) return false;
  const body = decodedBody(delivery);
  if (body.length > MAX_BODY_BYTES) return false;
  const nowS = Math.floor(nowMs / 1000);
  for (const value of signatureValues(delivery)) {
    const windows = hexWindows(value);
    if (windows.length === 0) continue;
    for (const t of new Set(value.match(/\d+/g) ?? [])) {
      if (Math.abs(nowS - Number(t)) > TOLERANCE_S) continue;
      if (windows.includes(hmacHex(secret, t, body))) return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------
// The world: the receiver with a fake ledger, secret port and queue that record every call.
// ---------------------------------------------------------------------------------------------------

/** A value a failing dependency throws: errors, and things that are not errors at all. */
const thrown = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constant(new Error('injected: service unavailable')),
    fc.constant(Object.assign(new Error('injected: throttled'), { name: 'ThrottlingException' })),
    fc.constant(Object.assign(new Error('injected'), { name: 'ConditionalCheckFailedException' })),
    fc.constant(new TypeError('injected: cannot read properties of undefined')),
    fc.constantFrom('a string', undefined, null, 42),
    fc.constant({ name: 'NotAnError', $metadata: { httpStatusCode: 500 } }),
  );

type Op = 'claim' | 'release' | 'park' | 'enqueue' | 'secret';

interface Write {
  readonly op: Op;
  readonly delivery: number;
}

interface Sent {
  readonly eventId: string;
  readonly rawBody: string;
  readonly subscription: string;
}

interface World {
  receive(delivery: IncomingDelivery): Promise<HttpResponse>;
  readonly ledger: FakeLedger;
  readonly writes: Write[];
  readonly sent: Sent[];
  readonly secretGets: string[];
  now: number;
  current: number;
}

function createWorld(options: {
  faults?: ReadonlyArray<readonly unknown[]>;
  nowMs: number;
  logger?: Logger;
}): World {
  const ledger = new FakeLedger();
  const faults = options.faults ?? [];
  let faultIndex = 0;
  /** Takes the next entry of the fault plan for this call; undefined means the call succeeds. */
  const maybeFail = (): void => {
    const entry = faults[faultIndex++ % Math.max(1, faults.length)];
    if (entry !== undefined && entry.length > 0) throw entry[0];
  };
  const world: World = {
    ledger,
    writes: [],
    sent: [],
    secretGets: [],
    now: options.nowMs,
    current: -1,
    receive: async () => {
      throw new Error('not initialised');
    },
  };
  const record = (op: Op) => world.writes.push({ op, delivery: world.current });
  const deps: VerifierDeps = {
    subscriptions: SECRET_IDS,
    toleranceSeconds: TOLERANCE_S,
    maxBodyBytes: MAX_BODY_BYTES,
    previousSecretGraceMs: 24 * 3600 * 1000,
    ledger: {
      claim: async (input) => {
        record('claim');
        maybeFail();
        return ledger.claim(input);
      },
      release: async (eventId, token) => {
        record('release');
        maybeFail();
        return ledger.release(eventId, token);
      },
      park: async (input) => {
        record('park');
        maybeFail();
        return ledger.park(input);
      },
    },
    secrets: {
      get: async (secretId: string, stage: VersionStage): Promise<SecretVersion> => {
        world.secretGets.push(stage);
        maybeFail();
        const subscription = SUBSCRIPTION_BY_SECRET_ID.get(secretId);
        if (stage === 'AWSPREVIOUS' || subscription === undefined)
          return { value: undefined, createdAtMs: undefined };
        return { value: SECRETS[subscription], createdAtMs: 0 };
      },
      tryInvalidate: () => true,
    },
    enqueue: async ({ envelope, rawBody, subscription }) => {
      record('enqueue');
      maybeFail();
      world.sent.push({ eventId: envelope.eventId, rawBody, subscription });
      return `msg-${world.sent.length}`;
    },
    now: () => world.now,
    logger: options.logger ?? new Logger({ serviceName: 'prop', logLevel: 'DEBUG' }),
    metrics: new Metrics({ namespace: 'Prop', serviceName: 'prop' }),
  };
  const receive = createVerifierCore(deps);
  world.receive = async (delivery) => {
    world.current++;
    return receive(delivery);
  };
  return world;
}

// ---------------------------------------------------------------------------------------------------
// Deliveries. A recipe is materialised at the moment it is sent, so its signature is fresh then.
// ---------------------------------------------------------------------------------------------------

/** Bodies an authentic sender might sign: valid envelopes and everything else. */
const bodyBytes = (): fc.Arbitrary<Buffer> =>
  fc.oneof(
    { weight: 4, arbitrary: envelopeBody() },
    // The same key twice: JSON.parse keeps the last one, and so must everything downstream.
    fc
      .tuple(eventIdHex(), eventIdHex(), fc.string({ maxLength: 8 }))
      .map(([a, b, pad]) =>
        Buffer.from(
          `{"eventId":"${a}","eventType":"contact.updated","eventId":"${b}","eventTimestamp":"2026-06-10T23:45:00.123Z",` +
            `"locationId":1,"organizationId":0,"apiVersion":"v1","data":{"contactId":1,"note":${JSON.stringify(`${PII}${pad}`)}}}`,
        ),
      ),
    // Numbers JavaScript cannot hold exactly, or at all.
    fc
      .tuple(
        eventIdHex(),
        fc.constantFrom(
          '1e400',
          '-1e400',
          '9007199254740993',
          '1.5',
          '1e2',
          '-0',
          '123456789012345678901234567890',
        ),
      )
      .map(([id, n]) =>
        Buffer.from(
          `{"eventId":"${id}","eventType":"contact.created","eventTimestamp":"2026-06-10T23:45:00Z","locationId":${n},` +
            `"organizationId":${n},"apiVersion":"v1","data":{"contactId":${n},"operation":"create"}}`,
        ),
      ),
    fc.json({ maxDepth: 3 }).map((j) => Buffer.from(j)),
    fc.string({ unit: 'grapheme', maxLength: 200 }).map((s) => Buffer.from(s)),
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    fc.constant(Buffer.alloc(0)),
  );

function envelopeBody(eventTimestamp?: fc.Arbitrary<string>): fc.Arbitrary<Buffer> {
  return fc
    .tuple(
      validEnvelope(),
      serialisation(),
      fc.string({ maxLength: 10 }),
      eventTimestamp ?? fc.constant(undefined),
    )
    .map(([envelope, serialise, note, timestamp]) =>
      Buffer.from(
        serialise({
          ...envelope,
          ...(timestamp !== undefined ? { eventTimestamp: timestamp } : {}),
          data: { ...envelope.data, email: `${PII}-${note}@example.com` },
        }),
      ),
    );
}

/**
 * A clock, and an authentic recipe whose eventTimestamp FPT could have stamped by then (from FPT's
 * first year to the clock itself), so the event is queued rather than parked (lambda/shared/event-time.ts).
 */
const clockAndPlausibleRecipe = (): fc.Arbitrary<[number, AuthenticRecipe]> =>
  fc
    .integer({ min: EARLIEST_EVENT_TIMESTAMP_MS, max: Date.UTC(9999, 11, 31) })
    .chain((nowMs) =>
      fc.tuple(
        fc.constant(nowMs),
        authenticRecipe(
          envelopeBody(
            fc
              .integer({ min: EARLIEST_EVENT_TIMESTAMP_MS, max: nowMs })
              .map((ms) => new Date(ms).toISOString()),
          ),
        ),
      ),
    );

/** Is the body plain UTF-8 text that survives being passed as a string (API Gateway's text mode)? */
const isUtf8Text = (body: Buffer): boolean => Buffer.from(body.toString('utf8'), 'utf8').equals(body);

interface AuthenticRecipe {
  readonly kind: 'authentic';
  readonly subscription: string;
  readonly body: Buffer;
  readonly skewS: number;
  readonly headerName: string;
  readonly decoysBefore: readonly string[];
  readonly decoysAfter: readonly string[];
  readonly extraItems: readonly string[];
  readonly pad: string;
  readonly base64: boolean;
}

const authenticRecipe = (body: fc.Arbitrary<Buffer> = bodyBytes()): fc.Arbitrary<AuthenticRecipe> =>
  fc
    .record({
      subscription: fc.constantFrom('default', 'billing'),
      body,
      skewS: fc.integer({ min: -TOLERANCE_S, max: TOLERANCE_S }),
      headerName: fc.mixedCase(fc.constant('x-fpt-signature')),
      decoysBefore: fc.array(hex64(), { maxLength: 2 }),
      decoysAfter: fc.array(hex64(), { maxLength: 2 }),
      extraItems: fc.array(ignorableItem(), { maxLength: 2 }),
      pad: padding(),
      base64: fc.boolean(),
    })
    .map((r) => ({ kind: 'authentic' as const, ...r, base64: r.base64 || !isUtf8Text(r.body) }));

function signedHeader(recipe: AuthenticRecipe, nowMs: number, secret: string, tShift = 0): string {
  const t = String(Math.floor(nowMs / 1000) + recipe.skewS);
  const v1 = hmacHex(secret, t, recipe.body);
  const t2 = tShift === 0 ? t : String(Number(t) + tShift);
  const items = [
    `${recipe.pad}t=${t2}`,
    ...recipe.decoysBefore.map((d) => `v1=${d}`),
    `v1=${recipe.pad}${v1}`,
    ...recipe.decoysAfter.map((d) => `v1=${d}`),
    ...recipe.extraItems,
  ];
  return items.join(',');
}

function materialiseAuthentic(recipe: AuthenticRecipe, nowMs: number): IncomingDelivery {
  return {
    subscription: recipe.subscription,
    headers: {
      'content-type': 'application/json',
      [recipe.headerName]: signedHeader(recipe, nowMs, SECRETS[recipe.subscription] as string),
    },
    body: recipe.base64 ? recipe.body.toString('base64') : recipe.body.toString('utf8'),
    isBase64Encoded: recipe.base64,
  };
}

const TAMPERINGS = [
  'body-changed',
  'stale',
  'future',
  'other-subscription-secret',
  't-changed',
  'no-header',
  'header-renamed',
  'v1-truncated',
  'unknown-subscription',
  'no-subscription',
  'oversize',
  'encoding-flipped',
] as const;
type Tampering = (typeof TAMPERINGS)[number];

interface TamperedRecipe {
  readonly kind: 'tampered';
  readonly base: AuthenticRecipe;
  readonly tampering: Tampering;
  readonly amount: number;
}

const tamperedRecipe = (): fc.Arbitrary<TamperedRecipe> =>
  fc.record({
    kind: fc.constant('tampered' as const),
    base: authenticRecipe(),
    tampering: fc.constantFrom(...TAMPERINGS),
    amount: fc.integer({ min: 1, max: 100_000 }),
  });

function materialiseTampered(recipe: TamperedRecipe, nowMs: number): IncomingDelivery {
  const { base, tampering, amount } = recipe;
  const good = materialiseAuthentic(base, nowMs);
  const headerValue = good.headers[base.headerName] as string;
  const withBody = (bytes: Buffer): IncomingDelivery => ({
    ...good,
    body: base.base64 ? bytes.toString('base64') : bytes.toString('utf8'),
  });
  switch (tampering) {
    case 'body-changed': {
      const bytes = Buffer.concat([base.body, Buffer.from(' ')]);
      if (base.body.length > 0)
        bytes[amount % base.body.length] = (bytes[amount % base.body.length] as number) ^ 0x01;
      return withBody(base.body.length > 0 ? bytes.subarray(0, base.body.length) : bytes);
    }
    case 'stale':
      return materialiseAuthentic({ ...base, skewS: -(TOLERANCE_S + 1 + (amount % 100_000)) }, nowMs);
    case 'future':
      return materialiseAuthentic({ ...base, skewS: TOLERANCE_S + 1 + (amount % 100_000) }, nowMs);
    case 'other-subscription-secret': {
      const other = base.subscription === 'default' ? 'billing' : 'default';
      return {
        ...good,
        headers: { ...good.headers, [base.headerName]: signedHeader(base, nowMs, SECRETS[other] as string) },
      };
    }
    case 't-changed':
      return {
        ...good,
        headers: {
          ...good.headers,
          [base.headerName]: signedHeader(
            base,
            nowMs,
            SECRETS[base.subscription] as string,
            (amount % 30) + 1,
          ),
        },
      };
    case 'no-header':
      return { ...good, headers: { 'content-type': 'application/json' } };
    case 'header-renamed':
      return {
        ...good,
        headers: {
          'content-type': 'application/json',
          [amount % 2 === 0 ? 'x-fpt-signature-v2' : 'fpt-signature']: headerValue,
        },
      };
    case 'v1-truncated':
      return {
        ...good,
        headers: {
          ...good.headers,
          [base.headerName]: `t=${Math.floor(nowMs / 1000) + base.skewS},v1=${hmacHex(SECRETS[base.subscription] as string, String(Math.floor(nowMs / 1000) + base.skewS), base.body).slice(0, 64 - ((amount % 63) + 1))}`,
        },
      };
    case 'unknown-subscription':
      return {
        ...good,
        subscription: ['nope', 'DEFAULT', 'default ', '__proto__', 'défault', 'constructor'][
          amount % 6
        ] as string,
      };
    case 'no-subscription':
      return { ...good, subscription: undefined };
    case 'oversize': {
      const big = Buffer.concat([
        base.body,
        Buffer.alloc(MAX_BODY_BYTES - base.body.length + 1 + (amount % 1000), 0x20),
      ]);
      return materialiseAuthentic({ ...base, body: big }, nowMs);
    }
    case 'encoding-flipped':
      return { ...good, isBase64Encoded: !good.isBase64Encoded };
  }
}

interface ArbitraryRecipe {
  readonly kind: 'arbitrary';
  readonly delivery: IncomingDelivery;
}

/** Anything at all: arbitrary subscription, header names and values, body and encoding flag. */
const arbitraryRecipe = (): fc.Arbitrary<ArbitraryRecipe> => {
  const headerName = fc.oneof(
    fc.mixedCase(fc.constant('x-fpt-signature')),
    fc.constantFrom('content-type', 'x-fpt-signature ', 'x-fpt-signatures', 'signature'),
    fc.string({ maxLength: 20 }),
  );
  const headerValue = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.tuple(fc.integer({ min: 0, max: 2e12 }), hex64()).map(([t, v]) => `t=${t},v1=${v}`),
    fc.constant(undefined),
  );
  return fc
    .record({
      subscription: fc.option(
        fc.oneof(fc.constantFrom('default', 'billing'), fc.string({ unit: 'binary', maxLength: 20 })),
        {
          nil: undefined,
        },
      ),
      headers: fc.dictionary(headerName, headerValue, { maxKeys: 4 }),
      body: fc.option(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 400 }),
          fc.base64String({ maxLength: 400 }),
          fc.json(),
        ),
        { nil: undefined },
      ),
      isBase64Encoded: fc.boolean(),
    })
    .map((delivery) => ({ kind: 'arbitrary' as const, delivery }));
};

type Recipe = AuthenticRecipe | TamperedRecipe | ArbitraryRecipe;

function materialise(recipe: Recipe, nowMs: number): IncomingDelivery {
  if (recipe.kind === 'authentic') return materialiseAuthentic(recipe, nowMs);
  if (recipe.kind === 'tampered') return materialiseTampered(recipe, nowMs);
  return recipe.delivery;
}

// ---------------------------------------------------------------------------------------------------
// Output capture: the receiver logs JSON lines to stdout; they are checked, then dropped.
// ---------------------------------------------------------------------------------------------------

let logChunks: string[] = [];
let spies: jest.SpyInstance[] = [];
beforeEach(() => {
  logChunks = [];
  spies = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logChunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    }),
  );
});
afterEach(() => {
  for (const spy of spies) spy.mockRestore();
});
const takeLogs = (): string => {
  const text = logChunks.join('');
  logChunks = [];
  return text;
};

/** The checks every single answer must pass, whatever was sent and whatever failed. */
function expectWellFormed(response: HttpResponse): void {
  expect(KNOWN_STATUS.has(response.statusCode)).toBe(true);
  expect(response.headers['content-type']).toBe('application/json');
  if (response.statusCode >= 300) {
    expect(response.body).toBe(FIXED_BODIES[response.statusCode]);
  } else {
    const body = JSON.parse(response.body) as { status: string; eventId?: string };
    expect(['accepted', 'duplicate', 'parked']).toContain(body.status);
    if (body.eventId !== undefined) expect(body.eventId).toMatch(/^[0-9a-f]{32}$/);
  }
}

const clock = (): fc.Arbitrary<number> => fc.integer({ min: 400_000, max: 999_000_000_000_000 });

describe('verifier core (properties)', () => {
  let hmacSpy: jest.SpyInstance;
  beforeEach(() => {
    hmacSpy = jest.spyOn(crypto, 'createHmac');
  });
  afterEach(() => hmacSpy.mockRestore());

  it('answers 2xx only to deliveries an independent oracle authenticates, and stores nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(authenticRecipe(), tamperedRecipe(), tamperedRecipe(), arbitraryRecipe()),
        fc.oneof(clock(), fc.constantFrom(0, 1, Number.MAX_SAFE_INTEGER)),
        async (recipe, nowMs) => {
          const world = createWorld({ nowMs });
          const delivery = materialise(recipe, nowMs);
          hmacSpy.mockClear();
          const response = await world.receive(delivery);
          const hmacs = hmacSpy.mock.calls.length;
          expectWellFormed(response);
          const authentic = isAuthentic(delivery, nowMs);
          if (response.statusCode < 300) expect(authentic).toBe(true);
          if (!authentic) {
            expect(world.writes).toEqual([]);
            expect(world.sent).toEqual([]);
            expect(world.ledger.rows.size + world.ledger.parked.size).toBe(0);
          }
          // Unknown subscription, oversize, no fresh timestamp: no secret lookup and no HMAC at all.
          const known = delivery.subscription !== undefined && SECRET_IDS.has(delivery.subscription);
          if (
            !known ||
            decodedBody(delivery).length > MAX_BODY_BYTES ||
            !hasFreshTimestamp(delivery, nowMs)
          ) {
            expect(world.secretGets).toEqual([]);
            expect(hmacs).toBe(0);
          }
          if (recipe.kind === 'tampered') {
            const expected: Record<Tampering, number> = {
              'body-changed': 401,
              stale: 401,
              future: 401,
              'other-subscription-secret': 401,
              't-changed': 401,
              'no-header': 401,
              'header-renamed': 401,
              'v1-truncated': 401,
              'unknown-subscription': 404,
              'no-subscription': 404,
              oversize: 413,
              'encoding-flipped': 401,
            };
            // A change of bytes or encoding that decodes to the very same bytes changes nothing.
            const altersBody = recipe.tampering === 'encoding-flipped' || recipe.tampering === 'body-changed';
            fc.pre(!altersBody || !decodedBody(delivery).equals(recipe.base.body));
            expect(response.statusCode).toBe(expected[recipe.tampering]);
          }
          takeLogs();
        },
      ),
      { numRuns: runs(700) },
    );
  });

  it('accepts every authentic delivery, whatever its body, and queues exactly the bytes that were signed', async () => {
    await fc.assert(
      fc.asyncProperty(authenticRecipe(), clock(), async (recipe, nowMs) => {
        const world = createWorld({ nowMs });
        const response = await world.receive(materialiseAuthentic(recipe, nowMs));
        expect([200, 202]).toContain(response.statusCode);
        const answer = JSON.parse(response.body) as { status: string; eventId?: string };
        if (answer.status === 'accepted') {
          expect(world.sent).toHaveLength(1);
          const [sent] = world.sent;
          expect(sent?.eventId).toBe(answer.eventId);
          expect(sent?.subscription).toBe(recipe.subscription);
          // The queued body is the signed body (exact bytes whenever the body is valid UTF-8).
          if (isUtf8Text(recipe.body))
            expect(Buffer.from(sent?.rawBody ?? '', 'utf8').equals(recipe.body)).toBe(true);
          // The ledger key is the eventId the processor will read from the same bytes (last duplicate key wins).
          const parsed = JSON.parse(recipe.body.toString('utf8')) as { eventId: string };
          expect(answer.eventId).toBe(parsed.eventId.toLowerCase());
          expect(world.ledger.rows.get(answer.eventId as string)?.status).toBe(EVENT_STATUS.received);
        } else {
          expect(answer.status).toBe('parked');
          expect(world.sent).toEqual([]);
          expect(world.ledger.parked.size).toBe(1);
        }
        takeLogs();
      }),
      { numRuns: runs(400) },
    );
  });

  it('never answers 2xx for an event that is not durable, whatever fails, across repeated deliveries and time', async () => {
    const step = fc.record({
      recipe: fc.oneof(
        { weight: 3, arbitrary: fc.nat({ max: 2 }).map((i) => ({ repeat: i })) },
        { weight: 1, arbitrary: tamperedRecipe() },
      ),
      advanceMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 40_000 })),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(authenticRecipe(envelopeBody()), { minLength: 1, maxLength: 3 }),
        fc.array(step, { minLength: 1, maxLength: 8 }),
        fc.array(
          fc.oneof(
            { weight: 3, arbitrary: fc.constant([]) },
            { weight: 1, arbitrary: thrown().map((e) => [e]) },
          ),
          {
            minLength: 1,
            maxLength: 40,
          },
        ),
        clock(),
        async (events, steps, faults, startMs) => {
          const world = createWorld({ nowMs: startMs, faults });
          for (const { recipe, advanceMs } of steps) {
            world.now += advanceMs;
            const chosen: Recipe =
              'repeat' in recipe ? (events[recipe.repeat % events.length] as AuthenticRecipe) : recipe;
            const delivery = materialise(chosen, world.now);
            const sentBefore = world.sent.length;
            const writesBefore = world.writes.length;
            const response = await world.receive(delivery);
            expectWellFormed(response);
            if (!isAuthentic(delivery, world.now)) {
              expect(response.statusCode).toBeGreaterThanOrEqual(400);
              expect(world.writes.length).toBe(writesBefore);
              continue;
            }
            if (response.statusCode >= 300) continue;
            const answer = JSON.parse(response.body) as { status: string; eventId?: string };
            if (answer.status === 'accepted') {
              // Queued during this very delivery.
              expect(world.sent.slice(sentBefore).map((s) => s.eventId)).toContain(answer.eventId);
            } else if (answer.status === 'duplicate') {
              // Known because an earlier delivery queued it.
              expect(world.sent.map((s) => s.eventId)).toContain(answer.eventId);
            } else {
              const sha = crypto.createHash('sha256').update(decodedBody(delivery)).digest('hex');
              expect(world.ledger.parked.has(sha)).toBe(true);
            }
          }
          takeLogs();
        },
      ),
      { numRuns: runs(250) },
    );
  });

  it('queues an event once however concurrent deliveries of it interleave (409 means "retry later")', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        clockAndPlausibleRecipe(),
        fc.array(
          fc.record({ skewS: fc.integer({ min: -TOLERANCE_S, max: TOLERANCE_S }), base64: fc.boolean() }),
          {
            minLength: 2,
            maxLength: 8,
          },
        ),
        async (s, [nowMs, recipe], variants) => {
          const world = createWorld({ nowMs });
          const ledger = world.ledger;
          const claim = s.scheduleFunction(ledger.claim.bind(ledger));
          const sent: string[] = [];
          const enqueue = s.scheduleFunction(async (eventId: string) => {
            sent.push(eventId);
            return `msg-${sent.length}`;
          });
          const receive = createVerifierCore({
            subscriptions: SECRET_IDS,
            toleranceSeconds: TOLERANCE_S,
            maxBodyBytes: MAX_BODY_BYTES,
            previousSecretGraceMs: 0,
            ledger: {
              claim,
              release: ledger.release.bind(ledger),
              park: ledger.park.bind(ledger),
            },
            secrets: {
              get: async (id, stage) => ({
                value:
                  stage === 'AWSCURRENT' ? SECRETS[SUBSCRIPTION_BY_SECRET_ID.get(id) as string] : undefined,
                createdAtMs: 0,
              }),
              tryInvalidate: () => false,
            },
            enqueue: ({ envelope }) => enqueue(envelope.eventId),
            now: () => nowMs,
            logger: new Logger({ serviceName: 'prop', logLevel: 'SILENT' }),
            metrics: new Metrics({ namespace: 'Prop', serviceName: 'prop' }),
          });
          const deliveries = variants.map((v) =>
            materialiseAuthentic({ ...recipe, skewS: v.skewS, base64: v.base64 || recipe.base64 }, nowMs),
          );
          const responses = await s.waitFor(Promise.all(deliveries.map((d) => receive(d))));
          const statuses = responses.map((r) => r.statusCode);
          const accepted = responses.filter((r) => r.statusCode === 202);
          expect(accepted).toHaveLength(1);
          expect(statuses.every((c) => c === 202 || c === 200 || c === 409)).toBe(true);
          expect(sent).toHaveLength(1);
          takeLogs();
        },
      ),
      { numRuns: runs(150) },
    );
  });

  it('writes no secret, signature or personal data to the logs, whatever happens', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(authenticRecipe(), tamperedRecipe()), { minLength: 1, maxLength: 4 }),
        fc.array(
          fc.oneof(
            fc.constant([]),
            thrown().map((e) => [e]),
          ),
          { minLength: 1, maxLength: 10 },
        ),
        clock(),
        async (recipes, faults, nowMs) => {
          const world = createWorld({ nowMs, faults });
          const signatures: string[] = [];
          for (const recipe of recipes) {
            const delivery = materialise(recipe, nowMs);
            for (const value of signatureValues(delivery)) signatures.push(...hexWindows(value));
            expectWellFormed(await world.receive(delivery));
          }
          const logs = takeLogs();
          expect(logs).not.toContain(SECRETS.default);
          expect(logs).not.toContain(SECRETS.billing);
          expect(logs).not.toContain(PII);
          for (const signature of signatures) expect(logs.toLowerCase()).not.toContain(signature);
        },
      ),
      { numRuns: runs(150) },
    );
  });
});

describe('createVerifierHandler (properties)', () => {
  it('always resolves to a response with a known status, for any shape of HTTP API event', async () => {
    const event = fc.record(
      {
        pathParameters: fc.option(
          fc.record({ subscription: fc.option(fc.string(), { nil: undefined }) }, { requiredKeys: [] }),
          { nil: undefined },
        ),
        headers: fc.option(fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 100 })), {
          nil: undefined,
        }),
        body: fc.option(fc.string({ unit: 'binary', maxLength: 300 }), { nil: undefined }),
        isBase64Encoded: fc.option(fc.boolean(), { nil: undefined }),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(event, clock(), async (partial, nowMs) => {
        const world = createWorld({ nowMs });
        const handler = createVerifierHandler({
          subscriptions: SECRET_IDS,
          toleranceSeconds: TOLERANCE_S,
          maxBodyBytes: MAX_BODY_BYTES,
          previousSecretGraceMs: 0,
          ledger: world.ledger,
          secrets: {
            get: async () => ({ value: SECRETS.default, createdAtMs: 0 }),
            tryInvalidate: () => false,
          },
          enqueue: async () => 'msg',
          now: () => nowMs,
          logger: new Logger({ serviceName: 'prop', logLevel: 'SILENT' }),
          metrics: new Metrics({ namespace: 'Prop', serviceName: 'prop' }),
        });
        const response = await handler(partial as unknown as APIGatewayProxyEventV2);
        expect(KNOWN_STATUS.has(response.statusCode ?? 0)).toBe(true);
        expect(response.statusCode).toBeGreaterThanOrEqual(400);
        takeLogs();
      }),
      { numRuns: runs(300) },
    );
  });
});
