import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import fc from 'fast-check';
import { createVerifierCore, type IncomingDelivery } from '../../../lambda/verifier/receive';
import { SecretStore } from '../../../lambda/verifier/secret-store';
import { FakeLedger } from '../../support/fake-ledger';
import { hex64, hmacHex, runs } from './arbitraries';

/**
 * The cost of a flood of forged requests, and what it cannot prevent. With the real SecretStore (TTL
 * 60 s, forced refresh at most once per 10 s per secret) behind the real receiver, over any sequence
 * of forgeries, stale and oversize requests, unknown subscriptions, authentic deliveries and secret
 * rotations at arbitrary times:
 *
 * - requests that fail before the HMAC (stale, future, no header, unknown subscription, oversize)
 *   never reach Secrets Manager;
 * - in any 10-second window there are at most two GetSecretValue calls per version stage (a TTL or
 *   first fetch, and one forced refresh), however many forgeries arrive;
 * - a delivery signed with the new secret is accepted from 10 s after the rotation on, however many
 *   forgeries arrived in between (the flood cannot lock the real sender out);
 * - a delivery signed with the previous secret is accepted within the grace period, likewise from
 *   10 s after the rotation on.
 *
 * One container handles one request at a time (as in Lambda), so requests run one after another.
 */

const SECRET_ID = 'fpt-webhooks/prop/default';
const INTERVAL_MS = 10_000;
const MAX_BODY = 1024;
const START_MS = 1_780_000_000_000;

interface Version {
  value: string;
  createdAtMs: number;
}

/** Secrets Manager for one secret, with AWSCURRENT/AWSPREVIOUS and a log of every fetch. */
class FakeSecretsManager {
  current: Version;
  previous: Version | undefined;
  readonly fetches: Array<{ stage: string; atMs: number }> = [];

  constructor(
    private readonly clock: { nowMs: number },
    initial: string,
  ) {
    this.current = { value: initial, createdAtMs: clock.nowMs - 3_600_000 };
  }

  async send(command: GetSecretValueCommand): Promise<{ SecretString: string; CreatedDate: Date }> {
    const stage = command.input.VersionStage ?? 'AWSCURRENT';
    this.fetches.push({ stage, atMs: this.clock.nowMs });
    const version = stage === 'AWSCURRENT' ? this.current : this.previous;
    if (version === undefined)
      throw Object.assign(new Error('no such version'), { name: 'ResourceNotFoundException' });
    return { SecretString: version.value, CreatedDate: new Date(version.createdAtMs) };
  }

  rotate(value: string): void {
    this.previous = this.current;
    this.current = { value, createdAtMs: this.clock.nowMs };
  }
}

type Action =
  | { kind: 'forged'; v1: string }
  | { kind: 'stale' | 'future' | 'no-header' | 'unknown-subscription' | 'oversize' }
  | { kind: 'authentic-current' | 'authentic-previous' }
  | { kind: 'rotate'; secret: string };

const action = (): fc.Arbitrary<Action> =>
  fc.oneof(
    { weight: 8, arbitrary: hex64().map((v1) => ({ kind: 'forged' as const, v1 })) },
    {
      weight: 3,
      arbitrary: fc
        .constantFrom('stale', 'future', 'no-header', 'unknown-subscription', 'oversize')
        .map((kind) => ({ kind }) as Action),
    },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom('authentic-current', 'authentic-previous')
        .map((kind) => ({ kind }) as Action),
    },
    {
      weight: 1,
      arbitrary: fc
        .string({ unit: 'grapheme-ascii', minLength: 32, maxLength: 48 })
        // FPT's shape: a value with whitespace is malformed, and the verifier refuses it (503).
        .filter((secret) => !/\s/.test(secret))
        .map((secret) => ({ kind: 'rotate' as const, secret })),
    },
  );

const BODY = Buffer.from(
  '{"eventId":"0123456789abcdef0123456789abcdef","eventType":"contact.updated","eventTimestamp":"2026-06-10T23:45:00.123Z","locationId":1,"organizationId":0,"apiVersion":"v1","data":{"contactId":1,"operation":"update"}}',
);

function delivery(
  headers: Record<string, string>,
  subscription = 'default',
  body: Buffer = BODY,
): IncomingDelivery {
  return { subscription, headers, body: body.toString('utf8'), isBase64Encoded: false };
}

describe('secret lookups under a flood of forged requests (properties)', () => {
  it('stays within two fetches per stage per 10 s, skips Secrets Manager for cheap rejects, and follows rotation', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            action(),
            fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 4000 }), fc.integer({ min: 0, max: 70_000 })),
          ),
          {
            minLength: 1,
            maxLength: 60,
          },
        ),
        async (steps) => {
          const clock = { nowMs: START_MS };
          const sm = new FakeSecretsManager(clock, 'initial-secret-0123456789-abcdefghijklmnop');
          let previousSecret: string | undefined;
          let rotatedAtMs = Number.NEGATIVE_INFINITY;
          const ledger = new FakeLedger();
          const receive = createVerifierCore({
            subscriptions: new Map([['default', SECRET_ID]]),
            toleranceSeconds: 300,
            maxBodyBytes: MAX_BODY,
            previousSecretGraceMs: 24 * 3600 * 1000,
            ledger,
            secrets: new SecretStore({
              client: sm as unknown as SecretsManagerClient,
              now: () => clock.nowMs,
              minRefreshIntervalMs: INTERVAL_MS,
            }),
            enqueue: async () => 'msg',
            now: () => clock.nowMs,
            logger: new Logger({ serviceName: 'prop', logLevel: 'SILENT' }),
            metrics: new Metrics({ namespace: 'Prop', serviceName: 'prop' }),
          });
          const nowS = () => Math.floor(clock.nowMs / 1000);
          const sign = (secret: string, t = nowS(), body = BODY) =>
            `t=${t},v1=${hmacHex(secret, String(t), body)}`;

          for (const [step, advanceMs] of steps) {
            clock.nowMs += advanceMs;
            // Fresh eventIds would not change the secret path; one body keeps the ledger out of the way.
            ledger.rows.clear();
            const before = sm.fetches.length;
            switch (step.kind) {
              case 'rotate':
                previousSecret = sm.current.value;
                sm.rotate(step.secret);
                rotatedAtMs = clock.nowMs;
                break;
              case 'forged': {
                const response = await receive(delivery({ 'x-fpt-signature': `t=${nowS()},v1=${step.v1}` }));
                expect(response.statusCode).toBe(401);
                break;
              }
              case 'authentic-current': {
                const response = await receive(delivery({ 'x-fpt-signature': sign(sm.current.value) }));
                if (clock.nowMs - rotatedAtMs >= INTERVAL_MS) expect(response.statusCode).toBe(202);
                else expect([202, 401]).toContain(response.statusCode);
                break;
              }
              case 'authentic-previous': {
                if (previousSecret === undefined) break;
                const response = await receive(delivery({ 'x-fpt-signature': sign(previousSecret) }));
                // One rotation back, within its grace: accepted once both cached stages can have moved on.
                if (clock.nowMs - rotatedAtMs >= INTERVAL_MS) expect(response.statusCode).toBe(202);
                else expect([202, 401]).toContain(response.statusCode);
                break;
              }
              default: {
                const requests: Record<typeof step.kind, IncomingDelivery> = {
                  stale: delivery({ 'x-fpt-signature': sign(sm.current.value, nowS() - 301) }),
                  future: delivery({ 'x-fpt-signature': sign(sm.current.value, nowS() + 301) }),
                  'no-header': delivery({}),
                  'unknown-subscription': delivery({ 'x-fpt-signature': sign(sm.current.value) }, 'other'),
                  oversize: delivery(
                    { 'x-fpt-signature': sign(sm.current.value, nowS(), Buffer.alloc(MAX_BODY + 1, 0x20)) },
                    'default',
                    Buffer.alloc(MAX_BODY + 1, 0x20),
                  ),
                };
                const response = await receive(requests[step.kind]);
                expect([401, 404, 413]).toContain(response.statusCode);
                expect(sm.fetches.length).toBe(before);
              }
            }
          }

          for (const stage of ['AWSCURRENT', 'AWSPREVIOUS']) {
            const times = sm.fetches.filter((f) => f.stage === stage).map((f) => f.atMs);
            for (const start of times) {
              expect(times.filter((t) => t >= start && t < start + INTERVAL_MS).length).toBeLessThanOrEqual(
                2,
              );
            }
          }
        },
      ),
      { numRuns: runs(300) },
    );
  });
});
