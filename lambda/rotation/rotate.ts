import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { ReceiverError } from '../shared/errors';
import { SECRET_PLACEHOLDER } from '../shared/secret-placeholder';

/**
 * The staging label the CLI puts on a secret value copied from FPT. A custom label, not AWSPENDING,
 * so that it survives however Secrets Manager moves AWSPENDING when a rotation starts.
 */
export const STAGED_LABEL = 'FPT_STAGED';

export type RotationStep = 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';

export interface RotationEvent {
  readonly Step: RotationStep;
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  /** Sent by Secrets Manager for cross-account rotation; this function does not need it. */
  readonly RotationToken?: string;
}

/** A scheduled rotation found nothing staged: a human must rotate the key in FPT. It fails on purpose. */
export class RotationDueError extends ReceiverError {
  constructor() {
    super(
      'rotation due: no new FPT secret is staged. Rotate the key in FPT, then run `fpt-webhooks secret set <subscription>` (docs/runbooks/rotate-secret.md)',
    );
    this.name = 'RotationDueError';
  }
}

export class InvalidSecretValueError extends ReceiverError {
  constructor(reason: string) {
    super(`the staged secret is not usable: ${reason}`);
    this.name = 'InvalidSecretValueError';
  }
}

export class RotationStateError extends ReceiverError {
  constructor(message: string) {
    super(message);
    this.name = 'RotationStateError';
  }
}

/** Secrets Manager's largest SecretString (PutSecretValue: "Maximum length of 65536"). */
export const SECRET_VALUE_MAX_BYTES = 65_536;

/**
 * Checks a signing secret the way FPT issues them: 32 or more characters, no whitespace, and no larger
 * than Secrets Manager stores (a bigger paste is not a secret alone, and AWS would refuse it anyway).
 * @returns the problem, or undefined when the value is usable
 */
export function secretValueProblem(value: string): string | undefined {
  if (value === SECRET_PLACEHOLDER) return 'it is the placeholder the stack stores';
  if (/\s/.test(value)) return 'it contains whitespace (copy it again without spaces or line breaks)';
  if (value.length < 32) return `it has ${value.length} characters; FPT secrets have at least 32`;
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > SECRET_VALUE_MAX_BYTES) {
    return `it has ${bytes} bytes; Secrets Manager stores at most ${SECRET_VALUE_MAX_BYTES} (is it the whole secret, and only the secret?)`;
  }
  return undefined;
}

export interface RotationAudit {
  readonly step: RotationStep;
  readonly secretId: string;
  readonly versionId: string;
  readonly outcome: 'done' | 'skipped' | 'rotation_due' | 'configuration_test';
}

const isNotFound = (error: unknown) =>
  (error as { name?: string } | null)?.name === 'ResourceNotFoundException';

/** The Secrets Manager user guide spells the steps create_secret etc.; the events say createSecret. */
const STEP_ALIASES: Readonly<Record<string, RotationStep>> = {
  create_secret: 'createSecret',
  set_secret: 'setSecret',
  test_secret: 'testSecret',
  finish_secret: 'finishSecret',
};

/** A version's value, or undefined when it has none (Secrets Manager answers ResourceNotFound). */
async function readValue(
  client: SecretsManagerClient,
  secretId: string,
  select: { readonly VersionId?: string; readonly VersionStage: string },
): Promise<string | undefined> {
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretId, ...select }));
    return out.SecretString;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * True when the AWSPENDING version under `token` is Secrets Manager's test of the rotation configuration,
 * not a version createSecret wrote. RotateSecret with RotateImmediately=false (every RotationSchedule
 * here) runs testSecret against a temporary AWSPENDING version and then removes it. That version holds
 * no value, or a copy of AWSCURRENT (the placeholder on a first deploy); createSecret only ever writes
 * the value staged as FPT_STAGED, so a pending value equal to the staged one is a real rotation.
 */
async function isConfigurationTest(
  client: SecretsManagerClient,
  secretId: string,
  token: string,
): Promise<boolean> {
  const pending = await readValue(client, secretId, { VersionId: token, VersionStage: 'AWSPENDING' });
  if (pending === undefined) return true;
  const staged = await readValue(client, secretId, { VersionStage: STAGED_LABEL });
  if (staged !== undefined && staged === pending) return false;
  return pending === (await readValue(client, secretId, { VersionStage: 'AWSCURRENT' }));
}

/**
 * The Secrets Manager rotation steps for a secret minted by FPT, not by AWS.
 *
 *  - createSecret: copy the value the operator staged (label FPT_STAGED) into the rotation's version
 *    as AWSPENDING. Nothing staged means a scheduled rotation came due: fail, which raises an alarm,
 *    unless AWSCURRENT still holds the placeholder (nothing was ever configured, so nothing is due).
 *  - setSecret: nothing to do; FPT already holds the new secret (the operator took it from there).
 *  - testSecret: the value has FPT's shape.
 *  - finishSecret: AWSCURRENT moves to the new version; Secrets Manager gives the old one AWSPREVIOUS,
 *    which the verifier accepts for its grace window. The staged label is removed.
 *
 * testSecret and finishSecret pass Secrets Manager's configuration test (see isConfigurationTest)
 * without judging the value or moving a label: a schedule created or changed must not page anyone.
 */
export async function runRotationStep(
  client: SecretsManagerClient,
  event: RotationEvent,
  audit: (entry: RotationAudit) => void = () => {},
): Promise<void> {
  const { SecretId: secretId, ClientRequestToken: token } = event;
  const step: RotationStep = STEP_ALIASES[event.Step] ?? event.Step;
  const describe = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
  const stages = describe.VersionIdsToStages ?? {};
  const record = (outcome: RotationAudit['outcome']) => audit({ step, secretId, versionId: token, outcome });

  if (stages[token]?.includes('AWSCURRENT') && step !== 'finishSecret') {
    record('skipped');
    return;
  }

  switch (step) {
    case 'createSecret': {
      if (
        (await readValue(client, secretId, { VersionId: token, VersionStage: 'AWSPENDING' })) !== undefined
      ) {
        record('skipped');
        return;
      }
      const staged = await readValue(client, secretId, { VersionStage: STAGED_LABEL });
      if (staged === undefined) {
        const current = await readValue(client, secretId, { VersionStage: 'AWSCURRENT' });
        if (current === undefined || current === SECRET_PLACEHOLDER) {
          record('skipped');
          return;
        }
        record('rotation_due');
        throw new RotationDueError();
      }
      await client.send(
        new PutSecretValueCommand({
          SecretId: secretId,
          ClientRequestToken: token,
          SecretString: staged,
          VersionStages: ['AWSPENDING'],
        }),
      );
      record('done');
      return;
    }
    case 'setSecret':
      record('skipped');
      return;
    case 'testSecret': {
      if (await isConfigurationTest(client, secretId, token)) {
        record('configuration_test');
        return;
      }
      const pending = await readValue(client, secretId, { VersionId: token, VersionStage: 'AWSPENDING' });
      const problem = secretValueProblem(pending ?? '');
      if (problem !== undefined) throw new InvalidSecretValueError(problem);
      record('done');
      return;
    }
    case 'finishSecret': {
      const currentVersion = Object.entries(stages).find(([, labels]) => labels.includes('AWSCURRENT'))?.[0];
      if (currentVersion !== token && (await isConfigurationTest(client, secretId, token))) {
        record('configuration_test');
        return;
      }
      if (currentVersion !== token) {
        await client.send(
          new UpdateSecretVersionStageCommand({
            SecretId: secretId,
            VersionStage: 'AWSCURRENT',
            MoveToVersionId: token,
            ...(currentVersion !== undefined ? { RemoveFromVersionId: currentVersion } : {}),
          }),
        );
      }
      const stagedVersion = Object.entries(stages).find(([, labels]) => labels.includes(STAGED_LABEL))?.[0];
      if (stagedVersion !== undefined) {
        await client.send(
          new UpdateSecretVersionStageCommand({
            SecretId: secretId,
            VersionStage: STAGED_LABEL,
            RemoveFromVersionId: stagedVersion,
          }),
        );
      }
      record('done');
      return;
    }
    default:
      throw new RotationStateError(`unknown rotation step ${String(step)}`);
  }
}
