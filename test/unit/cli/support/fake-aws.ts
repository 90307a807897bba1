import { randomUUID } from 'node:crypto';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { runRotationStep } from '../../../../lambda/rotation/rotate';

export const STACK = 'FptTest';
export const SECRET_NAME = `fpt-webhooks/${STACK}/default`;

interface Version {
  value: string;
  stages: string[];
  createdAtMs: number;
}

const notFound = (what: string) =>
  Object.assign(new Error(`Secrets Manager can't find ${what}`), { name: 'ResourceNotFoundException' });

/**
 * An in-memory Secrets Manager with AWS's label semantics (a label is on one version at most; moving
 * AWSCURRENT moves AWSPREVIOUS to the version it left), behind aws-sdk-client-mock. RotateSecret runs
 * the real rotation steps (lambda/rotation/rotate.ts), as Secrets Manager invokes the rotation function.
 */
export class FakeSecretsManager {
  readonly mock = mockClient(SecretsManagerClient);
  readonly versions = new Map<string, Version>();
  rotationEnabled = true;
  rotationDays = 90;
  nextRotationMs: number | undefined;
  /** 'sync': the rotation has finished when RotateSecret returns; 'never': the function never runs. */
  rotation: 'sync' | 'never' = 'sync';
  now = () => Date.now();
  /** Set when the secret is scheduled for deletion (DescribeSecret's DeletedDate). */
  deletedDate: Date | undefined;
  /** Other secrets of the account, as ListSecrets lists them (with IncludePlannedDeletion). */
  otherSecrets: Array<{ Name: string; DeletedDate?: Date }> = [];

  constructor(initial: string, createdAtMs: number) {
    this.versions.set('v-initial', { value: initial, stages: ['AWSCURRENT'], createdAtMs });
    this.install();
  }

  versionWith(stage: string): [string, Version] | undefined {
    return [...this.versions].find(([, v]) => v.stages.includes(stage));
  }

  private moveLabel(stage: string, to: string | undefined): void {
    for (const v of this.versions.values()) v.stages = v.stages.filter((s) => s !== stage);
    if (to !== undefined) this.versions.get(to)?.stages.push(stage);
  }

  private install(): void {
    const sm = this.mock;
    sm.on(DescribeSecretCommand).callsFake(async (input: { SecretId: string }) => {
      if (input.SecretId !== SECRET_NAME) throw notFound(input.SecretId);
      return {
        Name: SECRET_NAME,
        ...(this.deletedDate !== undefined ? { DeletedDate: this.deletedDate } : {}),
        RotationEnabled: this.rotationEnabled,
        ...(this.rotationEnabled ? { RotationRules: { AutomaticallyAfterDays: this.rotationDays } } : {}),
        ...(this.nextRotationMs !== undefined ? { NextRotationDate: new Date(this.nextRotationMs) } : {}),
        VersionIdsToStages: Object.fromEntries([...this.versions].map(([id, v]) => [id, [...v.stages]])),
      };
    });
    sm.on(ListSecretsCommand).callsFake(
      async (input: {
        Filters?: Array<{ Key: string; Values: string[] }>;
        IncludePlannedDeletion?: boolean;
      }) => {
        const prefixes = input.Filters?.find((f) => f.Key === 'name')?.Values ?? [''];
        const all = [
          { Name: SECRET_NAME, ...(this.deletedDate !== undefined ? { DeletedDate: this.deletedDate } : {}) },
          ...this.otherSecrets,
        ];
        return {
          SecretList: all.filter(
            (secret) =>
              (input.IncludePlannedDeletion === true || secret.DeletedDate === undefined) &&
              prefixes.some((prefix) => secret.Name.toLowerCase().startsWith(prefix.toLowerCase())),
          ),
        };
      },
    );
    // CreatedDate is each version's creation date, as AWS reports it (moto's own says "now"; the
    // emulator in local/moto_server.py corrects it).
    sm.on(ListSecretVersionIdsCommand).callsFake(async (input: { SecretId: string }) => {
      if (input.SecretId !== SECRET_NAME) throw notFound(input.SecretId);
      return {
        Name: SECRET_NAME,
        Versions: [...this.versions]
          .filter(([, v]) => v.stages.length > 0)
          .map(([id, v]) => ({
            VersionId: id,
            VersionStages: [...v.stages],
            CreatedDate: new Date(v.createdAtMs),
          })),
      };
    });
    sm.on(GetSecretValueCommand).callsFake(
      async (input: { SecretId: string; VersionId?: string; VersionStage?: string }) => {
        const stage = input.VersionStage ?? (input.VersionId === undefined ? 'AWSCURRENT' : undefined);
        const entry =
          input.VersionId !== undefined
            ? ([input.VersionId, this.versions.get(input.VersionId)] as const)
            : this.versionWith(stage ?? '');
        const [id, version] = entry ?? [];
        if (id === undefined || version === undefined) throw notFound('the version');
        if (stage !== undefined && !version.stages.includes(stage)) throw notFound(`stage ${stage}`);
        return {
          Name: SECRET_NAME,
          VersionId: id,
          SecretString: version.value,
          VersionStages: [...version.stages],
          CreatedDate: new Date(version.createdAtMs),
        };
      },
    );
    sm.on(PutSecretValueCommand).callsFake(
      async (input: { SecretString: string; ClientRequestToken?: string; VersionStages?: string[] }) => {
        const id = input.ClientRequestToken ?? randomUUID();
        const stages = input.VersionStages ?? ['AWSCURRENT'];
        for (const stage of stages) this.moveLabel(stage, undefined);
        this.versions.set(id, { value: input.SecretString, stages: [...stages], createdAtMs: this.now() });
        return { Name: SECRET_NAME, VersionId: id, VersionStages: stages };
      },
    );
    sm.on(UpdateSecretVersionStageCommand).callsFake(
      async (input: { VersionStage: string; MoveToVersionId?: string; RemoveFromVersionId?: string }) => {
        const from = input.RemoveFromVersionId;
        if (from !== undefined) {
          const version = this.versions.get(from);
          version?.stages.splice(version.stages.indexOf(input.VersionStage), 1);
        }
        if (input.MoveToVersionId !== undefined) this.moveLabel(input.VersionStage, input.MoveToVersionId);
        if (input.VersionStage === 'AWSCURRENT' && from !== undefined) this.moveLabel('AWSPREVIOUS', from);
        return { Name: SECRET_NAME };
      },
    );
    sm.on(RotateSecretCommand).callsFake(async (input: { SecretId: string }) => {
      if (!this.rotationEnabled) {
        throw Object.assign(new Error('no rotation function'), { name: 'InvalidRequestException' });
      }
      const token = randomUUID();
      if (this.rotation === 'sync') {
        const client = new SecretsManagerClient({ region: 'us-east-1' });
        for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
          await runRotationStep(client, { Step, SecretId: input.SecretId, ClientRequestToken: token });
        }
      }
      return { Name: SECRET_NAME, VersionId: token };
    });
  }
}

/** A deployed stack's outputs, as `--stack FptTest` resolves them. */
export function fakeStack(outputs: Record<string, string> = {}) {
  const cfn = mockClient(CloudFormationClient);
  cfn.on(DescribeStacksCommand, { StackName: STACK }).resolves({
    Stacks: [
      {
        StackName: STACK,
        CreationTime: new Date(0),
        StackStatus: 'CREATE_COMPLETE',
        Outputs: Object.entries({
          WebhookUrlDefault: 'https://abc.execute-api.us-east-1.amazonaws.com/webhooks/default',
          SigningSecretNameDefault: SECRET_NAME,
          SubscriptionScopeDefault: '{"scope":"location","organizationId":5678,"locationIds":[1234]}',
          LedgerTableName: 'ledger',
          QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/q',
          DeadLetterQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/dlq',
          PreviousSecretGraceHours: '24',
          ...outputs,
        }).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
  return cfn;
}
