import { randomUUID } from 'node:crypto';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeSecretCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { runRotationStep } from '../../../../lambda/rotation/rotate';
import { FakeSecretsManager as SharedFakeSecretsManager } from '../../../support/fake-secrets-manager';

export const STACK = 'FptTest';
export const SECRET_NAME = `fpt-webhooks/${STACK}/default`;

const notFound = (what: string) =>
  Object.assign(new Error(`Secrets Manager can't find ${what}`), { name: 'ResourceNotFoundException' });

/**
 * The stack's signing secret: test/support's Secrets Manager (AWS's label semantics) plus what the CLI
 * reads besides: rotation settings and deletion on DescribeSecret, ListSecrets, ListSecretVersionIds,
 * and RotateSecret, which runs the real rotation steps (lambda/rotation/rotate.ts) as Secrets Manager
 * invokes the rotation function.
 */
export class FakeSecretsManager extends SharedFakeSecretsManager {
  rotationEnabled = true;
  rotationDays = 90;
  nextRotationMs: number | undefined;
  /** 'sync': the rotation has finished when RotateSecret returns; 'never': the function never runs. */
  rotation: 'sync' | 'never' = 'sync';
  /** Set when the secret is scheduled for deletion (DescribeSecret's DeletedDate). */
  deletedDate: Date | undefined;
  /** Other secrets of the account, as ListSecrets lists them (with IncludePlannedDeletion). */
  otherSecrets: Array<{ Name: string; DeletedDate?: Date }> = [];

  constructor(initial: string, createdAtMs: number) {
    super(SECRET_NAME);
    this.now = () => createdAtMs;
    this.put('v-initial', initial, ['AWSCURRENT']);
    this.now = Date.now;
    this.answerTheCli();
  }

  private answerTheCli(): void {
    const sm = this.mock;
    sm.on(DescribeSecretCommand).callsFake(async (input: { SecretId: string }) => {
      if (input.SecretId !== SECRET_NAME) throw notFound(input.SecretId);
      return {
        Name: SECRET_NAME,
        ...(this.deletedDate !== undefined ? { DeletedDate: this.deletedDate } : {}),
        RotationEnabled: this.rotationEnabled,
        ...(this.rotationEnabled ? { RotationRules: { AutomaticallyAfterDays: this.rotationDays } } : {}),
        ...(this.nextRotationMs !== undefined ? { NextRotationDate: new Date(this.nextRotationMs) } : {}),
        VersionIdsToStages: this.stages(),
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
