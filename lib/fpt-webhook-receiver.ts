import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../lambda/shared/env';
import { AlarmTopic } from './alarm-topic';
import { validateAwsLimits } from './aws-limits';
import {
  CONSTRUCT_SETTING_KEYS,
  deriveResourceSpec,
  type ReceiverConfig,
  type ReceiverConfigInput,
  type ResourceSpec,
  resolveConfig,
} from './config';
import { EventLedgerTable } from './event-ledger-table';
import { loggingEnvironment } from './logging-environment';
import { DEFAULT_RECEIVER_ID, outputKeyPrefix, pathInStack, physicalNamePrefix } from './physical-names';
import { type HandlersOptions, ProcessorFunction } from './processor-function';
import { SecretRotation } from './secret-rotation';
import { SigningSecret, signingSecretName } from './signing-secret';
import { VerifierFunction } from './verifier-function';
import { WebhookAlarms } from './webhook-alarms';
import { WebhookApi } from './webhook-api';
import { CDK_DEPLOY_TIME_VALUES } from './webhook-function';
import { WebhookMetrics } from './webhook-metrics';
import { WebhookQueue } from './webhook-queue';

// Checks at compile time that each name is one of the props below.
const CONSTRUCT_ONLY_KEYS: ReadonlyArray<Exclude<keyof FptWebhookReceiverProps, keyof ReceiverConfigInput>> =
  CONSTRUCT_SETTING_KEYS;

/** Properties of an {@link FptWebhookReceiver}: the receiver configuration plus function sizing. */
export interface FptWebhookReceiverProps extends ReceiverConfigInput {
  /**
   * Your event handlers: `{ entry: 'src/fpt-handlers.ts' }` names a module exporting `handlers` and
   * `defaultHandler` (types from `fpt-webhook-receiver/runtime`), bundled into the processor with the
   * local esbuild. See docs/handlers.md.
   * @default - the example handlers of lambda/handlers, which log and acknowledge every event
   */
  readonly handlers?: HandlersOptions;
  /**
   * Memory of the verifier function, in MB.
   * @default 256
   */
  readonly verifierMemorySize?: number;
  /**
   * Memory of the processor function, in MB.
   * @default 256
   */
  readonly processorMemorySize?: number;
  /**
   * Powertools log level of both functions (`DEBUG`, `INFO`, `WARN`, `ERROR`).
   * @default 'INFO'
   */
  readonly logLevel?: string;
  /**
   * Share of function containers, from 0 to 1, that log at DEBUG whatever `logLevel` says
   * (`POWERTOOLS_LOGGER_SAMPLE_RATE`). Powertools decides once per container at cold start.
   * @default 0
   */
  readonly logSampleRate?: number;
  /**
   * Tables your handlers write through `ctx.effects` (committed exactly once, with the event's PROCESSED
   * record, in one TransactWriteItems). The processor gets `dynamodb:PutItem`, `UpdateItem`, `DeleteItem`
   * and `ConditionCheckItem` on each, and nothing else. See docs/handlers.md.
   * @default - none: the processor can write only the event ledger
   */
  readonly effectTables?: readonly dynamodb.ITable[];
}

/**
 * The whole FPT webhook receiver: `POST /webhooks/{subscription}` on an HTTP API, a verifier that checks
 * the HMAC signature and deduplicates through the event ledger, a work queue with a dead-letter queue,
 * and a processor that consumes it. One signing secret per subscription.
 *
 * @example
 * const receiver = new FptWebhookReceiver(this, 'Receiver', { subscriptions: ['default', 'crm'] });
 * new CfnOutput(this, 'Url', { value: receiver.webhookUrl('crm') });
 *
 * Several receivers may share a stack, and several stacks an account: every fixed name (secrets, alarms)
 * starts with {@link receiverName}, derived from the stack name and the construct's path. Each receiver
 * also emits the CloudFormation outputs the `fpt-webhooks` CLI finds it by, keys prefixed with
 * {@link outputPrefix} (see docs/cli.md). The receiver with id `Receiver` directly in its stack, as in
 * {@link FptWebhookReceiverStack}, keeps the unprefixed names of earlier releases.
 *
 * @throws ConfigValidationError when the configuration is invalid, listing every problem
 */
export class FptWebhookReceiver extends Construct {
  /** Marks the output whose value is the receiver's path in its stack; the CLI lists receivers by it. */
  public static readonly RECEIVER_ID_OUTPUT = 'ReceiverId';

  /**
   * Start of every fixed name the receiver gives its resources: the stack name for the receiver with id
   * `Receiver` directly in its stack, else `<stackName>-<path in stack>`.
   */
  public readonly receiverName: string;
  /** The receiver's path in its stack (`Receiver`, `Webhooks/Crm`), as `--receiver` of the CLI takes it. */
  public readonly receiverId: string;
  /** Prefix of the receiver's CloudFormation output keys: empty for `Receiver` directly in its stack. */
  public readonly outputPrefix: string;
  /** The validated configuration, defaults applied. */
  public readonly config: ReceiverConfig;
  /** Resource settings derived from {@link config}. */
  public readonly spec: ResourceSpec;
  /** The HTTP API FPT posts to. */
  public readonly api: apigwv2.HttpApi;
  /** The API's `$default` stage (throttled, access-logged), for metrics and custom domains. */
  public readonly stage: apigwv2.HttpStage;
  /** The event ledger (deduplication and progress). */
  public readonly table: EventLedgerTable;
  /** The work queue between verifier and processor. */
  public readonly queue: sqs.Queue;
  /** Where the work queue sends messages that keep failing. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The signing secret of each subscription, by subscription name. */
  public readonly secrets: ReadonlyMap<string, secretsmanager.ISecret>;
  /** The rotation function and the rotation schedule of every signing secret. */
  public readonly rotation: SecretRotation;
  /** The function behind the API route. */
  public readonly verifier: VerifierFunction;
  /** The function consuming the work queue. */
  public readonly processor: ProcessorFunction;
  /** Every metric the receiver is watched by: custom metrics with their exact dimensions, and AWS metrics. */
  public readonly metrics: WebhookMetrics;
  /** The SNS topic (KMS-encrypted, TLS only) every alarm notifies; subscribe Slack or PagerDuty to it. */
  public readonly alarmTopic: sns.Topic;
  /** The alarms, each notifying {@link alarmTopic} on ALARM and on OK. */
  public readonly alarms: WebhookAlarms;

  private readonly webhookApi: WebhookApi;

  constructor(scope: Construct, id: string, props: FptWebhookReceiverProps = {}) {
    // Validate before joining the construct tree, so a failed attempt leaves nothing behind.
    // Tables are constructs, never configuration: the `fpt` context cannot hold them.
    const { effectTables, ...settings } = props;
    const config = resolveConfig(settings, CONSTRUCT_ONLY_KEYS);
    loggingEnvironment(props.logLevel, props.logSampleRate, CDK_DEPLOY_TIME_VALUES);
    super(scope, id);
    this.config = config;
    this.spec = deriveResourceSpec(config);
    const { spec } = this;
    this.receiverName = physicalNamePrefix(this, DEFAULT_RECEIVER_ID);
    this.receiverId = pathInStack(this).join('/');
    this.outputPrefix = outputKeyPrefix(this, DEFAULT_RECEIVER_ID);
    this.refuseNameClash();
    validateAwsLimits(this);

    this.table = new EventLedgerTable(this, 'Ledger', {
      warmWriteUnitsPerSecond: config.ledgerWarmWriteUnitsPerSecond,
    });

    const queues = new WebhookQueue(this, 'Queue', {
      processorTimeout: Duration.seconds(spec.processorTimeoutSeconds),
      visibilityTimeout: Duration.seconds(spec.queue.visibilityTimeoutSeconds),
      maxReceiveCount: spec.dlq.maxReceiveCount,
    });
    this.queue = queues.queue;
    this.deadLetterQueue = queues.deadLetterQueue;

    const secretsScope = new Construct(this, 'SigningSecrets');
    this.secrets = new Map(
      config.subscriptions.map(({ name }) => [
        name,
        new SigningSecret(secretsScope, name, { subscription: name, receiverName: this.receiverName }),
      ]),
    );
    this.rotation = new SecretRotation(this, 'Rotation', {
      secrets: this.secrets,
      automaticallyAfter: Duration.days(config.secretMaxAgeDays),
      tracing: config.xrayTracing,
      logRetentionDays: config.logRetentionDays,
      logLevel: props.logLevel,
      logSampleRate: props.logSampleRate,
    });

    this.verifier = new VerifierFunction(this, 'Verifier', {
      table: this.table,
      queue: this.queue,
      secrets: this.secrets,
      scopes: new Map(config.subscriptions.map((subscription) => [subscription.name, subscription])),
      timeout: Duration.seconds(spec.verifierTimeoutSeconds),
      memorySize: props.verifierMemorySize,
      signatureToleranceSeconds: config.signatureToleranceSeconds,
      ledgerRetentionDays: spec.ledger.retentionDays,
      maxBodyBytes: config.maxBodyBytes,
      previousSecretGraceHours: config.previousSecretGraceHours,
      reservedConcurrentExecutions: config.verifierReservedConcurrency,
      tracing: config.xrayTracing,
      logRetentionDays: config.logRetentionDays,
      logLevel: props.logLevel,
      logSampleRate: props.logSampleRate,
    });

    this.processor = new ProcessorFunction(this, 'Processor', {
      table: this.table,
      queue: this.queue,
      ...(props.handlers !== undefined ? { handlers: props.handlers } : {}),
      timeout: Duration.seconds(spec.processorTimeoutSeconds),
      memorySize: props.processorMemorySize,
      batchSize: spec.eventSource.batchSize,
      maxBatchingWindow: Duration.seconds(spec.eventSource.maxBatchingWindowSeconds),
      maxConcurrency: config.processorMaxConcurrency,
      tracing: config.xrayTracing,
      ledgerRetentionDays: spec.ledger.retentionDays,
      maxReceiveCount: spec.dlq.maxReceiveCount,
      logRetentionDays: config.logRetentionDays,
      logLevel: props.logLevel,
      logSampleRate: props.logSampleRate,
      ...(effectTables !== undefined ? { effectTables } : {}),
    });

    if (config.dashboard) {
      // The series only the dashboard reads are billed custom metrics: published only with it.
      for (const fn of [this.verifier, this.processor]) fn.addEnvironment(ENV.dashboardMetrics, 'on');
    }
    if (!config.keepEventBodies) {
      for (const fn of [this.verifier, this.processor]) fn.addEnvironment(ENV.keepEventBodies, 'off');
    }

    this.webhookApi = new WebhookApi(this, 'Api', {
      verifier: this.verifier,
      throttlingRateLimit: config.throttlingRateLimit,
      throttlingBurstLimit: config.throttlingBurstLimit,
      logRetentionDays: config.logRetentionDays,
    });
    this.api = this.webhookApi.api;
    this.stage = this.webhookApi.stage;

    this.metrics = new WebhookMetrics({
      verifier: this.verifier,
      processor: this.processor,
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      table: this.table,
      stage: this.stage,
    });
    this.alarmTopic = new AlarmTopic(this, 'AlarmTopic', {
      email: config.alarmEmail,
      receiverName: this.receiverName,
    }).topic;
    this.alarms = new WebhookAlarms(this, 'Alarms', {
      metrics: this.metrics,
      thresholds: config.alarms,
      topic: this.alarmTopic,
      alarmNamePrefix: this.receiverName,
    });
    this.addOutputs();
  }

  /** Two receivers of one stack whose paths differ only by characters names cannot hold would share names. */
  private refuseNameClash(): void {
    for (const other of Stack.of(this).node.findAll()) {
      if (other === this || !(other instanceof FptWebhookReceiver)) continue;
      if (other.receiverName === this.receiverName || other.outputPrefix === this.outputPrefix) {
        throw new Error(
          `receivers "${other.receiverId}" and "${this.receiverId}" of stack ${Stack.of(this).stackName} would share the names "${this.receiverName}" (resources) or "${this.outputPrefix}" (outputs); give one of them a construct id with other letters or digits`,
        );
      }
    }
  }

  /**
   * The outputs an operator needs to wire FPT up, and the CLI finds the receiver by: per subscription
   * `WebhookUrl<Name>`, `SigningSecretArn<Name>`, `SigningSecretName<Name>`, `SubscriptionScope<Name>`; once `LedgerTableName`,
   * `QueueUrl`, `DeadLetterQueueUrl`, `ApiEndpoint`, `PreviousSecretGraceHours`, `LedgerRetentionDays`, `AlarmTopicArn` and
   * `ReceiverId`; every key prefixed with {@link outputPrefix}.
   */
  private addOutputs(): void {
    const scope = new Construct(this, 'Outputs');
    const output = (key: string, value: string, description: string, exportName?: string) => {
      const cfnOutput = new CfnOutput(scope, key, {
        value,
        description,
        ...(exportName !== undefined ? { exportName } : {}),
      });
      cfnOutput.overrideLogicalId(`${this.outputPrefix}${key}`);
    };
    const suffixes = new Map<string, string>();
    for (const { name } of this.config.subscriptions) {
      const suffix = pascalCase(name);
      const clash = suffixes.get(suffix);
      if (clash !== undefined) {
        throw new Error(
          `subscription names must differ by more than dashes, but "${clash}" and "${name}" both give output names ending in "${suffix}"; rename one of them`,
        );
      }
      suffixes.set(suffix, name);
      const secret = this.secrets.get(name);
      if (secret === undefined) throw new Error(`no signing secret was created for subscription "${name}"`);
      output(
        `WebhookUrl${suffix}`,
        this.webhookUrl(name),
        `URL to enter in FPT (Settings > Webhook Endpoints) for subscription "${name}"`,
      );
      output(
        `SigningSecretArn${suffix}`,
        secret.secretArn,
        `ARN of the secret holding the FPT signing key of subscription "${name}"`,
      );
      // The literal name (the secret's own secretName attribute is parsed from its ARN at deploy time).
      output(
        `SigningSecretName${suffix}`,
        signingSecretName(this.receiverName, name),
        `Name of the secret holding the FPT signing key of subscription "${name}"`,
      );
      const { scope, organizationId, locationIds } =
        this.config.subscriptions.find((s) => s.name === name) ?? {};
      output(
        `SubscriptionScope${suffix}`,
        JSON.stringify({
          scope,
          ...(organizationId !== undefined ? { organizationId } : {}),
          ...(locationIds !== undefined ? { locationIds } : {}),
        }),
        `FPT scope of subscription "${name}": the organization and locations it accepts events for, when bound (read by fpt-webhooks doctor)`,
      );
    }
    output('LedgerTableName', this.table.tableName, 'DynamoDB event ledger');
    output('QueueUrl', this.queue.queueUrl, 'Work queue');
    output(
      'DeadLetterQueueUrl',
      this.deadLetterQueue.queueUrl,
      'Dead-letter queue of events that kept failing',
    );
    output('ApiEndpoint', this.api.apiEndpoint, 'Base URL of the HTTP API');
    output(
      'PreviousSecretGraceHours',
      String(this.config.previousSecretGraceHours),
      'Hours the previous signing secret is still accepted after a new one is set (read by fpt-webhooks secret set/status)',
    );
    output(
      'LedgerRetentionDays',
      String(this.config.ledgerRetentionDays),
      'Days an event stays in the ledger (read by fpt-webhooks events list and events replay, which look back this far by default)',
    );
    output(
      'AlarmTopicArn',
      this.alarmTopic.topicArn,
      'SNS topic every alarm notifies (ALARM and OK); subscribe Slack, PagerDuty or email to it',
      `${this.receiverName}-AlarmTopicArn`,
    );
    output(
      FptWebhookReceiver.RECEIVER_ID_OUTPUT,
      this.receiverId,
      'Path of the receiver in its stack: what fpt-webhooks --receiver takes when a stack holds several',
    );
  }

  /**
   * The URL to enter in FPT for one subscription.
   * @throws Error when the subscription is not configured
   */
  public webhookUrl(subscription: string): string {
    if (!this.secrets.has(subscription)) {
      throw new Error(
        `subscription must be one of ${[...this.secrets.keys()].map((n) => `"${n}"`).join(', ')}, but "${subscription}" was provided; add it to "fpt.subscriptions" to get a URL for it`,
      );
    }
    return this.webhookApi.urlFor(subscription);
  }
}

/** `my-sub-2` -> `MySub2`: subscription names as output-key suffixes. */
export function pascalCase(name: string): string {
  return name
    .split('-')
    .filter((part) => part.length > 0)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
