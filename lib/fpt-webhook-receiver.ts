import { Duration } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AlarmTopic } from './alarm-topic';
import {
  CONSTRUCT_SETTING_KEYS,
  deriveResourceSpec,
  type ReceiverConfig,
  type ReceiverConfigInput,
  type ResourceSpec,
  resolveConfig,
} from './config';
import { EventLedgerTable } from './event-ledger-table';
import { ProcessorFunction } from './processor-function';
import { SecretRotation } from './secret-rotation';
import { SigningSecret } from './signing-secret';
import { loggingEnvironment, VerifierFunction } from './verifier-function';
import { WebhookAlarms } from './webhook-alarms';
import { WebhookApi } from './webhook-api';
import { WebhookMetrics } from './webhook-metrics';
import { WebhookQueue } from './webhook-queue';

// Checks at compile time that each name is one of the props below.
const CONSTRUCT_ONLY_KEYS: ReadonlyArray<Exclude<keyof FptWebhookReceiverProps, keyof ReceiverConfigInput>> =
  CONSTRUCT_SETTING_KEYS;

/** Properties of an {@link FptWebhookReceiver}: the receiver configuration plus function sizing. */
export interface FptWebhookReceiverProps extends ReceiverConfigInput {
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
 * @throws ConfigValidationError when the configuration is invalid, listing every problem
 */
export class FptWebhookReceiver extends Construct {
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
    const config = resolveConfig(props, CONSTRUCT_ONLY_KEYS);
    loggingEnvironment(props.logLevel, props.logSampleRate);
    super(scope, id);
    this.config = config;
    this.spec = deriveResourceSpec(config);
    const { spec } = this;

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
        new SigningSecret(secretsScope, name, { subscription: name }),
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
    });

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
    this.alarmTopic = new AlarmTopic(this, 'AlarmTopic', { email: config.alarmEmail }).topic;
    this.alarms = new WebhookAlarms(this, 'Alarms', {
      metrics: this.metrics,
      thresholds: config.alarms,
      topic: this.alarmTopic,
    });
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
