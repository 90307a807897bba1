import { Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ENV } from '../lambda/shared/env';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../lambda/shared/observability';
import {
  type SubscriptionScopeBounds,
  subscriptionScopesEnvironment,
} from '../lambda/shared/subscription-scope';
import { DEFAULT_CONFIG, MAX_BODY_BYTES } from './config';
import { DEFAULT_SPEC } from './defaults';
import { loggingEnvironment } from './logging-environment';
import { CDK_DEPLOY_TIME_VALUES, WebhookFunction } from './webhook-function';

/**
 * The ledger operations the verifier performs (`lambda/shared/ledger/claim.ts`: claim and park put, mark enqueued
 * updates, release deletes, and a claim that fails without the old row reads it); nothing else.
 */
export const VERIFIER_LEDGER_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
] as const;

/** Properties of a {@link VerifierFunction}. */
export interface VerifierFunctionProps {
  /** The event ledger; the verifier claims each eventId in it. */
  readonly table: dynamodb.ITable;
  /** The work queue; the verifier sends each accepted event to it. */
  readonly queue: sqs.IQueue;
  /** Signing secret of each subscription, by subscription name. */
  readonly secrets: ReadonlyMap<string, secretsmanager.ISecret>;
  /**
   * The FPT organization and locations each subscription is bound to; authentic events outside them
   * are parked, never handled.
   * @default - no subscription is bound
   */
  readonly scopes?: ReadonlyMap<string, SubscriptionScopeBounds>;
  /**
   * Function timeout. FPT waits 30 s for a 2xx.
   * @default 10 seconds (`ResourceSpec.verifierTimeoutSeconds`)
   */
  readonly timeout?: Duration;
  /**
   * Memory in MB. More memory also means more CPU for the HMAC.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Maximum |now - t| accepted on `X-FPT-Signature`, in seconds.
   * @default 300 (`DEFAULT_CONFIG.signatureToleranceSeconds`)
   */
  readonly signatureToleranceSeconds?: number;
  /**
   * Days an eventId is remembered.
   * @default 30 (`DEFAULT_CONFIG.ledgerRetentionDays`)
   */
  readonly ledgerRetentionDays?: number;
  /**
   * Largest accepted request body, in bytes.
   * @default 262144 (`MAX_BODY_BYTES`)
   */
  readonly maxBodyBytes?: number;
  /**
   * Hours the previous secret version is still accepted after a new one is stored.
   * @default 24 (`DEFAULT_CONFIG.previousSecretGraceHours`)
   */
  readonly previousSecretGraceHours?: number;
  /**
   * Lambda concurrency reserved for the verifier; also its ceiling (beyond it, 429 and FPT retries).
   * @default - none
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Active X-Ray tracing.
   * @default true
   */
  readonly tracing?: boolean;
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
}

/**
 * The verifier answers FPT inside its 30-second window, so its cold start counts; it logs errors by name
 * and AWS request id, never with a stack, so reading source maps at start-up would buy nothing.
 */
export const VERIFIER_RUNTIME_SOURCE_MAPS = false;

/**
 * Verifies each delivery's HMAC signature, claims its eventId in the ledger and enqueues it.
 *
 * Its environment names the secrets (by ARN), never their values; it may read exactly the secrets it
 * was given, write to the ledger and send to the queue.
 */
export class VerifierFunction extends WebhookFunction {
  constructor(scope: Construct, id: string, props: VerifierFunctionProps) {
    const subscriptions = Object.fromEntries(
      [...props.secrets].map(([name, secret]) => [name, secret.secretArn] as const),
    );
    super(scope, id, {
      entry: 'verifier/handler.ts',
      description: 'Verifies FPT webhook signatures, deduplicates and enqueues events',
      runtimeSourceMaps: VERIFIER_RUNTIME_SOURCE_MAPS,
      failureHandling:
        'Invoked synchronously by API Gateway, never asynchronously, so a dead-letter queue would receive nothing: a failed invocation is a 5xx to FPT, which retries the delivery with the same bytes',
      timeout: props.timeout ?? Duration.seconds(DEFAULT_SPEC.verifierTimeoutSeconds),
      memorySize: props.memorySize ?? 256,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      tracing: props.tracing,
      logRetentionDays: props.logRetentionDays,
      environment: {
        [ENV.ledgerTableName]: props.table.tableName,
        [ENV.queueUrl]: props.queue.queueUrl,
        // Secret ARNs are tokens until deployment, so the JSON is built by CloudFormation.
        [ENV.subscriptions]: Stack.of(scope).toJsonString(subscriptions),
        ...subscriptionScopesEnvironment(props.scopes),
        [ENV.signatureToleranceSeconds]: String(
          props.signatureToleranceSeconds ?? DEFAULT_CONFIG.signatureToleranceSeconds,
        ),
        [ENV.ledgerRetentionDays]: String(props.ledgerRetentionDays ?? DEFAULT_CONFIG.ledgerRetentionDays),
        [ENV.maxBodyBytes]: String(props.maxBodyBytes ?? MAX_BODY_BYTES),
        [ENV.previousSecretGraceHours]: String(
          props.previousSecretGraceHours ?? DEFAULT_CONFIG.previousSecretGraceHours,
        ),
        POWERTOOLS_SERVICE_NAME: `${SERVICE_NAME}-verifier`,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        ...loggingEnvironment(props.logLevel, props.logSampleRate, CDK_DEPLOY_TIME_VALUES),
      },
    });

    // On the table only: table.grant would add its indexes (`<arn>/index/*`, a cdk-nag IAM5 wildcard),
    // which item-level actions never touch.
    iam.Grant.addToPrincipal({
      grantee: this,
      actions: [...VERIFIER_LEDGER_ACTIONS],
      resourceArns: [props.table.tableArn],
    });
    props.queue.grantSendMessages(this);
    // GetSecretValue only: grantRead would add DescribeSecret, which the verifier never calls. The secrets
    // use Secrets Manager's AWS managed key, so no KMS grant is needed either.
    iam.Grant.addToPrincipal({
      grantee: this,
      actions: ['secretsmanager:GetSecretValue'],
      resourceArns: [...props.secrets.values()].map((secret) => secret.secretArn),
    });
  }
}
