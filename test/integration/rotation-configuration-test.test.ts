import { randomUUID } from 'node:crypto';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { runRotationStep, STAGED_LABEL } from '../../lambda/rotation/rotate';
import { SECRET_PLACEHOLDER } from '../../lambda/shared/secret-placeholder';
import { localClientConfig } from '../../local/aws';
import { loadReceiverConfig, provisionLocalStack, testRotationConfiguration } from '../../local/provision';
import { emulatorUrlFromEnv } from './support/emulator-env';

jest.setTimeout(60_000);

/*
 * Every RotationSchedule the stack creates has RotateImmediately=false, so on the first deploy (and when a
 * schedule changes) Secrets Manager tests the rotation configuration: it runs testSecret on a temporary
 * AWSPENDING version and removes it. The local stack does the same when it creates a secret.
 */
describe('rotation configuration test on the local stack', () => {
  let client: SecretsManagerClient;
  let secretId: string;

  const stages = async () =>
    (await client.send(new DescribeSecretCommand({ SecretId: secretId }))).VersionIdsToStages ?? {};
  const labelled = (all: Record<string, string[]>, label: string) =>
    Object.entries(all).filter(([, labels]) => labels.includes(label));
  const current = async () =>
    (await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' })))
      .SecretString;

  beforeAll(async () => {
    const endpoint = emulatorUrlFromEnv();
    client = new SecretsManagerClient(localClientConfig(endpoint));
    const stack = await provisionLocalStack({
      endpoint,
      config: loadReceiverConfig(),
      namespace: `rotcfg-${randomUUID().slice(0, 8)}`,
    });
    secretId = Object.values(stack.secrets)[0] ?? '';
  });

  afterAll(() => client.destroy());

  it('passes on a new secret holding the placeholder and leaves no AWSPENDING version behind', async () => {
    const all = await stages();
    expect(labelled(all, 'AWSPENDING')).toEqual([]);
    expect(labelled(all, 'AWSCURRENT')).toHaveLength(1);
    expect(await current()).toBe(SECRET_PLACEHOLDER);
  });

  it('the emulator, like AWS, adds an AWSPENDING copy for RotateImmediately=false and moves no AWSCURRENT', async () => {
    const before = labelled(await stages(), 'AWSCURRENT');
    const { VersionId } = await client.send(
      new RotateSecretCommand({ SecretId: secretId, RotateImmediately: false }),
    );
    try {
      expect(labelled(await stages(), 'AWSCURRENT')).toEqual(before);
      expect(labelled(await stages(), 'AWSPENDING').map(([id]) => id)).toEqual([VersionId]);
      const pending = await client.send(
        new GetSecretValueCommand({ SecretId: secretId, VersionId, VersionStage: 'AWSPENDING' }),
      );
      expect(pending.SecretString).toBe(await current());
    } finally {
      await client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: 'AWSPENDING',
          RemoveFromVersionId: VersionId,
        }),
      );
    }
  });

  it('passes again for a configured secret while a new value is staged, and changes neither', async () => {
    await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: 'c'.repeat(48) }));
    await client.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        SecretString: 'n'.repeat(48),
        VersionStages: [STAGED_LABEL],
      }),
    );
    const before = await stages();

    await testRotationConfiguration(client, secretId);

    const after = await stages();
    expect(labelled(after, 'AWSCURRENT')).toEqual(labelled(before, 'AWSCURRENT'));
    expect(labelled(after, STAGED_LABEL)).toEqual(labelled(before, STAGED_LABEL));
    expect(labelled(after, 'AWSPENDING')).toEqual([]);
    expect(await current()).toBe('c'.repeat(48));
  });

  it('still fails a real rotation whose staged value is not an FPT secret', async () => {
    const staged = labelled(await stages(), STAGED_LABEL)[0]?.[0];
    if (staged !== undefined) {
      await client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: STAGED_LABEL,
          RemoveFromVersionId: staged,
        }),
      );
    }
    await client.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        SecretString: 'too-short',
        VersionStages: [STAGED_LABEL],
      }),
    );
    const token = randomUUID();
    const step = (Step: 'createSecret' | 'testSecret') =>
      runRotationStep(client, { Step, SecretId: secretId, ClientRequestToken: token });

    await step('createSecret');
    await expect(step('testSecret')).rejects.toThrow('FPT secrets have at least 32');
    expect(await current()).toBe('c'.repeat(48));
  });
});
