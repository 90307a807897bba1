import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type QueueAttributeName,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { runRotationStep } from '../lambda/rotation/rotate';
import { ENV } from '../lambda/shared/env';
import { LEDGER } from '../lambda/shared/ledger-schema';
import { METRICS_NAMESPACE } from '../lambda/shared/observability';
import { SECRET_PLACEHOLDER } from '../lambda/shared/secret-placeholder';
import { subscriptionScopesEnvironment } from '../lambda/shared/subscription-scope';
import {
  CONSTRUCT_SETTING_KEYS,
  deriveResourceSpec,
  type ReceiverConfig,
  type ReceiverConfigInput,
  type ResourceSpec,
  resolveConfig,
} from '../lib/config';
import { loggingEnvironment } from '../lib/logging-environment';
import { localAwsEnvironment, localClientConfig } from './aws';
import { PROJECT_ROOT } from './emulator';

/** See lambdaEnvironment: the processing lease is the processor timeout plus this margin. */

/** The namespace `npm start` and `--local` use; tests pass their own so files can run in parallel. */
export const DEFAULT_NAMESPACE = 'local';

/** Names of the local resources; the same scheme as the cloud stack's, with the namespace as stack name. */
export interface LocalResourceNames {
  readonly tableName: string;
  readonly queueName: string;
  readonly deadLetterQueueName: string;
  /** `fpt-webhooks/<namespace>/<subscription>`, like `signingSecretName(stackName, subscription)` in lib/. */
  secretName(subscription: string): string;
}

export function localResourceNames(namespace: string = DEFAULT_NAMESPACE): LocalResourceNames {
  if (!/^[a-z0-9][a-z0-9-]{0,40}$/.test(namespace)) {
    throw new Error(
      `namespace must be 1-41 lowercase letters, digits or dashes, but "${namespace}" was provided`,
    );
  }
  return {
    tableName: `fpt-webhooks-${namespace}-ledger`,
    queueName: `fpt-webhooks-${namespace}-events`,
    deadLetterQueueName: `fpt-webhooks-${namespace}-events-dlq`,
    secretName: (subscription) => `fpt-webhooks/${namespace}/${subscription}`,
  };
}

/**
 * The receiver configuration exactly as the CDK app sees it: `cdk.json` context `fpt`, validated by
 * `resolveConfig`. `overrides` win over cdk.json (tests use them for a small maxReceiveCount).
 */
export function loadReceiverConfig(
  overrides: ReceiverConfigInput = {},
  projectRoot: string = configRoot(),
): ReceiverConfig {
  return resolveConfig({ ...readCdkConfigInput(projectRoot), ...overrides }, CONSTRUCT_SETTING_KEYS);
}

/**
 * The directory whose cdk.json configures the local stack: the current directory when it has one (a
 * partner's CDK app running `fpt-webhooks`, or this repository from its root), else this package's.
 */
export function configRoot(cwd: string = process.cwd()): string {
  return existsSync(path.join(cwd, 'cdk.json')) ? cwd : PROJECT_ROOT;
}

/** The raw `fpt` context value of cdk.json (before defaults and validation). */
export function readCdkConfigInput(projectRoot: string = configRoot()): ReceiverConfigInput {
  const cdkJson = JSON.parse(readFileSync(path.join(projectRoot, 'cdk.json'), 'utf8')) as {
    context?: { fpt?: ReceiverConfigInput };
  };
  return cdkJson.context?.fpt ?? {};
}

export interface ProvisionOptions {
  /** The emulator's URL. */
  readonly endpoint: string;
  readonly config: ReceiverConfig;
  /**
   * Prefix of every resource name, so several isolated stacks can share one emulator.
   * @default 'local'
   */
  readonly namespace?: string;
}

/** What was provisioned, and the environment the Lambda handlers need to use it. */
export interface LocalStack {
  readonly endpoint: string;
  readonly namespace: string;
  readonly config: ReceiverConfig;
  readonly spec: ResourceSpec;
  readonly tableName: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly deadLetterQueueUrl: string;
  readonly deadLetterQueueArn: string;
  /** subscription name -> secret name */
  readonly secrets: Readonly<Record<string, string>>;
  /**
   * Every variable the verifier and processor read, plus the AWS settings that point their SDK clients
   * at the emulator. Apply to process.env before importing the handlers.
   */
  readonly environment: Readonly<Record<string, string>>;
}

const errorName = (error: unknown): string | undefined => (error as { name?: string } | null)?.name;

/** The queue attributes the spec fixes; the same numbers the CDK `WebhookQueue` sets. */
export function queueAttributesFromSpec(
  spec: ResourceSpec,
  deadLetterQueueArn: string,
): Record<string, string> {
  return {
    VisibilityTimeout: String(spec.queue.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(spec.queue.retentionSeconds),
    MaximumMessageSize: String(spec.queue.maxMessageSizeBytes),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: deadLetterQueueArn,
      maxReceiveCount: spec.dlq.maxReceiveCount,
    }),
    SqsManagedSseEnabled: 'true',
  };
}

export function deadLetterQueueAttributesFromSpec(spec: ResourceSpec): Record<string, string> {
  return {
    MessageRetentionPeriod: String(spec.dlq.retentionSeconds),
    MaximumMessageSize: String(spec.queue.maxMessageSizeBytes),
    SqsManagedSseEnabled: 'true',
  };
}

/** Creates the queue, or brings an existing one's attributes back to the spec. Returns its URL and ARN. */
async function ensureQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<{ url: string; arn: string }> {
  let url: string | undefined;
  try {
    url = (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (error) {
    const name_ = errorName(error);
    if (name_ !== 'QueueDoesNotExist' && name_ !== 'AWS.SimpleQueueService.NonExistentQueue') throw error;
  }
  if (url === undefined) {
    url = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl;
  } else {
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
  }
  if (url === undefined) throw new Error(`the emulator returned no URL for queue ${name}`);
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn' as QueueAttributeName] }),
  );
  const arn = out.Attributes?.QueueArn;
  if (arn === undefined) throw new Error(`the emulator returned no ARN for queue ${name}`);
  return { url, arn };
}

async function ensureTable(ddb: DynamoDBClient, tableName: string, spec: ResourceSpec): Promise<void> {
  const key = spec.ledger.partitionKey;
  const index = LEDGER.listIndex;
  try {
    await ddb.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: key, AttributeType: 'S' },
          { AttributeName: index.partitionKey, AttributeType: 'S' },
          { AttributeName: index.sortKey, AttributeType: 'N' },
        ],
        KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
        // The same list index as lib/event-ledger-table.ts.
        GlobalSecondaryIndexes: [
          {
            IndexName: index.name,
            KeySchema: [
              { AttributeName: index.partitionKey, KeyType: 'HASH' },
              { AttributeName: index.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projected] },
          },
        ],
      }),
    );
  } catch (error) {
    if (errorName(error) !== 'ResourceInUseException') throw error;
    const table = (await ddb.send(new DescribeTableCommand({ TableName: tableName }))).Table;
    const keys = table?.KeySchema ?? [];
    if (keys.length !== 1 || keys[0]?.AttributeName !== key || keys[0]?.KeyType !== 'HASH') {
      throw new Error(
        `table ${tableName} already exists in the emulator with a different key (${JSON.stringify(keys)}); restart the emulator to start clean`,
      );
    }
    if (!(table?.GlobalSecondaryIndexes ?? []).some((gsi) => gsi.IndexName === index.name)) {
      throw new Error(
        `table ${tableName} already exists in the emulator without the ${index.name} index (it was created by an earlier version); restart the emulator to start clean`,
      );
    }
  }
  const ttl = (await ddb.send(new DescribeTimeToLiveCommand({ TableName: tableName }))).TimeToLiveDescription;
  if (ttl?.TimeToLiveStatus !== 'ENABLED' || ttl.AttributeName !== spec.ledger.ttlAttribute) {
    await ddb.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: spec.ledger.ttlAttribute, Enabled: true },
      }),
    );
  }
}

/**
 * Creates the secret holding the placeholder, as the CDK `SigningSecret` does, and then tests its rotation
 * configuration as the stack's RotationSchedule makes Secrets Manager do; leaves an existing one alone.
 */
async function ensureSecret(client: SecretsManagerClient, name: string, subscription: string): Promise<void> {
  try {
    await client.send(new DescribeSecretCommand({ SecretId: name }));
  } catch (error) {
    if (errorName(error) !== 'ResourceNotFoundException') throw error;
    await client.send(
      new CreateSecretCommand({
        Name: name,
        Description: `HMAC signing secret of the FPT webhook subscription "${subscription}" (local emulator)`,
        SecretString: SECRET_PLACEHOLDER,
      }),
    );
    await testRotationConfiguration(client, name);
  }
}

/**
 * What Secrets Manager does when a RotationSchedule with RotateImmediately=false is created or changed:
 * add a temporary AWSPENDING version (local/moto_server.py makes the emulator do that much), run the
 * rotation function's testSecret step on it, and remove it. The emulator cannot invoke the function, so
 * its step runs here. On AWS a failure raises the rotation-failed alarm, so here it stops the start.
 */
export async function testRotationConfiguration(
  client: SecretsManagerClient,
  secretId: string,
): Promise<void> {
  const { VersionId: token } = await client.send(
    new RotateSecretCommand({ SecretId: secretId, RotateImmediately: false }),
  );
  if (token === undefined) throw new Error(`RotateSecret returned no version for ${secretId}`);
  try {
    await runRotationStep(client, { Step: 'testSecret', SecretId: secretId, ClientRequestToken: token });
  } catch (error) {
    throw new Error(
      `the rotation configuration test of ${secretId} failed (on AWS this raises the rotation-failed alarm): ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: token,
      }),
    );
  }
}

/**
 * The variables the verifier and processor read (lambda/shared/env.ts), from the config and resources:
 * the union of what the CDK `VerifierFunction` and `ProcessorFunction` set (a test compares them).
 */
export function lambdaEnvironment(input: {
  config: ReceiverConfig;
  tableName: string;
  queueUrl: string;
  secrets: Readonly<Record<string, string>>;
}): Record<string, string> {
  const { config } = input;
  return {
    [ENV.ledgerTableName]: input.tableName,
    [ENV.queueUrl]: input.queueUrl,
    [ENV.subscriptions]: JSON.stringify(input.secrets),
    ...subscriptionScopesEnvironment(
      new Map(config.subscriptions.map((subscription) => [subscription.name, subscription])),
    ),
    [ENV.signatureToleranceSeconds]: String(config.signatureToleranceSeconds),
    [ENV.ledgerRetentionDays]: String(config.ledgerRetentionDays),
    [ENV.maxBodyBytes]: String(config.maxBodyBytes),
    [ENV.maxReceiveCount]: String(config.maxReceiveCount),
    [ENV.previousSecretGraceHours]: String(config.previousSecretGraceHours),
    [ENV.processingLeaseSeconds]: String(deriveResourceSpec(config).processingLeaseSeconds),
    ...(config.dashboard ? { [ENV.dashboardMetrics]: 'on' } : {}),
    ...(config.keepEventBodies ? {} : { [ENV.keepEventBodies]: 'off' }),
    // As the functions' constructs set them. POWERTOOLS_SERVICE_NAME differs per function, and both run in
    // one process here; the code passes the service name to Logger and Metrics itself, so it is left out.
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    ...loggingEnvironment(),
  };
}

/**
 * Creates the local stack in the emulator from the same config and `deriveResourceSpec` as the CDK
 * stack. Idempotent: run it on every start; existing resources are checked or brought back to the spec,
 * and existing secret values are kept.
 */
export async function provisionLocalStack(options: ProvisionOptions): Promise<LocalStack> {
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const names = localResourceNames(namespace);
  const spec = deriveResourceSpec(options.config);
  const clientConfig = localClientConfig(options.endpoint);
  const sqs = new SQSClient(clientConfig);
  const ddb = new DynamoDBClient(clientConfig);
  const secretsClient = new SecretsManagerClient(clientConfig);
  try {
    const [dlq] = await Promise.all([
      ensureQueue(sqs, names.deadLetterQueueName, deadLetterQueueAttributesFromSpec(spec)),
      ensureTable(ddb, names.tableName, spec),
    ]);
    const queue = await ensureQueue(sqs, names.queueName, queueAttributesFromSpec(spec, dlq.arn));

    const secrets: Record<string, string> = {};
    for (const subscription of options.config.subscriptions) {
      const secretName = names.secretName(subscription.name);
      await ensureSecret(secretsClient, secretName, subscription.name);
      secrets[subscription.name] = secretName;
    }

    return {
      endpoint: options.endpoint,
      namespace,
      config: options.config,
      spec,
      tableName: names.tableName,
      queueUrl: queue.url,
      queueArn: queue.arn,
      deadLetterQueueUrl: dlq.url,
      deadLetterQueueArn: dlq.arn,
      secrets,
      environment: {
        ...localAwsEnvironment(options.endpoint),
        ...lambdaEnvironment({
          config: options.config,
          tableName: names.tableName,
          queueUrl: queue.url,
          secrets,
        }),
      },
    };
  } finally {
    sqs.destroy();
    ddb.destroy();
    secretsClient.destroy();
  }
}

/** Stores a signing secret value as the new AWSCURRENT version (the old one becomes AWSPREVIOUS). */
export async function putSigningSecret(endpoint: string, secretId: string, value: string): Promise<void> {
  const client = new SecretsManagerClient(localClientConfig(endpoint));
  try {
    const current = await client
      .send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }))
      .catch(() => undefined);
    if (current?.SecretString === value) return;
    await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: value }));
  } finally {
    client.destroy();
  }
}
