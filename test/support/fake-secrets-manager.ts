import { randomUUID } from 'node:crypto';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';

interface FakeVersion {
  value?: string;
  stages: string[];
  /** When the version was created (by `put`), as GetSecretValue's CreatedDate reports it. */
  createdAtMs: number;
}

const notFound = (message: string) =>
  Object.assign(new Error(message), { name: 'ResourceNotFoundException' });

/**
 * One secret's versions and staging labels, answering the four calls the rotation function makes the way
 * Secrets Manager does: a version without a value answers ResourceNotFound, a label sits on one version
 * at a time, and GetSecretValue with both VersionId and VersionStage needs the label on that version.
 */
export class FakeSecretsManager {
  readonly versions = new Map<string, FakeVersion>();
  /** The aws-sdk-client-mock stub: tests read its calls, subclasses answer more commands on it. */
  readonly mock = mockClient(SecretsManagerClient);

  /** The clock versions are dated by; tests move it to age a version. */
  now: () => number = Date.now;

  constructor(readonly secretId: string) {
    this.mock
      .on(DescribeSecretCommand)
      .callsFake(() => ({ Name: secretId, VersionIdsToStages: this.stages() }));
    this.mock.on(GetSecretValueCommand).callsFake((input: { VersionId?: string; VersionStage?: string }) => {
      const id = input.VersionId ?? this.versionWith(input.VersionStage ?? 'AWSCURRENT');
      const version = id === undefined ? undefined : this.versions.get(id);
      if (version === undefined || (input.VersionStage && !version.stages.includes(input.VersionStage))) {
        throw notFound("Secrets Manager can't find the specified secret version");
      }
      if (version.value === undefined)
        throw notFound("Secrets Manager can't find the specified secret value");
      return {
        VersionId: id,
        SecretString: version.value,
        VersionStages: [...version.stages],
        CreatedDate: new Date(version.createdAtMs),
      };
    });
    this.mock
      .on(PutSecretValueCommand)
      .callsFake(
        (input: { ClientRequestToken?: string; SecretString?: string; VersionStages?: string[] }) => {
          const id = input.ClientRequestToken ?? randomUUID();
          this.put(id, input.SecretString, input.VersionStages ?? ['AWSCURRENT']);
          return { VersionId: id };
        },
      );
    this.mock
      .on(UpdateSecretVersionStageCommand)
      .callsFake(
        (input: { VersionStage: string; MoveToVersionId?: string; RemoveFromVersionId?: string }) => {
          if (input.RemoveFromVersionId !== undefined)
            this.unlabel(input.RemoveFromVersionId, input.VersionStage);
          if (input.MoveToVersionId !== undefined) this.label(input.MoveToVersionId, input.VersionStage);
          // Secrets Manager gives the version that loses AWSCURRENT the label AWSPREVIOUS.
          if (input.VersionStage === 'AWSCURRENT' && input.RemoveFromVersionId !== undefined) {
            this.label(input.RemoveFromVersionId, 'AWSPREVIOUS');
          }
          return {};
        },
      );
  }

  /** Adds a version (no value models the empty version Secrets Manager creates for a rotation). */
  put(versionId: string, value: string | undefined, stages: readonly string[]): void {
    const existing = this.versions.get(versionId);
    if (existing !== undefined && value !== undefined && existing.value !== undefined) {
      if (existing.value !== value) throw new Error(`version ${versionId} already holds another value`);
    }
    this.versions.set(versionId, {
      value: value ?? existing?.value,
      stages: [...(existing?.stages ?? [])],
      // A version's date is fixed when it is created; adding a value or a label later does not move it.
      createdAtMs: existing?.createdAtMs ?? this.now(),
    });
    for (const stage of stages) this.label(versionId, stage);
  }

  stages(): Record<string, string[]> {
    return Object.fromEntries(
      [...this.versions].filter(([, v]) => v.stages.length > 0).map(([id, v]) => [id, [...v.stages]]),
    );
  }

  versionWith(stage: string): string | undefined {
    return [...this.versions].find(([, v]) => v.stages.includes(stage))?.[0];
  }

  /** The value of the version that holds `stage`, if any. */
  valueWith(stage: string): string | undefined {
    const id = this.versionWith(stage);
    return id === undefined ? undefined : this.versions.get(id)?.value;
  }

  restore(): void {
    this.mock.restore();
  }

  protected label(versionId: string, stage: string): void {
    const target = this.versions.get(versionId);
    if (target === undefined) throw notFound(`no version ${versionId}`);
    for (const version of this.versions.values()) version.stages = version.stages.filter((s) => s !== stage);
    target.stages.push(stage);
  }

  private unlabel(versionId: string, stage: string): void {
    const version = this.versions.get(versionId);
    if (version === undefined || !version.stages.includes(stage)) {
      throw Object.assign(new Error(`${stage} is not on version ${versionId}`), {
        name: 'InvalidParameterException',
      });
    }
    version.stages = version.stages.filter((s) => s !== stage);
  }
}
