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

/**
 * Checks a signing secret the way FPT issues them: 32 or more characters, no whitespace.
 * @returns the problem, or undefined when the value is usable
 */
export function secretValueProblem(value: string): string | undefined {
  if (value === SECRET_PLACEHOLDER) return 'it is the placeholder the stack stores';
  if (/\s/.test(value)) return 'it contains whitespace (copy it again without spaces or line breaks)';
  if (value.length < 32) return `it has ${value.length} characters; FPT secrets have at least 32`;
  return undefined;
}

export interface RotationAudit {
  readonly step: RotationStep;
  readonly secretId: string;
  readonly versionId: string;
  readonly outcome: 'done' | 'skipped' | 'rotation_due';
}

const isNotFound = (error: unknown) =>
  (error as { name?: string } | null)?.name === 'ResourceNotFoundException';

/**
 * The Secrets Manager rotation steps for a secret minted by FPT, not by AWS.
 *
 *  - createSecret: copy the value the operator staged (label FPT_STAGED) into the rotation's version
 *    as AWSPENDING. Nothing staged means a scheduled rotation came due: fail, which raises an alarm.
 *  - setSecret: nothing to do; FPT already holds the new secret (the operator took it from there).
 *  - testSecret: the value has FPT's shape.
 *  - finishSecret: AWSCURRENT moves to the new version; Secrets Manager gives the old one AWSPREVIOUS,
 *    which the verifier accepts for its grace window. The staged label is removed.
 */
export async function runRotationStep(
  client: SecretsManagerClient,
  event: RotationEvent,
  audit: (entry: RotationAudit) => void = () => {},
): Promise<void> {
  const { SecretId: secretId, ClientRequestToken: token, Step: step } = event;
  const describe = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
  const stages = describe.VersionIdsToStages ?? {};
  const record = (outcome: RotationAudit['outcome']) => audit({ step, secretId, versionId: token, outcome });

  if (stages[token]?.includes('AWSCURRENT') && step !== 'finishSecret') {
    record('skipped');
    return;
  }

  switch (step) {
    case 'createSecret': {
      try {
        await client.send(
          new GetSecretValueCommand({ SecretId: secretId, VersionId: token, VersionStage: 'AWSPENDING' }),
        );
        record('skipped');
        return;
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      let staged: string | undefined;
      try {
        const out = await client.send(
          new GetSecretValueCommand({ SecretId: secretId, VersionStage: STAGED_LABEL }),
        );
        staged = out.SecretString;
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      if (staged === undefined) {
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
      const pending = await client.send(
        new GetSecretValueCommand({ SecretId: secretId, VersionId: token, VersionStage: 'AWSPENDING' }),
      );
      const problem = secretValueProblem(pending.SecretString ?? '');
      if (problem !== undefined) throw new InvalidSecretValueError(problem);
      record('done');
      return;
    }
    case 'finishSecret': {
      const currentVersion = Object.entries(stages).find(([, labels]) => labels.includes('AWSCURRENT'))?.[0];
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
