import { randomBytes } from 'node:crypto';
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetQueueAttributesCommand, type QueueAttributeName, SQSClient } from '@aws-sdk/client-sqs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { deriveResourceSpec, type ReceiverConfigInput } from '../../lib/config';
import { FptWebhookReceiverStack } from '../../lib/fpt-webhook-receiver-stack';
import { signingSecretName } from '../../lib/signing-secret';
import { localClientConfig } from '../../local/aws';
import {
  loadReceiverConfig,
  localResourceNames,
  provisionLocalStack,
  putSigningSecret,
  readCdkConfigInput,
} from '../../local/provision';
import { emulatorUrlFromEnv } from './support/emulator-env';

jest.setTimeout(60_000);

type Resource = { Properties: Record<string, unknown> };

/** The CloudFormation template the CDK app would deploy for this configuration (bundling skipped). */
function synthesize(fpt: ReceiverConfigInput): Template {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], fpt } });
  return Template.fromStack(new FptWebhookReceiverStack(app, 'Parity'));
}

function single(resources: Record<string, Resource>, what: string): Resource {
  const values = Object.values(resources);
  if (values.length !== 1) throw new Error(`expected one ${what}, found ${values.length}`);
  return values[0] as Resource;
}

/** Plain string values only: tokens (Ref, Fn::Join...) differ between the two worlds by design. */
function literalEnvironment(fn: Resource): Record<string, string> {
  const environment = fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined;
  const variables = environment?.Variables ?? {};
  return Object.fromEntries(
    Object.entries(variables).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

const CONFIGS: ReadonlyArray<[string, ReceiverConfigInput]> = [
  ['the cdk.json configuration', {}],
  [
    'a non-default configuration',
    {
      subscriptions: ['default', 'crm-sync'],
      maxReceiveCount: 3,
      processorTimeoutSeconds: 12,
      processorBatchSize: 4,
      processorBatchingWindowSeconds: 2,
      signatureToleranceSeconds: 120,
      ledgerRetentionDays: 45,
      keepEventBodies: false,
    },
  ],
];

describe('local stack and CDK stack are built from the same spec', () => {
  const endpoint = emulatorUrlFromEnv();
  const clientConfig = localClientConfig(endpoint);
  const sqs = new SQSClient(clientConfig);
  const ddb = new DynamoDBClient(clientConfig);
  const secrets = new SecretsManagerClient(clientConfig);

  afterAll(() => {
    sqs.destroy();
    ddb.destroy();
    secrets.destroy();
  });

  it.each(CONFIGS)(
    'provisions queues, table and secrets matching the template for %s',
    async (_, overrides) => {
      // Prepare: one config, as the CDK app and npm start each resolve it.
      const config = loadReceiverConfig(overrides);
      const spec = deriveResourceSpec(config);
      const fpt = { ...readCdkConfigInput(), ...overrides };
      const namespace = `it-parity-${randomBytes(3).toString('hex')}`;

      // Act
      const local = await provisionLocalStack({ endpoint, config, namespace });
      const template = synthesize(fpt);

      // Assess: read back what the emulator really holds.
      const all = ['All'] as QueueAttributeName[];
      const queue = (
        await sqs.send(new GetQueueAttributesCommand({ QueueUrl: local.queueUrl, AttributeNames: all }))
      ).Attributes as Record<string, string>;
      const dlq = (
        await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: local.deadLetterQueueUrl, AttributeNames: all }),
        )
      ).Attributes as Record<string, string>;
      const table = (await ddb.send(new DescribeTableCommand({ TableName: local.tableName }))).Table;
      const ttl = (await ddb.send(new DescribeTimeToLiveCommand({ TableName: local.tableName })))
        .TimeToLiveDescription;

      const queues = template.findResources('AWS::SQS::Queue') as Record<string, Resource>;
      const cloudQueue = single(
        Object.fromEntries(
          Object.entries(queues).filter(([, r]) => r.Properties.RedrivePolicy !== undefined),
        ),
        'queue with a redrive policy',
      ).Properties;
      const cloudDlq = single(
        Object.fromEntries(
          Object.entries(queues).filter(([, r]) => r.Properties.RedrivePolicy === undefined),
        ),
        'dead-letter queue',
      ).Properties;
      const cloudTable = single(
        template.findResources('AWS::DynamoDB::Table') as Record<string, Resource>,
        'table',
      ).Properties;
      const redrive = JSON.parse(queue.RedrivePolicy as string) as {
        maxReceiveCount: number;
        deadLetterTargetArn: string;
      };

      // Work queue
      expect(Number(queue.VisibilityTimeout)).toBe(cloudQueue.VisibilityTimeout);
      expect(Number(queue.VisibilityTimeout)).toBe(spec.queue.visibilityTimeoutSeconds);
      expect(Number(queue.MessageRetentionPeriod)).toBe(cloudQueue.MessageRetentionPeriod);
      expect(Number(queue.MaximumMessageSize)).toBe(cloudQueue.MaximumMessageSize);
      expect(redrive.maxReceiveCount).toBe(
        (cloudQueue.RedrivePolicy as { maxReceiveCount: number }).maxReceiveCount,
      );
      expect(redrive.maxReceiveCount).toBe(config.maxReceiveCount);
      expect(redrive.deadLetterTargetArn).toBe(dlq.QueueArn);
      expect(queue.SqsManagedSseEnabled).toBe(String(cloudQueue.SqsManagedSseEnabled));
      // Dead-letter queue
      expect(Number(dlq.MessageRetentionPeriod)).toBe(cloudDlq.MessageRetentionPeriod);
      expect(Number(dlq.MaximumMessageSize)).toBe(cloudDlq.MaximumMessageSize);
      expect(dlq.SqsManagedSseEnabled).toBe(String(cloudDlq.SqsManagedSseEnabled));
      // Ledger table
      expect(table?.KeySchema).toEqual(cloudTable.KeySchema);
      expect(table?.AttributeDefinitions).toEqual(cloudTable.AttributeDefinitions);
      expect(table?.BillingModeSummary?.BillingMode).toBe(cloudTable.BillingMode);
      expect(ttl).toEqual({
        TimeToLiveStatus: 'ENABLED',
        AttributeName: (cloudTable.TimeToLiveSpecification as { AttributeName: string }).AttributeName,
      });
      expect((cloudTable.TimeToLiveSpecification as { Enabled: boolean }).Enabled).toBe(true);

      // Secrets: one per subscription, named like the stack's with the namespace as stack name.
      expect(Object.keys(local.secrets).sort()).toEqual(config.subscriptions.map((s) => s.name).sort());
      for (const [subscription, secretName] of Object.entries(local.secrets)) {
        expect(secretName).toBe(signingSecretName(namespace, subscription));
        await expect(
          secrets.send(new DescribeSecretCommand({ SecretId: secretName })),
        ).resolves.toBeDefined();
      }
      template.resourceCountIs('AWS::SecretsManager::Secret', config.subscriptions.length);

      // Functions: every variable the constructs set is set locally, with the same literal values.
      const functions = Object.values(
        template.findResources('AWS::Lambda::Function') as Record<string, Resource>,
      );
      const byService = (suffix: string) =>
        single(
          Object.fromEntries(
            functions
              .filter((f) => String(literalEnvironment(f).POWERTOOLS_SERVICE_NAME ?? '').endsWith(suffix))
              .map((f, i) => [String(i), f]),
          ),
          `${suffix} function`,
        );
      const verifier = byService('-verifier');
      const processor = byService('-processor');
      const perFunction = new Set(['POWERTOOLS_SERVICE_NAME', 'NODE_OPTIONS']);
      for (const fn of [verifier, processor]) {
        const variables = Object.keys(
          (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables,
        ).filter((name) => !perFunction.has(name));
        expect(Object.keys(local.environment)).toEqual(expect.arrayContaining(variables));
        for (const [name, value] of Object.entries(literalEnvironment(fn))) {
          if (!perFunction.has(name)) expect({ [name]: local.environment[name] }).toEqual({ [name]: value });
        }
      }
      // The local API and poller take timeouts and batching from the spec; so does the stack.
      expect(verifier.Properties.Timeout).toBe(spec.verifierTimeoutSeconds);
      expect(processor.Properties.Timeout).toBe(spec.processorTimeoutSeconds);
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        BatchSize: spec.eventSource.batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ...(spec.eventSource.maxBatchingWindowSeconds > 0
          ? { MaximumBatchingWindowInSeconds: spec.eventSource.maxBatchingWindowSeconds }
          : {}),
      });
    },
  );

  it('provisions idempotently: a second run keeps the resources and the secret values', async () => {
    const config = loadReceiverConfig();
    const namespace = `it-parity-${randomBytes(3).toString('hex')}`;

    const first = await provisionLocalStack({ endpoint, config, namespace });
    const secretId = first.secrets.default as string;
    await putSigningSecret(endpoint, secretId, 'a-local-secret-of-more-than-32-characters');
    const second = await provisionLocalStack({ endpoint, config, namespace });

    expect(second).toEqual(first);
    expect(localResourceNames(namespace).tableName).toBe(first.tableName);
    const stored = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
    expect(stored.SecretString).toBe('a-local-secret-of-more-than-32-characters');
  });
});
