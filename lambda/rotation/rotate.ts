import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { ReceiverError } from '../shared/errors';
import { SECRET_PLACEHOLDER } from '../shared/secret-placeholder';
import { secretValueProblem } from '../shared/secret-shape';

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
  constructor(
    message = 'rotation due: no new FPT secret is staged. Rotate the key in FPT, then run `fpt-webhooks secret set <subscription>` (docs/runbooks/rotate-secret.md)',
  ) {
    super(message);
    this.name = 'RotationDueError';
  }
}

/**
 * How old a staged value may be and still be promoted. `secret set` stages and rotates within seconds,
 * so a value staged longer ago is one whose rotation did not finish; FPT may have issued a newer key
 * since (each "Rotate Key" invalidates the previous one at once), and promoting it would make the
 * receiver answer 401 to every delivery once the grace window of the current one ends.
 */
export const STAGED_VALUE_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** The staged value is older than {@link STAGED_VALUE_MAX_AGE_MS}: not promoted; a person must stage a fresh one. */
export class StaleStagedValueError extends RotationDueError {
  constructor(readonly stagedAtMs: number | undefined) {
    super(
      `rotation due: the value staged as ${STAGED_LABEL}${stagedAtMs === undefined ? ' (creation date unknown)' : ` at ${new Date(stagedAtMs).toISOString()}`} is older than 24 hours and is not promoted, since FPT may have issued a newer key. Rotate the key in FPT, then run \`fpt-webhooks secret set <subscription>\` (docs/runbooks/rotate-secret.md)`,
    );
    this.name = 'StaleStagedValueError';
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

export interface RotationAudit {
  readonly step: RotationStep;
  readonly secretId: string;
  readonly versionId: string;
  readonly outcome: 'done' | 'skipped' | 'rotation_due' | 'stale_staged' | 'configuration_test';
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

/**
 * A version's value and creation date, or undefined when it has none (Secrets Manager answers
 * ResourceNotFound). GetSecretValue's `CreatedDate` is the date the version was created, which moving
 * a staging label does not change (docs/aws-contracts.md).
 */
async function readVersion(
  client: SecretsManagerClient,
  secretId: string,
  select: { readonly VersionId?: string; readonly VersionStage: string },
): Promise<{ readonly value: string | undefined; readonly createdAtMs: number | undefined } | undefined> {
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretId, ...select }));
    return { value: out.SecretString, createdAtMs: out.CreatedDate?.getTime() };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** A version's value, or undefined when it has none. */
async function readValue(
  client: SecretsManagerClient,
  secretId: string,
  select: { readonly VersionId?: string; readonly VersionStage: string },
): Promise<string | undefined> {
  return (await readVersion(client, secretId, select))?.value;
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
 *    A staged value older than STAGED_VALUE_MAX_AGE_MS is not promoted either (same alarm).
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
  options: { readonly now?: () => number } = {},
): Promise<void> {
  const now = options.now ?? Date.now;
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
      const staged = await readVersion(client, secretId, { VersionStage: STAGED_LABEL });
      if (staged?.value === undefined) {
        const current = await readValue(client, secretId, { VersionStage: 'AWSCURRENT' });
        if (current === undefined || current === SECRET_PLACEHOLDER) {
          record('skipped');
          return;
        }
        record('rotation_due');
        throw new RotationDueError();
      }
      // A date Secrets Manager did not give cannot prove the value fresh: refused like a stale one.
      if (staged.createdAtMs === undefined || now() - staged.createdAtMs > STAGED_VALUE_MAX_AGE_MS) {
        record('stale_staged');
        throw new StaleStagedValueError(staged.createdAtMs);
      }
      await client.send(
        new PutSecretValueCommand({
          SecretId: secretId,
          ClientRequestToken: token,
          SecretString: staged.value,
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
