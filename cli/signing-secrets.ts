/**
 * What the CLI knows about signing secrets: their state (`secret status`, `doctor`) and how a new one is
 * stored (`secret set`). Values are read to tell a real secret from the placeholder and to compare, and
 * are never printed.
 */
import { randomUUID } from 'node:crypto';
import {
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  type ListSecretVersionIdsCommandOutput,
  PutSecretValueCommand,
  RotateSecretCommand,
  type RotateSecretCommandOutput,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  type RotationAudit,
  type RotationStep,
  runRotationStep,
  STAGED_LABEL,
  STAGED_VALUE_MAX_AGE_MS,
} from '../lambda/rotation/rotate';
import { isUnusableSecret } from '../lambda/shared/secret-placeholder';
import { secretValueProblem } from '../lambda/shared/secret-shape';
import { DEFAULT_CONFIG } from '../lib/config';
import { CliError } from './errors';
import type { Target } from './target';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

const errorName = (error: unknown): string | undefined => (error as { name?: string } | null)?.name;
const isNotFound = (error: unknown) => errorName(error) === 'ResourceNotFoundException';

/** `2026-11-28T12:00:00Z`: UTC, to the second. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Everything `secret status` reports about one subscription's secret. */
export interface SecretState {
  readonly subscription: string;
  readonly secretId: string;
  /** AWSCURRENT holds a usable value (not missing, empty or the placeholder). */
  readonly configured: boolean;
  /** When the current value was set: the CreatedDate of the AWSCURRENT version. */
  readonly currentSetAtMs?: number;
  /** A usable AWSPREVIOUS exists (the placeholder does not count). */
  readonly hasPrevious: boolean;
  /** End of the previous secret's grace window: current set + grace. */
  readonly previousAcceptedUntilMs?: number;
  /** The verifier accepts the previous secret right now. */
  readonly previousAcceptedNow: boolean;
  /** Days after which the secret is due: its rotation schedule, else the target's config, else 90. */
  readonly maxAgeDays: number;
  readonly rotationEnabled: boolean;
  readonly nextRotationAtMs?: number;
  readonly lastRotatedAtMs?: number;
  /**
   * What is wrong with the stored AWSCURRENT value (FPT's shape, lambda/shared/secret-shape.ts), never
   * the value itself; the verifier refuses it with 503 secret_malformed. Undefined when it is fine or
   * not configured.
   */
  readonly currentProblem?: string;
  /** The same for AWSPREVIOUS, which the verifier then ignores. */
  readonly previousProblem?: string;
  /** A value is staged (FPT_STAGED) but not current: a `secret set` did not finish. */
  readonly stagedNotCurrent: boolean;
  /** When the staged version was created (ListSecretVersionIds CreatedDate). */
  readonly stagedAtMs?: number;
  /** The staged value is older than STAGED_VALUE_MAX_AGE_MS (24 h): a rotation will not promote it. */
  readonly stagedStale: boolean;
  /** Why the secret needs attention now; empty when it does not. */
  readonly dueReasons: readonly string[];
}

interface StageRead {
  readonly value?: string;
  readonly versionId?: string;
  readonly createdAtMs?: number;
}

async function readStage(
  client: SecretsManagerClient,
  secretId: string,
  stage: 'AWSCURRENT' | 'AWSPREVIOUS',
): Promise<StageRead> {
  try {
    // Always name the stage: an emulator's default version can lag behind label moves.
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));
    return {
      ...(out.SecretString !== undefined ? { value: out.SecretString } : {}),
      ...(out.VersionId !== undefined ? { versionId: out.VersionId } : {}),
      ...(out.CreatedDate !== undefined ? { createdAtMs: out.CreatedDate.getTime() } : {}),
    };
  } catch (error) {
    if (isNotFound(error) || errorName(error) === 'SecretHasNoValueException') return {};
    throw error;
  }
}

/** A version's creation date from ListSecretVersionIds, paging at most 20 times; undefined if not listed. */
async function versionCreatedAt(
  client: SecretsManagerClient,
  secretId: string,
  versionId: string,
): Promise<number | undefined> {
  let nextToken: string | undefined;
  for (let page = 0; page < 20; page++) {
    const out: ListSecretVersionIdsCommandOutput | undefined = await client.send(
      new ListSecretVersionIdsCommand({
        SecretId: secretId,
        MaxResults: 100,
        ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
      }),
    );
    const found = out?.Versions?.find((version) => version.VersionId === versionId);
    if (found !== undefined) return found.CreatedDate?.getTime();
    nextToken = out?.NextToken;
    if (nextToken === undefined || nextToken === '') return undefined;
  }
  return undefined;
}

function versionWith(
  stages: DescribeSecretCommandOutput['VersionIdsToStages'],
  label: string,
): string | undefined {
  return Object.entries(stages ?? {}).find(([, labels]) => labels.includes(label))?.[0];
}

/**
 * Reads the state of one subscription's secret.
 * @throws CliError when the secret cannot be read (missing, no permission)
 */
export async function readSecretState(
  client: SecretsManagerClient,
  target: Target,
  subscription: string,
  nowMs: number,
): Promise<SecretState> {
  const secretId = target.secretId(subscription);
  let describe: DescribeSecretCommandOutput;
  let current: StageRead;
  let previous: StageRead;
  try {
    describe = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
    current = await readStage(client, secretId, 'AWSCURRENT');
    previous = versionWith(describe.VersionIdsToStages, 'AWSPREVIOUS')
      ? await readStage(client, secretId, 'AWSPREVIOUS')
      : {};
  } catch (error) {
    throw new CliError(`could not read secret ${secretId}: ${(error as Error).message ?? String(error)}`, {
      cause: error,
    });
  }
  const stages = describe.VersionIdsToStages ?? {};
  const configured = !isUnusableSecret(current.value);
  const hasPrevious = !isUnusableSecret(previous.value);
  const graceMs = target.previousSecretGraceHours * HOUR_MS;
  const previousAcceptedUntilMs =
    hasPrevious && current.createdAtMs !== undefined ? current.createdAtMs + graceMs : undefined;
  const maxAgeDays =
    describe.RotationRules?.AutomaticallyAfterDays ??
    target.secretMaxAgeDays ??
    DEFAULT_CONFIG.secretMaxAgeDays;
  const rotationEnabled = describe.RotationEnabled === true;
  const nextRotationAtMs = describe.NextRotationDate?.getTime();
  const stagedVersion = versionWith(stages, STAGED_LABEL);
  const stagedNotCurrent = stagedVersion !== undefined && !stages[stagedVersion]?.includes('AWSCURRENT');
  const pendingVersion = versionWith(stages, 'AWSPENDING');
  const stagedAtMs =
    stagedNotCurrent && stagedVersion !== undefined
      ? await versionCreatedAt(client, secretId, stagedVersion).catch(() => undefined)
      : undefined;
  const stagedStale = stagedAtMs !== undefined && nowMs - stagedAtMs > STAGED_VALUE_MAX_AGE_MS;
  const currentProblem =
    configured && current.value !== undefined ? secretValueProblem(current.value) : undefined;
  const previousProblem =
    hasPrevious && previous.value !== undefined ? secretValueProblem(previous.value) : undefined;

  const dueReasons: string[] = [];
  if (!configured) {
    dueReasons.push('not configured: it still holds the placeholder; store FPT\'s secret with "secret set"');
  } else if (current.createdAtMs !== undefined && nowMs - current.createdAtMs > maxAgeDays * DAY_MS) {
    dueReasons.push(
      `older than ${maxAgeDays} days (set ${formatTime(current.createdAtMs)}): rotate the key in FPT`,
    );
  }
  if (configured && rotationEnabled && nextRotationAtMs !== undefined && nextRotationAtMs < nowMs) {
    dueReasons.push(
      `the scheduled rotation of ${formatTime(nextRotationAtMs)} has not completed (nothing was staged, or it failed)`,
    );
  }
  if (pendingVersion !== undefined && !stages[pendingVersion]?.includes('AWSCURRENT')) {
    dueReasons.push(`a rotation started and did not finish (version ${pendingVersion} is still AWSPENDING)`);
  }
  if (currentProblem !== undefined) {
    dueReasons.push(
      `the stored value is malformed (${currentProblem}): the verifier refuses it and answers 503 to every delivery; store it again with "secret set", which checks it`,
    );
  }
  if (previousProblem !== undefined) {
    dueReasons.push(
      `the previous value is malformed (${previousProblem}): the verifier ignores it; nothing to do unless deliveries still need it`,
    );
  }
  if (stagedStale && stagedAtMs !== undefined) {
    dueReasons.push(
      `a value staged ${formatTime(stagedAtMs)}, more than 24 h ago, will not be promoted by a rotation (FPT may have issued a newer key since): rotate the key in FPT and run "secret set" with the new value`,
    );
  } else if (stagedNotCurrent) {
    dueReasons.push('a new value is staged but not current: a "secret set" did not finish; run it again');
  }

  return {
    subscription,
    secretId,
    configured,
    ...(current.createdAtMs !== undefined ? { currentSetAtMs: current.createdAtMs } : {}),
    hasPrevious,
    ...(previousAcceptedUntilMs !== undefined ? { previousAcceptedUntilMs } : {}),
    previousAcceptedNow: previousAcceptedUntilMs !== undefined && nowMs <= previousAcceptedUntilMs,
    maxAgeDays,
    rotationEnabled,
    ...(nextRotationAtMs !== undefined ? { nextRotationAtMs } : {}),
    ...(describe.LastRotatedDate !== undefined
      ? { lastRotatedAtMs: describe.LastRotatedDate.getTime() }
      : {}),
    ...(currentProblem !== undefined ? { currentProblem } : {}),
    ...(previousProblem !== undefined ? { previousProblem } : {}),
    stagedNotCurrent,
    ...(stagedAtMs !== undefined ? { stagedAtMs } : {}),
    stagedStale,
    dueReasons,
  };
}

/** Progress of `storeSecret`, one call per line worth printing. */
export type Progress = (line: string) => void;

export interface StoreSecretInput {
  readonly client: SecretsManagerClient;
  readonly target: Target;
  readonly subscription: string;
  /** The validated new value (see `secretValueProblem`). */
  readonly value: string;
  readonly progress: Progress;
  /** How long to wait for a deployed stack's rotation function. */
  readonly timeoutMs: number;
  /** @default 1000 */
  readonly pollIntervalMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface StoreSecretResult {
  /** False when the value was already current: nothing was changed. */
  readonly changed: boolean;
  readonly versionId: string;
  readonly setAtMs: number;
  /** End of the previous secret's grace window; undefined when there is no usable previous secret. */
  readonly previousAcceptedUntilMs?: number;
}

const ROTATION_STEPS: readonly RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];

/**
 * Stores a new signing secret through the rotation path, so a manual rotation and a scheduled one take
 * the same steps (lambda/rotation/rotate.ts) and leave the same audit trail:
 *
 *  1. PutSecretValue with the custom label FPT_STAGED (AWSCURRENT does not move);
 *  2. a deployed stack: RotateSecret, so Secrets Manager runs the rotation function, which copies the
 *     staged value to AWSPENDING, tests it and moves AWSCURRENT (the old value becomes AWSPREVIOUS); the
 *     CLI waits, bounded, until the new version is AWSCURRENT and FPT_STAGED is gone;
 *     the local stack: moto cannot invoke a Lambda, so the CLI runs the same four steps in-process with
 *     `runRotationStep` and a fresh ClientRequestToken, as Secrets Manager would;
 *  3. reads AWSCURRENT back and checks it is the new version holding the new value.
 *
 * @throws CliError when the secret is missing, rotation is not set up, or it does not finish in time
 */
export async function storeSecret(input: StoreSecretInput): Promise<StoreSecretResult> {
  const { client, target, subscription, value, progress } = input;
  const now = input.now ?? Date.now;
  const sleep = input.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const secretId = target.secretId(subscription);
  const fail = (message: string, cause?: unknown): never => {
    throw new CliError(message, cause === undefined ? undefined : { cause });
  };

  let describe: DescribeSecretCommandOutput;
  try {
    describe = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
  } catch (error) {
    return fail(`could not read secret ${secretId}: ${(error as Error).message ?? String(error)}`, error);
  }
  if (target.kind === 'stack' && describe.RotationEnabled !== true) {
    fail(
      `secret ${secretId} has no rotation function attached: deploy the current version of the stack (it adds the rotation schedule), then run this again`,
    );
  }

  const before = await readStage(client, secretId, 'AWSCURRENT');
  if (before.value === value && before.versionId !== undefined) {
    return {
      changed: false,
      versionId: before.versionId,
      setAtMs: before.createdAtMs ?? now(),
    };
  }

  // A rotation that failed after createSecret leaves AWSPENDING on a version that is not current, and
  // Secrets Manager refuses to start another until it is gone.
  const stages = describe.VersionIdsToStages ?? {};
  const stuck = versionWith(stages, 'AWSPENDING');
  if (stuck !== undefined && !stages[stuck]?.includes('AWSCURRENT')) {
    progress(`clearing AWSPENDING from version ${stuck}, left by a rotation that did not finish`);
    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: stuck,
      }),
    );
  }

  const staged = await client.send(
    new PutSecretValueCommand({ SecretId: secretId, SecretString: value, VersionStages: [STAGED_LABEL] }),
  );
  progress(`staged the new value as ${STAGED_LABEL} (version ${staged.VersionId ?? '?'})`);

  const started = now();
  const elapsed = () => `${((now() - started) / 1000).toFixed(1)}s`;
  let token: string;
  if (target.kind === 'local') {
    // moto cannot run a rotation Lambda: run the rotation function's own steps here, as Secrets Manager
    // would invoke them, with a fresh token for the new version.
    token = randomUUID();
    progress('rotating in-process (the local emulator cannot invoke the rotation function)');
    for (const step of ROTATION_STEPS) {
      await runRotationStep(
        client,
        { Step: step, SecretId: secretId, ClientRequestToken: token },
        (entry: RotationAudit) =>
          progress(`  ${entry.step.padEnd(13)} ${entry.outcome.padEnd(8)} ${elapsed()}`),
      );
    }
    // AWSPENDING on the current version means "finished" to Secrets Manager, but the emulator keeps the
    // label through later label moves; drop it now that the rotation is done.
    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: token,
      }),
    );
  } else {
    progress('rotating through the rotation function (Secrets Manager RotateSecret)');
    let rotate: RotateSecretCommandOutput;
    try {
      rotate = await client.send(new RotateSecretCommand({ SecretId: secretId, RotateImmediately: true }));
    } catch (error) {
      return fail(
        `Secrets Manager did not start the rotation of ${secretId}: ${(error as Error).message ?? String(error)}. The new value stays staged; run this command again`,
        error,
      );
    }
    if (rotate.VersionId === undefined)
      return fail('Secrets Manager returned no version id for the rotation');
    token = rotate.VersionId;
    const deadline = started + input.timeoutMs;
    let last = '';
    for (;;) {
      const state =
        (await client.send(new DescribeSecretCommand({ SecretId: secretId }))).VersionIdsToStages ?? {};
      const labels = state[token] ?? [];
      const stagedLeft = versionWith(state, STAGED_LABEL) !== undefined;
      const line = labels.includes('AWSCURRENT')
        ? stagedLeft
          ? 'new version is AWSCURRENT; finishing'
          : 'new version is AWSCURRENT'
        : labels.includes('AWSPENDING')
          ? 'new version created (AWSPENDING); testing and finishing'
          : 'waiting for the rotation function to create the new version';
      if (line !== last) {
        progress(`  ${line.padEnd(58)} ${elapsed()}`);
        last = line;
      }
      if (labels.includes('AWSCURRENT') && !stagedLeft) break;
      if (now() >= deadline) {
        fail(
          `the rotation did not finish within ${Math.round(input.timeoutMs / 1000)} s (${last}). Check the rotation function's log for "rotation audit" and "rotation step failed" lines, then run "secret status"`,
        );
      }
      await sleep(input.pollIntervalMs ?? 1000);
    }
  }

  const after = await readStage(client, secretId, 'AWSCURRENT');
  if (after.versionId !== token || after.value !== value) {
    fail(
      `after the rotation, AWSCURRENT of ${secretId} is not the new value (version ${after.versionId ?? 'none'}, expected ${token}); run "secret status"`,
    );
  }
  const previous = await readStage(client, secretId, 'AWSPREVIOUS');
  const setAtMs = after.createdAtMs ?? now();
  return {
    changed: true,
    versionId: token,
    setAtMs,
    ...(isUnusableSecret(previous.value)
      ? {}
      : { previousAcceptedUntilMs: setAtMs + target.previousSecretGraceHours * HOUR_MS }),
  };
}
