import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { localClientConfig } from '../../local/aws';
import { emulatorUrlFromEnv } from './support/emulator-env';

jest.setTimeout(30_000);

/**
 * AWS: GetSecretValue with no VersionId or VersionStage answers AWSCURRENT, and PutSecretValue moves
 * AWSCURRENT off whichever version holds it. Rotation and `secret set` move AWSCURRENT by labels
 * (UpdateSecretVersionStage); plain moto then still answers the old value and later keeps two AWSCURRENT
 * versions. local/moto_server.py makes the label move count.
 */
describe('emulator: AWSCURRENT moved by UpdateSecretVersionStage is the current version', () => {
  const client = new SecretsManagerClient(localClientConfig(emulatorUrlFromEnv()));
  const name = `fpt-test/current-version-${randomUUID().slice(0, 8)}`;
  const first = 'a'.repeat(40);
  const second = 'b'.repeat(40);
  const third = 'c'.repeat(40);

  afterAll(async () => {
    await client
      .send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }))
      .catch(() => {});
    client.destroy();
  });

  const stagesOf = async () =>
    (await client.send(new DescribeSecretCommand({ SecretId: name }))).VersionIdsToStages ?? {};

  it('answers the moved AWSCURRENT without a stage, and PutSecretValue afterwards leaves one AWSCURRENT', async () => {
    const created = await client.send(new CreateSecretCommand({ Name: name, SecretString: first }));
    const staged = await client.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: second, VersionStages: ['FPT_STAGED'] }),
    );
    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: staged.VersionId,
        RemoveFromVersionId: created.VersionId,
      }),
    );

    const unstaged = await client.send(new GetSecretValueCommand({ SecretId: name }));
    expect(unstaged.VersionId).toBe(staged.VersionId);
    expect(unstaged.SecretString).toBe(second);

    const put = await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: third }));
    const stages = await stagesOf();
    const current = Object.entries(stages).filter(([, labels]) => labels.includes('AWSCURRENT'));
    expect(current.map(([id]) => id)).toEqual([put.VersionId]);
    expect(stages[staged.VersionId as string]).toContain('AWSPREVIOUS');
    expect(stages[created.VersionId as string] ?? []).not.toContain('AWSPREVIOUS');
  });
});
