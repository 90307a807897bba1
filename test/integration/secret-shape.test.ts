import { randomBytes } from 'node:crypto';
import {
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { readSecretState } from '../../cli/signing-secrets';
import { resolveTarget } from '../../cli/target';
import {
  runRotationStep,
  STAGED_LABEL,
  STAGED_VALUE_MAX_AGE_MS,
  StaleStagedValueError,
} from '../../lambda/rotation/rotate';
import { localClientConfig } from '../../local/aws';
import { putSigningSecret } from '../../local/provision';
import { runCli } from '../support/cli';
import { pointCliAt } from './support/cli-env';
import { fptBody, type Harness, sleep, startHarness } from './support/harness';

jest.setTimeout(60_000);

/**
 * Issue #12, points 3 and 6, on the emulator: a signing secret stored with a trailing newline (as
 * `aws secretsmanager put-secret-value --secret-string file://key.txt` stores it) is refused by the
 * verifier, and doctor and `secret status` say how to fix it; a value staged and forgotten is dated
 * honestly and never promoted once it is older than 24 h.
 */
describe('local stack: stored secrets of the wrong shape, and stale staged values', () => {
  let harness: Harness;
  let restoreEnv: () => void;
  let client: SecretsManagerClient;
  let secretId: string;

  beforeAll(async () => {
    harness = await startHarness({ name: 'secret-shape' });
    restoreEnv = pointCliAt(harness);
    client = new SecretsManagerClient(localClientConfig(harness.emulatorUrl));
    secretId = harness.running.stack.secrets.default as string;
  });
  afterAll(async () => {
    restoreEnv?.();
    client?.destroy();
    await harness?.stop();
  });

  it('answers 503 while AWSCURRENT has a trailing newline, reports it, and 202 once "secret set" stores it again', async () => {
    // Prepare: before any delivery, so the verifier's cache holds nothing yet.
    await putSigningSecret(harness.emulatorUrl, secretId, `${harness.secret}\n`);

    // Act
    const refused = await harness.deliver(fptBody('contact.updated'));
    const doctor = await runCli(['doctor', '--local']);
    const status = await runCli(['secret', 'status', '--local']);

    // Assess
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toEqual({ message: 'Service Unavailable' });
    expect(harness.logsFor(refused.requestId)).toContainEqual(
      expect.objectContaining({ reason: 'secret_malformed', stage: 'AWSCURRENT' }),
    );
    expect(doctor.code).toBe(1);
    expect(doctor.out).toContain('✗ secret default: malformed: it contains whitespace');
    expect(doctor.out).toContain('run fpt-webhooks secret set default --local');
    expect(status.out).toContain('MALFORMED (it contains whitespace');
    expect(doctor.out + status.out).not.toContain(harness.secret);

    // Fix, as the runbook says: secret set drops the trailing newline of piped input.
    const set = await runCli(['secret', 'set', 'default', '--local'], `${harness.secret}\n`);
    expect(set.code).toBe(0);
    let accepted = 0;
    // The verifier refreshes a refused secret at most once per 10 s: bounded wait for it.
    for (let attempt = 0; attempt < 30 && accepted !== 202; attempt++) {
      accepted = (await harness.deliver(fptBody('contact.updated'))).status;
      if (accepted !== 202) await sleep(500);
    }
    expect(accepted).toBe(202);
  });

  it('dates a staged version by its creation in ListSecretVersionIds, and refuses to promote it 24 h later', async () => {
    // Prepare: a value staged and forgotten.
    const staged = await client.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        SecretString: randomBytes(32).toString('base64url'),
        VersionStages: [STAGED_LABEL],
      }),
    );
    const stagedVersion = staged.VersionId as string;
    const createdAt = async () =>
      (await client.send(new ListSecretVersionIdsCommand({ SecretId: secretId }))).Versions?.find(
        (v) => v.VersionId === stagedVersion,
      )?.CreatedDate?.getTime();
    const first = await createdAt();
    await sleep(2100);

    // Act
    const later = await createdAt();
    const fromGet = (
      await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: STAGED_LABEL }))
    ).CreatedDate?.getTime();
    const target = await resolveTarget({ local: true });
    const fakeNow = (first as number) + STAGED_VALUE_MAX_AGE_MS + 1_000;
    const state = await readSecretState(client, target, 'default', fakeNow);
    const currentBefore = (
      await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }))
    ).VersionId;
    const rotation = runRotationStep(
      client,
      {
        Step: 'createSecret',
        SecretId: secretId,
        ClientRequestToken: 'f0e1d2c3-b4a5-4968-8776-655443322110',
      },
      () => {},
      { now: () => fakeNow },
    );

    // Assess: the date is the version's own (moto's is "now"; local/moto_server.py fixes it) ...
    expect(first).toBeDefined();
    expect(later).toBe(first);
    expect(fromGet).toBe(first);
    // ... so 24 h later status says it is stale, and the rotation refuses it.
    expect(state.stagedStale).toBe(true);
    expect(state.dueReasons.join('\n')).toContain('will not be promoted');
    await expect(rotation).rejects.toBeInstanceOf(StaleStagedValueError);
    const currentAfter = (
      await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }))
    ).VersionId;
    expect(currentAfter).toBe(currentBefore);
  });
});
