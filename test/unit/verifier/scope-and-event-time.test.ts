/**
 * Authorisation after authentication (issue #12, points 1 and 2): an authentic delivery outside its
 * subscription's FPT scope, or with an eventTimestamp FPT cannot have stamped, is parked (202), never
 * queued, so no handler and no ordering guard ever sees it.
 */
import { EARLIEST_EVENT_TIMESTAMP_MS, eventTimestampProblem } from '../../../lambda/shared/event-time';
import { METRIC } from '../../../lambda/shared/observability';
import {
  decodeSubscriptionScopes,
  encodeSubscriptionScopes,
  type SubscriptionScopeBounds,
  scopeProblems,
} from '../../../lambda/shared/subscription-scope';
import type { SecretVersion, VersionStage } from '../../../lambda/verifier/secret-store';
import { buildEnvelope } from '../../../local/testkit/envelopes';
import { captureOutput } from '../../support/capture-output';
import { emittedMetrics } from '../../support/metrics';
import { verifierUnderTest } from '../../support/verifier-under-test';

const LOC_A_KEY = 'loc-a-signing-key-0123456789-abcdefghijk';
const NOW = Date.parse('2026-11-28T12:00:00.000Z');
const TOLERANCE_S = 300;
const LOCATION_A = 1234;
const LOCATION_B = 4321;
const ORGANIZATION = 5678;

function verifier(scopes: ReadonlyMap<string, SubscriptionScopeBounds>) {
  const versions: Record<VersionStage, SecretVersion> = {
    AWSCURRENT: { value: LOC_A_KEY, createdAtMs: NOW - 60_000 },
    AWSPREVIOUS: { value: undefined, createdAtMs: undefined },
  };
  const {
    deliver: signed,
    ledger,
    sent,
  } = verifierUnderTest({
    subscriptions: new Map([['loc-a', 'fpt-webhooks/test/loc-a']]),
    scopes,
    toleranceSeconds: TOLERANCE_S,
    previousSecretGraceMs: 0,
    secrets: { get: async (_id, stage) => versions[stage], tryInvalidate: () => false },
    now: () => NOW,
  });
  /** Signs with loc-a's real key, as a location admin holding it could. */
  const deliver = async (overrides: Record<string, unknown>) => {
    const body = JSON.stringify({
      ...buildEnvelope('contact.updated', {
        timestamp: new Date(NOW - 5_000),
        locationId: LOCATION_A,
        contactId: 9876,
      }),
      organizationId: ORGANIZATION,
      ...overrides,
    });
    return signed('loc-a', LOC_A_KEY, body);
  };
  return { deliver, ledger, sent };
}

let output: ReturnType<typeof captureOutput>;
beforeEach(() => {
  output = captureOutput();
});
afterEach(() => output.restore());

const count = (name: string) =>
  emittedMetrics(output.text())
    .filter((m) => m.name === name)
    .flatMap((m) => (Array.isArray(m.value) ? m.value : [m.value]))
    .reduce((sum: number, value) => sum + Number(value), 0);

const BOUND = new Map([['loc-a', { organizationId: ORGANIZATION, locationIds: [LOCATION_A] }]]);

describe('subscription scope', () => {
  it("parks (202) an event signed with loc-a's key for location B, queues nothing and counts ScopeMismatch", async () => {
    const { deliver, ledger, sent } = verifier(BOUND);

    const response = await deliver({ locationId: LOCATION_B });

    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toEqual({ status: 'parked' });
    expect(sent).toEqual([]);
    expect(ledger.rows.size).toBe(0);
    expect(ledger.highWaterMarks.size).toBe(0);
    expect([...ledger.parked.values()]).toEqual([
      expect.objectContaining({
        reason: 'scope_mismatch',
        problems: ["locationId is not one of the subscription's locations"],
        // For `events list --status invalid_envelope --contact N`.
        contactId: expect.any(Number),
      }),
    ]);
    expect(count(METRIC.scopeMismatch)).toBe(1);
    expect(count(METRIC.invalidEnvelopeParked)).toBe(0);
    expect(output.text()).not.toContain(String(LOCATION_B));
  });

  it('parks an event for another organization, even at an allowed location', async () => {
    const { deliver, ledger, sent } = verifier(BOUND);

    expect((await deliver({ organizationId: ORGANIZATION + 1 })).statusCode).toBe(202);

    expect(sent).toEqual([]);
    expect([...ledger.parked.values()][0]?.problems).toEqual([
      "organizationId is not the subscription's organization",
    ]);
  });

  it('keeps a parked retry of the same bytes on one row', async () => {
    const { deliver, ledger } = verifier(BOUND);
    const eventId = 'a'.repeat(32);

    await deliver({ locationId: LOCATION_B, eventId });
    await deliver({ locationId: LOCATION_B, eventId });

    expect(ledger.parked.size).toBe(1);
  });

  it('queues an event inside the scope', async () => {
    const { deliver, sent } = verifier(BOUND);

    expect((await deliver({})).statusCode).toBe(202);

    expect(sent).toHaveLength(1);
    expect(count(METRIC.scopeMismatch)).toBe(0);
  });

  it('queues any location when the subscription is bound to its organization only', async () => {
    const { deliver, sent } = verifier(new Map([['loc-a', { organizationId: ORGANIZATION }]]));

    expect((await deliver({ locationId: LOCATION_B })).statusCode).toBe(202);

    expect(sent).toHaveLength(1);
  });

  it('queues everything for a subscription that is not bound (doctor warns about it)', async () => {
    const { deliver, sent } = verifier(new Map());

    await deliver({ locationId: LOCATION_B, organizationId: 1 });

    expect(sent).toHaveLength(1);
  });

  it('checks organizationId 0 (a location without a parent) like any other', () => {
    expect(scopeProblems({ organizationId: 0 }, { organizationId: 0, locationId: 1 })).toEqual([]);
    expect(scopeProblems({ organizationId: 0 }, { organizationId: 7, locationId: 1 })).toHaveLength(1);
  });

  it('round-trips the environment variable and leaves it unset when no subscription is bound', () => {
    const scopes = new Map<string, SubscriptionScopeBounds>([
      ['loc-a', { organizationId: 5678, locationIds: [1234, 1235] }],
      ['org', { organizationId: 5678 }],
      ['open', {}],
    ]);
    const encoded = encodeSubscriptionScopes(scopes);

    expect(encoded).toBe('{"loc-a":{"org":5678,"loc":[1234,1235]},"org":{"org":5678}}');
    expect(decodeSubscriptionScopes(encoded)).toEqual(
      new Map([
        ['loc-a', { organizationId: 5678, locationIds: [1234, 1235] }],
        ['org', { organizationId: 5678 }],
      ]),
    );
    expect(encodeSubscriptionScopes(new Map([['open', {}]]))).toBeUndefined();
    expect(decodeSubscriptionScopes(undefined)).toEqual(new Map());
  });

  it.each(['[]', '{"a":{"loc":[]}}', '{"a":{"org":-1}}', '{"a":{"loc":["1"]}}', 'not json'])(
    'refuses a scope variable it cannot trust (%s) instead of accepting every scope',
    (raw) => {
      expect(() => decodeSubscriptionScopes(raw)).toThrow('FPT_SUBSCRIPTION_SCOPES is not a valid scope map');
    },
  );
});

describe('eventTimestamp bounds', () => {
  it.each([
    ['9999-12-31T23:59:59.999Z', 'later than its receipt plus the signature tolerance'],
    ['0000-01-01T00:00:00Z', 'earlier than FPT webhooks existed'],
  ])(
    'parks an authentic event stamped %s, queues nothing and moves no high-water mark',
    async (eventTimestamp, problem) => {
      const { deliver, ledger, sent } = verifier(BOUND);

      const response = await deliver({ eventTimestamp });

      expect(response.statusCode).toBe(202);
      expect(JSON.parse(response.body)).toEqual({ status: 'parked' });
      expect(sent).toEqual([]);
      expect(ledger.rows.size).toBe(0);
      expect(ledger.highWaterMarks.size).toBe(0);
      expect([...ledger.parked.values()]).toEqual([
        expect.objectContaining({
          reason: 'event_time_out_of_bounds',
          problems: [expect.stringContaining(problem)],
        }),
      ]);
      expect(count(METRIC.invalidEnvelopeParked)).toBe(1);
    },
  );

  it('takes the exact bounds: the tolerance ahead of receipt, and 2024-01-01T00:00:00.000Z', () => {
    const received = NOW;
    expect(eventTimestampProblem(received + TOLERANCE_S * 1000, received, TOLERANCE_S)).toBeUndefined();
    expect(eventTimestampProblem(received + TOLERANCE_S * 1000 + 1, received, TOLERANCE_S)).toContain(
      'later',
    );
    expect(eventTimestampProblem(EARLIEST_EVENT_TIMESTAMP_MS, received, TOLERANCE_S)).toBeUndefined();
    expect(eventTimestampProblem(EARLIEST_EVENT_TIMESTAMP_MS - 1, received, TOLERANCE_S)).toContain(
      'earlier',
    );
    expect(new Date(EARLIEST_EVENT_TIMESTAMP_MS).toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect(eventTimestampProblem(Number.NaN, received, TOLERANCE_S)).toBeDefined();
  });

  it('queues an event stamped within the tolerance ahead (FPT clock skew) and one from months ago', async () => {
    const { deliver, sent } = verifier(BOUND);

    await deliver({ eventTimestamp: new Date(NOW + 299_000).toISOString() });
    await deliver({ eventTimestamp: '2025-02-03T04:05:06.789Z', eventId: 'b'.repeat(32) });

    expect(sent).toHaveLength(2);
  });
});
