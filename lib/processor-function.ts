import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ENV } from '../lambda/shared/env';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../lambda/shared/observability';
import { DEFAULT_CONFIG, processingLeaseSeconds } from './config';
import { DEFAULT_SPEC } from './defaults';
import { loggingEnvironment } from './logging-environment';
import { CDK_DEPLOY_TIME_VALUES, WebhookFunction } from './webhook-function';

/** The ledger operations the processor performs: its lease, outcome and ordering-guard updates and reads. */
export const PROCESSOR_LEDGER_ACTIONS = ['dynamodb:GetItem', 'dynamodb:UpdateItem'] as const;

/** Where the processor's event handlers come from. */
export interface HandlersOptions {
  /**
   * Path of your handler module (TypeScript or JavaScript), absolute or relative to the directory `cdk`
   * runs in (like `NodejsFunction`'s `entry`). It must export `handlers` (an `EventHandlers` routing table)
   * and `defaultHandler`, typed with `fpt-webhook-receiver/runtime`. It is bundled into the processor with
   * the local esbuild, together with whatever it imports.
   */
  readonly entry: string;
}

/**
 * What TransactWriteItems needs on a table a handler's declared effects write: each action is authorized
 * as its own operation (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
 */
export const PROCESSOR_EFFECT_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
] as const;

/** Properties of a {@link ProcessorFunction}. */
export interface ProcessorFunctionProps {
  /** The event ledger; the processor records each event's progress in it. */
  readonly table: dynamodb.ITable;
  /** The work queue to consume. Its visibility timeout should be at least 6x `timeout`. */
  readonly queue: sqs.IQueue;
  /**
   * Your handler module. Without it the processor runs the example handlers of this package's
   * lambda/handlers, which log and acknowledge every event.
   * @default - the example handlers in lambda/handlers
   */
  readonly handlers?: HandlersOptions;
  /**
   * Function timeout.
   * @default 30 seconds (`DEFAULT_CONFIG.processorTimeoutSeconds`)
   */
  readonly timeout?: Duration;
  /**
   * Memory in MB.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * SQS records per invocation.
   * @default 10 (`DEFAULT_CONFIG.processorBatchSize`)
   */
  readonly batchSize?: number;
  /**
   * How long the event source waits to fill a batch.
   * @default 0 seconds (`DEFAULT_CONFIG.processorBatchingWindowSeconds`)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Most concurrent invocations by the SQS event source (2 to 1000).
   * @default - no cap
   */
  readonly maxConcurrency?: number;
  /**
   * Active X-Ray tracing.
   * @default true
   */
  readonly tracing?: boolean;
  /**
   * Days an eventId is remembered.
   * @default 30 (`DEFAULT_CONFIG.ledgerRetentionDays`)
   */
  readonly ledgerRetentionDays?: number;
  /**
   * Receives before SQS dead-letters a message; the processor marks the last attempt in the ledger.
   * @default 5 (`DEFAULT_CONFIG.maxReceiveCount`)
   */
  readonly maxReceiveCount?: number;
  /**
   * Retention of the function's log group, in days.
   * @default 30 (`DEFAULT_CONFIG.logRetentionDays`)
   */
  readonly logRetentionDays?: number;
  /**
   * Powertools log level.
   * @default 'INFO'
   */
  readonly logLevel?: string;
  /**
   * Share of containers, from 0 to 1, that log at DEBUG (`POWERTOOLS_LOGGER_SAMPLE_RATE`).
   * @default 0
   */
  readonly logSampleRate?: number;
  /**
   * Tables the handlers' declared effects (`ctx.effects`) write, in one transaction with the ledger.
   * @default - none
   */
  readonly effectTables?: readonly dynamodb.ITable[];
}

/** The module name lambda/processor/partner-handler.ts imports the partner's handlers by. */
export const PARTNER_HANDLERS_MODULE = 'fpt-webhook-receiver/partner-handlers';

/** The absolute path of the handler module, checked now so a typo fails the synth with its path. */
function partnerHandlersEntry(entry: string): string {
  const resolved = path.resolve(entry);
  if (!existsSync(resolved) || !statSync(resolved).isFile()) {
    throw new Error(
      `handlers.entry: no file at ${resolved} (${JSON.stringify(entry)} is resolved against ${process.cwd()}); name the module that exports handlers and defaultHandler`,
    );
  }
  return resolved;
}

/**
 * Consumes the work queue in batches and reports partial failures, so one bad record does not send the
 * whole batch back. It gets the ledger and the queue's consume permissions only: no secrets, no sending.
 */
export class ProcessorFunction extends WebhookFunction {
  constructor(scope: Construct, id: string, props: ProcessorFunctionProps) {
    const timeout = props.timeout ?? Duration.seconds(DEFAULT_SPEC.processorTimeoutSeconds);
    const handlersEntry =
      props.handlers === undefined ? undefined : partnerHandlersEntry(props.handlers.entry);
    super(scope, id, {
      entry: handlersEntry === undefined ? 'processor/handler.ts' : 'processor/partner-handler.ts',
      ...(handlersEntry === undefined
        ? {}
        : { esbuildAliases: { [PARTNER_HANDLERS_MODULE]: handlersEntry } }),
      failureHandling:
        "Invoked by the SQS event source, never asynchronously: a failed record stays in the work queue and the queue's redrive policy moves it to the dead-letter queue after maxReceiveCount receives",
      description: 'Processes verified FPT webhook events from the queue',
      timeout,
      memorySize: props.memorySize ?? 256,
      tracing: props.tracing,
      logRetentionDays: props.logRetentionDays,
      environment: {
        [ENV.ledgerTableName]: props.table.tableName,
        [ENV.ledgerRetentionDays]: String(props.ledgerRetentionDays ?? DEFAULT_CONFIG.ledgerRetentionDays),
        [ENV.maxReceiveCount]: String(props.maxReceiveCount ?? DEFAULT_CONFIG.maxReceiveCount),
        [ENV.processingLeaseSeconds]: String(processingLeaseSeconds(timeout.toSeconds())),
        POWERTOOLS_SERVICE_NAME: `${SERVICE_NAME}-processor`,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        ...loggingEnvironment(props.logLevel, props.logSampleRate, CDK_DEPLOY_TIME_VALUES),
      },
    });

    // On the table only: table.grant would add its indexes (`<arn>/index/*`, a cdk-nag IAM5 wildcard),
    // which item-level actions never touch.
    iam.Grant.addToPrincipal({
      grantee: this,
      actions: [...PROCESSOR_LEDGER_ACTIONS],
      resourceArns: [props.table.tableArn],
    });
    for (const effectTable of props.effectTables ?? []) {
      effectTable.grant(this, ...PROCESSOR_EFFECT_ACTIONS);
      // Named actions, not grantEncryptDecrypt's wildcards (cdk-nag IAM5), for a table with its own key.
      effectTable.encryptionKey?.grant(this, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');
    }
    Validations.of(this).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason:
        "Lambda offers on-failure destinations for stream and Kafka event sources, not for SQS: the work queue's redrive policy is what moves a failed message to the dead-letter queue",
    });
    this.addEventSource(
      new SqsEventSource(props.queue, {
        batchSize: props.batchSize ?? DEFAULT_SPEC.eventSource.batchSize,
        maxBatchingWindow:
          props.maxBatchingWindow ?? Duration.seconds(DEFAULT_SPEC.eventSource.maxBatchingWindowSeconds),
        reportBatchItemFailures: true,
        ...(props.maxConcurrency !== undefined ? { maxConcurrency: props.maxConcurrency } : {}),
      }),
    );
  }
}
