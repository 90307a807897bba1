import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { formatTime, readSecretState, storeSecret } from '../../../cli/signing-secrets';
import { targetFromOutputs } from '../../../cli/target';
import { STAGED_LABEL } from '../../../lambda/rotation/rotate';
import { SECRET_PLACEHOLDER } from '../../../lambda/shared/secret-placeholder';
import { FakeSecretsManager, SECRET_NAME, STACK } from './support/fake-aws';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-28T12:00:00Z');
const CURRENT = 'current-fpt-secret-0123456789-abcdefghijkl';

const target = (outputs: Record<string, string> = {}) =>
  targetFromOutputs(
    STACK,
    Object.entries({
      WebhookUrlDefault: 'https://x/webhooks/default',
      SigningSecretNameDefault: SECRET_NAME,
      LedgerTableName: 't',
      QueueUrl: 'q',
      DeadLetterQueueUrl: 'd',
      PreviousSecretGraceHours: '24',
      ...outputs,
    }).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
    { region: 'us-east-1' },
  );

let sm: FakeSecretsManager;
const client = () => new SecretsManagerClient({ region: 'us-east-1' });
afterEach(() => sm.mock.restore());

describe('readSecretState', () => {
  it('reports a configured secret with its previous value accepted until set + grace', async () => {
    sm = new FakeSecretsManager('old-fpt-secret-0123456789-abcdefghijklmn', NOW - 100 * DAY);
    sm.versions.get('v-initial')?.stages.splice(0, 1, 'AWSPREVIOUS');
    sm.versions.set('v2', { value: CURRENT, stages: ['AWSCURRENT'], createdAtMs: NOW - 2 * 3_600_000 });

    const state = await readSecretState(client(), target(), 'default', NOW);

    expect(state).toMatchObject({
      configured: true,
      currentSetAtMs: NOW - 2 * 3_600_000,
      hasPrevious: true,
      previousAcceptedUntilMs: NOW + 22 * 3_600_000,
      previousAcceptedNow: true,
      maxAgeDays: 90,
      rotationEnabled: true,
      dueReasons: [],
    });
  });

  it('reports the placeholder as not configured, and the placeholder as no previous secret', async () => {
    sm = new FakeSecretsManager(SECRET_PLACEHOLDER, NOW - DAY);

    const state = await readSecretState(client(), target(), 'default', NOW);

    expect(state.configured).toBe(false);
    expect(state.hasPrevious).toBe(false);
    expect(state.dueReasons).toEqual([expect.stringContaining('not configured')]);
  });

  it('reports rotation due once the secret is older than the schedule', async () => {
    sm = new FakeSecretsManager(CURRENT, NOW - 31 * DAY);
    sm.rotationDays = 30;

    const state = await readSecretState(client(), target(), 'default', NOW);

    expect(state.maxAgeDays).toBe(30);
    expect(state.dueReasons).toEqual([
      `older than 30 days (set ${formatTime(NOW - 31 * DAY)}): rotate the key in FPT`,
    ]);
  });

  it('reports a scheduled rotation that has not completed, a stuck AWSPENDING and a leftover stage', async () => {
    sm = new FakeSecretsManager(CURRENT, NOW - DAY);
    sm.nextRotationMs = NOW - 3_600_000;
    sm.versions.set('v-pending', { value: CURRENT, stages: ['AWSPENDING'], createdAtMs: NOW });
    sm.versions.set('v-staged', { value: CURRENT, stages: [STAGED_LABEL], createdAtMs: NOW });

    const state = await readSecretState(client(), target(), 'default', NOW);

    expect(state.dueReasons).toEqual([
      expect.stringContaining('scheduled rotation of'),
      expect.stringContaining('version v-pending is still AWSPENDING'),
      expect.stringContaining('staged but not current'),
    ]);
  });

  it('reports a value staged more than 24 h ago as stale, with the fix, and one staged 23 h ago as unfinished', async () => {
    sm = new FakeSecretsManager(CURRENT, NOW - DAY);
    sm.versions.set('v-staged', {
      value: 'staged-fpt-secret-0123456789-abcdefghijkl',
      stages: [STAGED_LABEL],
      createdAtMs: NOW - 25 * 3_600_000,
    });

    const stale = await readSecretState(client(), target(), 'default', NOW);
    const fresh = await readSecretState(client(), target(), 'default', NOW - 2 * 3_600_000);

    expect(stale).toMatchObject({
      stagedNotCurrent: true,
      stagedStale: true,
      stagedAtMs: NOW - 25 * 3_600_000,
    });
    expect(stale.dueReasons).toEqual([
      expect.stringMatching(
        /staged 2026-11-27T11:00:00Z, more than 24 h ago, will not be promoted.*rotate the key in FPT and run "secret set"/,
      ),
    ]);
    expect(fresh.stagedStale).toBe(false);
    expect(fresh.dueReasons).toEqual([expect.stringContaining('staged but not current')]);
  });

  it.each([
    ['a trailing newline', `${CURRENT}\n`, 'it contains whitespace'],
    ['fewer than 32 characters', 'short-fpt-secret', 'it has 16 characters'],
  ])(
    'reports a current value with %s as malformed, saying what is wrong and not the value',
    async (_, stored, problem) => {
      sm = new FakeSecretsManager(stored, NOW - DAY);

      const state = await readSecretState(client(), target(), 'default', NOW);

      expect(state.configured).toBe(true);
      expect(state.currentProblem).toContain(problem);
      expect(state.dueReasons).toEqual([expect.stringContaining(`malformed (${problem}`)]);
      expect(JSON.stringify(state)).not.toContain(stored.trim());
    },
  );

  it('ends the grace window at the configured number of hours', async () => {
    sm = new FakeSecretsManager('old-fpt-secret-0123456789-abcdefghijklmn', NOW - 100 * DAY);
    sm.versions.get('v-initial')?.stages.splice(0, 1, 'AWSPREVIOUS');
    sm.versions.set('v2', { value: CURRENT, stages: ['AWSCURRENT'], createdAtMs: NOW - 7 * 3_600_000 });

    const state = await readSecretState(client(), target({ PreviousSecretGraceHours: '6' }), 'default', NOW);

    expect(state.previousAcceptedNow).toBe(false);
    expect(state.previousAcceptedUntilMs).toBe(NOW - 3_600_000);
  });
});

describe('storeSecret', () => {
  it('waits, with progress, and fails with a pointer to the logs when the rotation never finishes', async () => {
    // Prepare: the rotation function never runs; a fake clock makes the 30 s timeout instant.
    sm = new FakeSecretsManager(CURRENT, NOW - DAY);
    sm.rotation = 'never';
    let now = NOW;
    const progress: string[] = [];

    // Act
    const result = storeSecret({
      client: client(),
      target: target(),
      subscription: 'default',
      value: 'new-fpt-secret-0123456789-abcdefghijklmnop',
      progress: (line) => progress.push(line),
      timeoutMs: 30_000,
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    });

    // Assess
    await expect(result).rejects.toThrow(
      /the rotation did not finish within 30 s .*"rotation audit".*secret status/,
    );
    expect(progress).toContainEqual(
      expect.stringContaining('waiting for the rotation function to create the new version'),
    );
    // The value stays staged for the next attempt, and AWSCURRENT did not move.
    expect(sm.valueWith(STAGED_LABEL)).toBe('new-fpt-secret-0123456789-abcdefghijklmnop');
    expect(sm.valueWith('AWSCURRENT')).toBe(CURRENT);
  });

  it('runs the rotation steps in-process for the local stack, with a fresh token', async () => {
    sm = new FakeSecretsManager(CURRENT, NOW - DAY);
    sm.rotationEnabled = false;
    const local = { ...target(), kind: 'local' as const, flags: '--local' };
    const progress: string[] = [];

    const result = await storeSecret({
      client: client(),
      target: local,
      subscription: 'default',
      value: 'new-fpt-secret-0123456789-abcdefghijklmnop',
      progress: (line) => progress.push(line),
      timeoutMs: 30_000,
    });

    expect(result.changed).toBe(true);
    expect(progress.filter((l) => /^ {2}(create|set|test|finish)Secret/.test(l))).toHaveLength(4);
    const currentId = sm.versionWith('AWSCURRENT');
    const current = currentId === undefined ? undefined : sm.versions.get(currentId);
    expect(currentId).toBe(result.versionId);
    expect(current?.value).toBe('new-fpt-secret-0123456789-abcdefghijklmnop');
    expect(current?.stages).toEqual(['AWSCURRENT']);
    expect(sm.valueWith('AWSPREVIOUS')).toBe(CURRENT);
  });
});
