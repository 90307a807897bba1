import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { localClientConfig } from '../../local/aws';
import { runCli } from '../support/cli';
import { pointCliAt } from './support/cli-env';
import { type Harness, startHarness } from './support/harness';

jest.setTimeout(60_000);

/**
 * Why a failed first deploy could not be retried, and how the documented recovery frees the names: a
 * secret scheduled for deletion keeps its name taken, so creating it again (as CloudFormation does on the
 * next deploy) fails; deleting it without a recovery window frees the name at once. The emulator (moto)
 * reserves the name as Secrets Manager does; doctor finds such secrets and prints that command.
 */
describe('signing secret names: reservation and recovery', () => {
  let harness: Harness;
  let restoreEnv: () => void;
  let secrets: SecretsManagerClient;
  let prefix: string;

  beforeAll(async () => {
    harness = await startHarness({ name: 'names' });
    restoreEnv = pointCliAt(harness);
    secrets = new SecretsManagerClient(localClientConfig(harness.emulatorUrl));
    const name = harness.running.stack.secrets.default as string;
    prefix = name.slice(0, name.lastIndexOf('/') + 1);
  });
  afterAll(async () => {
    restoreEnv?.();
    secrets?.destroy();
    await harness?.stop();
  });

  const create = (name: string) =>
    secrets.send(new CreateSecretCommand({ Name: name, SecretString: 'placeholder-of-a-test' }));
  const forceDelete = (name: string) =>
    secrets.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));

  it('refuses to create a secret whose name is scheduled for deletion, until it is deleted without recovery', async () => {
    const name = `${prefix}reserved`;
    await create(name);
    try {
      // The recovery the docs used to give: schedules the deletion only.
      await secrets.send(new DeleteSecretCommand({ SecretId: name }));
      const scheduled = await secrets.send(new DescribeSecretCommand({ SecretId: name }));
      expect(scheduled.DeletedDate).toBeInstanceOf(Date);

      // AWS: InvalidRequestException "...already scheduled for deletion"; moto: ResourceExistsException.
      await expect(create(name)).rejects.toThrow(/already exists|already scheduled for deletion/);

      // The recovery the docs give now, which also works on a secret already scheduled for deletion.
      await forceDelete(name);
      await expect(create(name)).resolves.toMatchObject({ Name: name });
    } finally {
      await forceDelete(name);
    }
  });

  it('doctor reports a left-behind secret and one scheduled for deletion, with the commands that free them', async () => {
    const leftBehind = `${prefix}removed-gym`;
    const scheduled = `${prefix}failed-deploy`;
    await create(leftBehind);
    await create(scheduled);
    await secrets.send(new DeleteSecretCommand({ SecretId: scheduled, RecoveryWindowInDays: 7 }));
    try {
      const before = await runCli(['doctor', '--local']);

      expect(before.code).toBe(0);
      expect(before.out).toContain(
        `⚠ secret ${leftBehind}: used by no configured subscription (left behind by a removed one); if FPT no longer sends to "removed-gym", delete it with aws secretsmanager delete-secret --secret-id ${leftBehind} --force-delete-without-recovery --region us-east-1 --endpoint-url ${harness.emulatorUrl}`,
      );
      expect(before.out).toMatch(
        new RegExp(
          `^⚠ secret ${scheduled}: scheduled for deletion \\(on \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z\\) and used by no configured subscription; until then the name stays taken, so adding subscription "failed-deploy" again fails; free it now with aws secretsmanager delete-secret --secret-id ${scheduled} --force-delete-without-recovery`,
          'm',
        ),
      );

      // Act: what doctor told us to run (through the SDK: the aws CLI is not installed here).
      await forceDelete(leftBehind);
      await forceDelete(scheduled);
      const after = await runCli(['doctor', '--local']);

      expect(after.out).toContain(
        `✓ secret names: no secret under ${prefix} is left behind or scheduled for deletion`,
      );
      await expect(create(scheduled)).resolves.toMatchObject({ Name: scheduled });
    } finally {
      await forceDelete(leftBehind);
      await forceDelete(scheduled);
    }
  });

  it("doctor fails, and says how to cancel it, when a configured subscription's secret is scheduled for deletion", async () => {
    const name = harness.running.stack.secrets.default as string;
    await secrets.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
    try {
      const result = await runCli(['doctor', '--local']);

      expect(result.code).toBe(1);
      expect(result.out).toMatch(
        new RegExp(
          `^✗ secret default: ${name} is scheduled for deletion \\(on [^)]+\\): the verifier cannot read it, so every delivery gets 503; cancel the deletion with aws secretsmanager restore-secret --secret-id ${name} --region us-east-1 --endpoint-url `,
          'm',
        ),
      );
    } finally {
      await secrets.send(new RestoreSecretCommand({ SecretId: name }));
    }
  });
});
