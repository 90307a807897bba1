import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { METRIC } from '../../../lambda/shared/observability';
import { secretValueProblem, storedSecretShape } from '../../../lambda/shared/secret-shape';
import { SecretStore } from '../../../lambda/verifier/secret-store';
import { buildEnvelope } from '../../../local/testkit/envelopes';
import { captureOutput } from '../../support/capture-output';
import { emittedMetrics } from '../../support/metrics';
import { verifierUnderTest } from '../../support/verifier-under-test';

const GOOD = 'fpt-secret-0123456789-abcdefghijklmnopq';
const OTHER_GOOD = 'fpt-other-0123456789-abcdefghijklmnopq';
const NOW = Date.parse('2026-11-28T12:00:00.000Z');
const sm = mockClient(SecretsManagerClient);

/** Secrets Manager holding `stages`; a stage not listed answers ResourceNotFound, as AWS does. */
function storeHolding(stages: Partial<Record<'AWSCURRENT' | 'AWSPREVIOUS', string>>): void {
  sm.reset();
  sm.on(GetSecretValueCommand).callsFake((input: { VersionStage: 'AWSCURRENT' | 'AWSPREVIOUS' }) => {
    const value = stages[input.VersionStage];
    if (value === undefined)
      throw Object.assign(new Error('no such version'), { name: 'ResourceNotFoundException' });
    return { SecretString: value, CreatedDate: new Date(NOW - 60_000) };
  });
}

function verifier() {
  const { deliver, ledger, sent } = verifierUnderTest({
    subscriptions: new Map([['default', 'fpt-webhooks/test/default']]),
    secrets: new SecretStore({ client: new SecretsManagerClient({}), now: () => NOW }),
    now: () => NOW,
  });
  const body = JSON.stringify(buildEnvelope('contact.updated', { timestamp: new Date(NOW - 2_000) }));
  return { deliver: (signingSecret: string) => deliver('default', signingSecret, body), ledger, sent };
}

let output: ReturnType<typeof captureOutput>;
beforeEach(() => {
  output = captureOutput();
});
afterEach(() => output.restore());

const malformedCount = () =>
  emittedMetrics(output.text())
    .filter((m) => m.name === METRIC.secretMalformed)
    .flatMap((m) => (Array.isArray(m.value) ? m.value : [m.value]))
    .reduce((sum: number, value) => sum + Number(value), 0);

describe('the shape rule shared by the CLI, the rotation function and the verifier', () => {
  it.each([
    ['a trailing newline', `${GOOD}\n`, 'whitespace'],
    ['a trailing CRLF', `${GOOD}\r\n`, 'whitespace'],
    ['an inner space', `${GOOD.slice(0, 10)} ${GOOD.slice(10)}`, 'whitespace'],
    ['31 characters', 'a'.repeat(31), '31 characters'],
  ])('classifies a stored value with %s as malformed', (_, value, problem) => {
    expect(storedSecretShape(value)).toBe('malformed');
    expect(secretValueProblem(value)).toContain(problem);
  });

  it('keeps a missing, blank or placeholder value "unset", and 32 characters "usable"', () => {
    expect(storedSecretShape(undefined)).toBe('unset');
    expect(storedSecretShape('  \n')).toBe('unset');
    expect(storedSecretShape('FPT_SIGNING_SECRET_NOT_CONFIGURED')).toBe('unset');
    expect(storedSecretShape('a'.repeat(32))).toBe('usable');
  });
});

describe('verifier with a malformed stored secret', () => {
  it.each([
    ['a trailing newline (put-secret-value from a file, a console paste)', `${GOOD}\n`],
    ['fewer than 32 characters', 'short-secret-0123456789'],
  ])(
    'fails closed with 503 secret_malformed when AWSCURRENT has %s, even for a body signed with that exact value',
    async (_, stored) => {
      storeHolding({ AWSCURRENT: stored });
      const { deliver, ledger, sent } = verifier();

      const response = await deliver(stored);

      expect(response.statusCode).toBe(503);
      expect(response.body).toBe('{"message":"Service Unavailable"}');
      expect(response.headers['retry-after']).toBe('5');
      expect(sent).toEqual([]);
      expect(ledger.rows.size + ledger.parked.size).toBe(0);
      expect(malformedCount()).toBe(1);
      expect(output.text()).toContain('"reason":"secret_malformed"');
      expect(output.text()).not.toContain(stored.trim());
    },
  );

  it('ignores a malformed AWSPREVIOUS, counts it, and still accepts deliveries AWSCURRENT verifies', async () => {
    const malformedPrevious = `${OTHER_GOOD}\n`;
    storeHolding({ AWSCURRENT: GOOD, AWSPREVIOUS: malformedPrevious });
    const { deliver, sent } = verifier();

    expect((await deliver(GOOD)).statusCode).toBe(202);
    const byPrevious = await deliver(malformedPrevious);

    expect(byPrevious.statusCode).toBe(401);
    expect(sent).toHaveLength(1);
    expect(malformedCount()).toBe(1);
    expect(output.text()).toContain('previous signing secret malformed; not used');
    expect(output.text()).not.toContain(OTHER_GOOD);
  });

  it('still answers not_configured, not secret_malformed, for the placeholder', async () => {
    storeHolding({ AWSCURRENT: 'FPT_SIGNING_SECRET_NOT_CONFIGURED' });
    const { deliver } = verifier();

    const response = await deliver(GOOD);

    expect(response.statusCode).toBe(503);
    expect(output.text()).toContain('"reason":"not_configured"');
    expect(malformedCount()).toBe(0);
  });
});
