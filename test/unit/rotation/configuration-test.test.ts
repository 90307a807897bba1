/**
 * RotateSecret with RotateImmediately=false (every RotationSchedule the stack creates) does not rotate: it
 * tests the rotation configuration by invoking the function's testSecret step against a temporary
 * AWSPENDING version, then removes that version. These tests invoke the deployed entry point, `handler`,
 * with that event against a stateful fake of Secrets Manager, and read the metrics it publishes.
 */
import { handler } from '../../../lambda/rotation/handler';
import { type RotationStep, STAGED_LABEL } from '../../../lambda/rotation/rotate';
import { METRIC } from '../../../lambda/shared/observability';
import { SECRET_PLACEHOLDER } from '../../../lambda/shared/secret-placeholder';
import { captureOutput } from '../../support/capture-output';
import { FakeSecretsManager } from '../../support/fake-secrets-manager';
import { emittedMetrics } from '../../support/metrics';

const SECRET_ID = 'fpt-webhooks/test/default';
const TEST_TOKEN = '7c2b9d2e-0c4e-4a53-9d8c-3b1f0f7d6a11';
const REAL_SECRET = 'r'.repeat(48);
const NEW_SECRET = 'n'.repeat(48);
const ALL_STEPS: readonly RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];

let sm: FakeSecretsManager;
let output: ReturnType<typeof captureOutput>;

beforeEach(() => {
  sm = new FakeSecretsManager(SECRET_ID);
  output = captureOutput();
});

afterEach(() => {
  output.restore();
  sm.restore();
});

const metricNames = () => emittedMetrics(output.text()).map((metric) => metric.name);
const invoke = (Step: RotationStep, ClientRequestToken = TEST_TOKEN) =>
  handler({ Step, SecretId: SECRET_ID, ClientRequestToken });

/** The temporary version Secrets Manager adds for its test: no value, or a copy of AWSCURRENT. */
const SHAPES = {
  'a pending version with no value': (current: string) => {
    sm.put('current', current, ['AWSCURRENT']);
    sm.put(TEST_TOKEN, undefined, ['AWSPENDING']);
  },
  'a pending version holding a copy of AWSCURRENT': (current: string) => {
    sm.put('current', current, ['AWSCURRENT']);
    sm.put(TEST_TOKEN, current, ['AWSPENDING']);
  },
} as const;

describe('rotation handler: Secrets Manager testing the rotation configuration (RotateImmediately=false)', () => {
  describe.each(Object.entries(SHAPES))('with %s', (_shape, arrange) => {
    it.each([
      ['the placeholder of a first deploy', SECRET_PLACEHOLDER],
      ['a configured secret', REAL_SECRET],
    ])(
      'testSecret passes when AWSCURRENT is %s, moving no label and publishing no failure',
      async (_n, current) => {
        arrange(current);
        const before = sm.stages();

        await expect(invoke('testSecret')).resolves.toBeUndefined();

        expect(sm.stages()).toEqual(before);
        expect(metricNames()).not.toContain(METRIC.rotationFailed);
        expect(metricNames()).not.toContain(METRIC.rotationDue);
      },
    );

    it('passes every step on a first deploy, moving no label and publishing no metric', async () => {
      arrange(SECRET_PLACEHOLDER);
      const before = sm.stages();

      for (const step of ALL_STEPS) await expect(invoke(step)).resolves.toBeUndefined();

      expect(sm.stages()).toEqual(before);
      expect(metricNames()).toEqual([]);
    });

    it.each(['setSecret', 'testSecret', 'finishSecret'] as const)(
      '%s passes for a configured secret with something staged, moving no label',
      async (step) => {
        arrange(REAL_SECRET);
        sm.put('staged', NEW_SECRET, [STAGED_LABEL]);
        const before = sm.stages();

        await expect(invoke(step)).resolves.toBeUndefined();

        expect(sm.stages()).toEqual(before);
        expect(metricNames()).toEqual([]);
      },
    );
  });

  it('accepts the step names as the Secrets Manager user guide spells them (test_secret)', async () => {
    SHAPES['a pending version with no value'](SECRET_PLACEHOLDER);
    await expect(
      handler({ Step: 'test_secret' as RotationStep, SecretId: SECRET_ID, ClientRequestToken: TEST_TOKEN }),
    ).resolves.toBeUndefined();
    expect(metricNames()).toEqual([]);
  });
});

describe('rotation handler: a real rotation still judges the staged value', () => {
  /** Secrets Manager starts a rotation by adding an empty AWSPENDING version under the new token. */
  function startRotation(current: string, staged: string) {
    sm.put('current', current, ['AWSCURRENT']);
    sm.put('staged', staged, [STAGED_LABEL]);
    sm.put('rotation', undefined, ['AWSPENDING']);
  }

  it.each([
    ['too short', 'short-value'],
    ['the placeholder', SECRET_PLACEHOLDER],
  ])(
    'fails testSecret with RotationFailed when the staged value is %s, and AWSCURRENT stays',
    async (_n, bad) => {
      startRotation(REAL_SECRET, bad);

      await invoke('createSecret', 'rotation');
      await invoke('setSecret', 'rotation');
      await expect(invoke('testSecret', 'rotation')).rejects.toThrow('the staged secret is not usable');

      expect(sm.versionWith('AWSCURRENT')).toBe('current');
      expect(metricNames()).toEqual([METRIC.rotationFailed]);
    },
  );

  it('fails when the staged placeholder equals a placeholder AWSCURRENT', async () => {
    startRotation(SECRET_PLACEHOLDER, SECRET_PLACEHOLDER);

    await invoke('createSecret', 'rotation');
    await expect(invoke('testSecret', 'rotation')).rejects.toThrow('placeholder');

    expect(metricNames()).toEqual([METRIC.rotationFailed]);
  });

  it('moves AWSCURRENT to a good staged value and counts SecretRotated', async () => {
    startRotation(SECRET_PLACEHOLDER, NEW_SECRET);

    for (const step of ALL_STEPS) await invoke(step, 'rotation');

    expect(sm.versionWith('AWSCURRENT')).toBe('rotation');
    expect(sm.versionWith('AWSPREVIOUS')).toBe('current');
    expect(sm.versionWith(STAGED_LABEL)).toBeUndefined();
    expect(metricNames()).toEqual([METRIC.secretRotated]);
  });

  it('reports a scheduled rotation of a configured secret with nothing staged as RotationDue', async () => {
    sm.put('current', REAL_SECRET, ['AWSCURRENT']);
    sm.put('rotation', undefined, ['AWSPENDING']);

    await expect(invoke('createSecret', 'rotation')).rejects.toThrow('rotation due');

    expect(sm.versionWith('AWSCURRENT')).toBe('current');
    expect(metricNames()).toEqual([METRIC.rotationDue]);
  });
});
