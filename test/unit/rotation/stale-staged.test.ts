/**
 * A value staged as FPT_STAGED and forgotten (a `secret set` whose rotation never finished) must not be
 * promoted by a later scheduled rotation: FPT may have issued a newer key since, and promoting the old
 * one would make the receiver answer 401 to everything once the grace window ends.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { handler } from '../../../lambda/rotation/handler';
import {
  type RotationAudit,
  type RotationStep,
  runRotationStep,
  STAGED_LABEL,
  STAGED_VALUE_MAX_AGE_MS,
  StaleStagedValueError,
} from '../../../lambda/rotation/rotate';
import { METRIC } from '../../../lambda/shared/observability';
import { captureOutput } from '../../support/capture-output';
import { FakeSecretsManager } from '../../support/fake-secrets-manager';
import { emittedMetrics } from '../../support/metrics';

const SECRET_ID = 'fpt-webhooks/test/default';
const TOKEN = 'f1d0c9e8-2b6a-4c1e-9a57-0d3b2e4f6a81';
const CURRENT = 'c'.repeat(48);
const STAGED = 's'.repeat(48);
const STAGED_AT = Date.parse('2026-11-01T08:00:00.000Z');
const HOUR = 3_600_000;

let sm: FakeSecretsManager;
let output: ReturnType<typeof captureOutput>;

beforeEach(() => {
  sm = new FakeSecretsManager(SECRET_ID);
  output = captureOutput();
  sm.now = () => STAGED_AT - 90 * 24 * HOUR;
  sm.put('current', CURRENT, ['AWSCURRENT']);
  sm.now = () => STAGED_AT;
  sm.put('staged', STAGED, [STAGED_LABEL]);
  sm.put(TOKEN, undefined, ['AWSPENDING']);
});

afterEach(() => {
  output.restore();
  sm.restore();
});

const step = (Step: RotationStep, nowMs: number, audit: RotationAudit[] = []) =>
  runRotationStep(
    new SecretsManagerClient({}),
    { Step, SecretId: SECRET_ID, ClientRequestToken: TOKEN },
    (entry) => audit.push(entry),
    { now: () => nowMs },
  );

describe('rotation: a stale staged value is not promoted', () => {
  it('refuses a value staged 24 h and 1 ms ago at createSecret, and AWSCURRENT and the staged label stay', async () => {
    const audit: RotationAudit[] = [];
    const before = sm.stages();

    const attempt = step('createSecret', STAGED_AT + STAGED_VALUE_MAX_AGE_MS + 1, audit);

    await expect(attempt).rejects.toBeInstanceOf(StaleStagedValueError);
    await expect(attempt).rejects.toThrow('2026-11-01T08:00:00.000Z is older than 24 hours');
    expect(audit.map((a) => a.outcome)).toEqual(['stale_staged']);
    expect(sm.versions.get(TOKEN)?.value).toBeUndefined();
    expect(sm.stages()).toEqual(before);
  });

  it('promotes a value staged exactly 24 h ago through all four steps', async () => {
    const nowMs = STAGED_AT + STAGED_VALUE_MAX_AGE_MS;
    for (const s of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      await step(s, nowMs);
    }
    expect(sm.versionWith('AWSCURRENT')).toBe(TOKEN);
    expect(sm.versions.get(TOKEN)?.value).toBe(STAGED);
    expect(sm.versionWith(STAGED_LABEL)).toBeUndefined();
  });

  it('dates the staged version by its creation, not by a later label move', async () => {
    // Moving FPT_STAGED onto the same version again (as a retried command might) keeps its date.
    sm.now = () => STAGED_AT + 10 * 24 * HOUR;
    sm.put('staged', STAGED, [STAGED_LABEL]);

    await expect(step('createSecret', STAGED_AT + 25 * HOUR)).rejects.toBeInstanceOf(StaleStagedValueError);
  });

  it('raises RotationDue from the deployed handler, which logs when the value was staged but never the value', async () => {
    sm.now = Date.now;
    sm.put('old-staged', STAGED, [STAGED_LABEL]);
    const staged = sm.versions.get('old-staged');
    if (staged === undefined) throw new Error('not staged');
    staged.createdAtMs = Date.now() - 25 * HOUR;

    await expect(
      handler({ Step: 'createSecret', SecretId: SECRET_ID, ClientRequestToken: TOKEN }),
    ).rejects.toBeInstanceOf(StaleStagedValueError);

    const names = emittedMetrics(output.text()).map((m) => m.name);
    expect(names).toContain(METRIC.rotationDue);
    expect(names).not.toContain(METRIC.rotationFailed);
    expect(output.text()).toContain('stale staged value, not promoted');
    expect(output.text()).not.toContain(STAGED);
    expect(sm.versionWith('AWSCURRENT')).toBe('current');
  });
});
