import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  type RotationAudit,
  RotationDueError,
  runRotationStep,
  STAGED_LABEL,
} from '../../../lambda/rotation/rotate';
import { SECRET_PLACEHOLDER } from '../../../lambda/shared/secret-placeholder';
import { secretValueProblem } from '../../../lambda/shared/secret-shape';

const sm = mockClient(SecretsManagerClient);
const ID = 'fpt-webhooks/test/default';
const TOKEN = 'token-new';
const notFound = () => Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' });
const client = () => new SecretsManagerClient({});

beforeEach(() => sm.reset());

describe('secretValueProblem', () => {
  it('accepts 32 or more characters without whitespace', () => {
    expect(secretValueProblem('a'.repeat(32))).toBeUndefined();
  });

  it('accepts a value of exactly 65,536 bytes, the most Secrets Manager stores', () => {
    expect(secretValueProblem('é'.repeat(32_768))).toBeUndefined();
  });

  it.each([
    ['too short', 'a'.repeat(31), '31 characters'],
    ['with a space', `${'a'.repeat(20)} ${'b'.repeat(20)}`, 'whitespace'],
    ['with a trailing newline', `${'a'.repeat(40)}\n`, 'whitespace'],
    ['the placeholder', SECRET_PLACEHOLDER, 'placeholder'],
    ['over Secrets Manager 65,536 bytes', `${'é'.repeat(32_768)}a`, '65537 bytes'],
  ])('rejects a value %s and says why without echoing it', (_name, value, expected) => {
    const problem = secretValueProblem(value);
    expect(problem).toContain(expected);
    expect(problem).not.toContain(value.trim());
  });
});

describe('runRotationStep', () => {
  it('createSecret copies the staged value into the rotation version as AWSPENDING', async () => {
    sm.on(DescribeSecretCommand).resolves({
      VersionIdsToStages: { old: ['AWSCURRENT'], staged: [STAGED_LABEL] },
    });
    sm.on(GetSecretValueCommand, { VersionId: TOKEN }).rejects(notFound());
    sm.on(GetSecretValueCommand, { VersionStage: STAGED_LABEL }).resolves({
      SecretString: 'n'.repeat(40),
      CreatedDate: new Date(Date.now() - 60_000),
    });
    sm.on(PutSecretValueCommand).resolves({});
    const audit: RotationAudit[] = [];
    await runRotationStep(client(), { Step: 'createSecret', SecretId: ID, ClientRequestToken: TOKEN }, (a) =>
      audit.push(a),
    );
    expect(sm.commandCalls(PutSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: ID,
      ClientRequestToken: TOKEN,
      SecretString: 'n'.repeat(40),
      VersionStages: ['AWSPENDING'],
    });
    expect(audit).toEqual([{ step: 'createSecret', secretId: ID, versionId: TOKEN, outcome: 'done' }]);
  });

  it('createSecret fails with RotationDueError when a scheduled rotation finds nothing staged', async () => {
    sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { old: ['AWSCURRENT'] } });
    sm.on(GetSecretValueCommand).rejects(notFound());
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }).resolves({ SecretString: 'c'.repeat(40) });
    const audit: RotationAudit[] = [];
    await expect(
      runRotationStep(client(), { Step: 'createSecret', SecretId: ID, ClientRequestToken: TOKEN }, (a) =>
        audit.push(a),
      ),
    ).rejects.toBeInstanceOf(RotationDueError);
    expect(audit[0]?.outcome).toBe('rotation_due');
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('testSecret rejects a pending value that is not shaped like an FPT secret', async () => {
    sm.on(DescribeSecretCommand).resolves({
      VersionIdsToStages: { old: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] },
    });
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'short' });
    await expect(
      runRotationStep(client(), { Step: 'testSecret', SecretId: ID, ClientRequestToken: TOKEN }),
    ).rejects.toThrow('FPT secrets have at least 32');
  });

  it('finishSecret moves AWSCURRENT to the new version and clears the staged label', async () => {
    sm.on(DescribeSecretCommand).resolves({
      VersionIdsToStages: { old: ['AWSCURRENT'], staged: [STAGED_LABEL], [TOKEN]: ['AWSPENDING'] },
    });
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'n'.repeat(40) });
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }).resolves({ SecretString: 'c'.repeat(40) });
    sm.on(UpdateSecretVersionStageCommand).resolves({});
    await runRotationStep(client(), { Step: 'finishSecret', SecretId: ID, ClientRequestToken: TOKEN });
    const calls = sm.commandCalls(UpdateSecretVersionStageCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { SecretId: ID, VersionStage: 'AWSCURRENT', MoveToVersionId: TOKEN, RemoveFromVersionId: 'old' },
      { SecretId: ID, VersionStage: STAGED_LABEL, RemoveFromVersionId: 'staged' },
    ]);
  });

  it('createSecret skips a scheduled rotation while AWSCURRENT still holds the placeholder', async () => {
    sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { old: ['AWSCURRENT'] } });
    sm.on(GetSecretValueCommand).rejects(notFound());
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }).resolves({
      SecretString: SECRET_PLACEHOLDER,
    });
    const audit: RotationAudit[] = [];
    await runRotationStep(client(), { Step: 'createSecret', SecretId: ID, ClientRequestToken: TOKEN }, (a) =>
      audit.push(a),
    );
    expect(audit[0]?.outcome).toBe('skipped');
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('testSecret and finishSecret treat an empty pending version as the configuration test', async () => {
    sm.on(DescribeSecretCommand).resolves({
      VersionIdsToStages: { old: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] },
    });
    sm.on(GetSecretValueCommand).rejects(notFound());
    const audit: RotationAudit[] = [];
    for (const Step of ['testSecret', 'finishSecret'] as const) {
      await runRotationStep(client(), { Step, SecretId: ID, ClientRequestToken: TOKEN }, (a) =>
        audit.push(a),
      );
    }
    expect(audit.map((a) => a.outcome)).toEqual(['configuration_test', 'configuration_test']);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  });

  it('skips every step but finishSecret once the version is already current', async () => {
    sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { [TOKEN]: ['AWSCURRENT'] } });
    await runRotationStep(client(), { Step: 'createSecret', SecretId: ID, ClientRequestToken: TOKEN });
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });
});
