import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { getDocumentClient, getSecretsClient, getSqsClient } from '../shared/clients';
import { DEFAULTS } from '../shared/defaults';
import {
  ENV,
  getIntFromEnv,
  getStringFromEnv,
  getSubscriptionsFromEnv,
  keepsEventBodies,
} from '../shared/env';
import { EventLedger } from '../shared/ledger';
import { createLogger, createMetrics, METRIC, publishesMetric } from '../shared/observability';
import { decodeSubscriptionScopes, type SubscriptionScopeBounds } from '../shared/subscription-scope';
import { createVerifierHandler, sqsEnqueue, type VerifierHandler } from './create-handler';
import type { VerifierDeps } from './receive';
import { SecretStore } from './secret-store';

/** The verifier's settings; each comes from its environment variable, else from lambda/shared/defaults.ts. */
export interface VerifierSettings {
  /** subscription name -> Secrets Manager secret id */
  readonly subscriptions: ReadonlyMap<string, string>;
  /** subscription name -> the FPT scope it is bound to; unlisted subscriptions are not bound. */
  readonly scopes: ReadonlyMap<string, SubscriptionScopeBounds>;
  readonly ledgerTableName: string;
  readonly queueUrl: string;
  readonly toleranceSeconds: number;
  readonly maxBodyBytes: number;
  readonly previousSecretGraceHours: number;
  readonly ledgerRetentionDays: number;
  readonly claimLeaseMs: number;
  readonly secretTtlMs: number;
  /** Whether the claim keeps the event's body on its row. */
  readonly keepEventBodies: boolean;
}

export interface VerifierOverrides {
  /** Where unset settings are read from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Settings to use instead of the environment's. */
  readonly settings?: Partial<VerifierSettings>;
  /** @default the container's shared clients (lambda/shared/clients.ts) */
  readonly clients?: {
    readonly documents?: DynamoDBDocumentClient;
    readonly sqs?: SQSClient;
    readonly secrets?: SecretsManagerClient;
  };
  /** Clock, epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

/** Reads every setting not given in `given` from `env`, failing fast on a missing required one. */
export function verifierSettings(
  env: NodeJS.ProcessEnv = process.env,
  given: Partial<VerifierSettings> = {},
): VerifierSettings {
  return {
    subscriptions: given.subscriptions ?? getSubscriptionsFromEnv(env),
    scopes: given.scopes ?? decodeSubscriptionScopes(env[ENV.subscriptionScopes], ENV.subscriptionScopes),
    ledgerTableName: given.ledgerTableName ?? getStringFromEnv(ENV.ledgerTableName, env),
    queueUrl: given.queueUrl ?? getStringFromEnv(ENV.queueUrl, env),
    toleranceSeconds:
      given.toleranceSeconds ??
      getIntFromEnv(ENV.signatureToleranceSeconds, DEFAULTS.signatureToleranceSeconds, env),
    maxBodyBytes: given.maxBodyBytes ?? getIntFromEnv(ENV.maxBodyBytes, DEFAULTS.maxBodyBytes, env),
    previousSecretGraceHours:
      given.previousSecretGraceHours ??
      getIntFromEnv(ENV.previousSecretGraceHours, DEFAULTS.previousSecretGraceHours, env),
    ledgerRetentionDays:
      given.ledgerRetentionDays ?? getIntFromEnv(ENV.ledgerRetentionDays, DEFAULTS.ledgerRetentionDays, env),
    claimLeaseMs: given.claimLeaseMs ?? DEFAULTS.claimLeaseMs,
    secretTtlMs: given.secretTtlMs ?? DEFAULTS.secretTtlMs,
    keepEventBodies: given.keepEventBodies ?? keepsEventBodies(env),
  };
}

/**
 * The verifier's composition root: its dependencies, built once per container. The Lambda entry point,
 * the local stack, the test harnesses and the tools all build the verifier here, so none can drift
 * from what is deployed; each replaces only what it must.
 */
export function verifierDependencies(overrides: VerifierOverrides = {}): VerifierDeps {
  const settings = verifierSettings(overrides.env, overrides.settings);
  const logger = overrides.logger ?? createLogger('verifier');
  const metrics = overrides.metrics ?? createMetrics('verifier', overrides.env);
  const now = overrides.now ?? (() => Date.now());
  return {
    subscriptions: settings.subscriptions,
    scopes: settings.scopes,
    toleranceSeconds: settings.toleranceSeconds,
    maxBodyBytes: settings.maxBodyBytes,
    previousSecretGraceMs: settings.previousSecretGraceHours * 60 * 60 * 1000,
    ledger: new EventLedger({
      client: overrides.clients?.documents ?? getDocumentClient(),
      tableName: settings.ledgerTableName,
      retentionDays: settings.ledgerRetentionDays,
      claimLeaseMs: settings.claimLeaseMs,
      keepEventBodies: settings.keepEventBodies,
    }),
    secrets: new SecretStore({
      client: overrides.clients?.secrets ?? getSecretsClient(),
      now,
      ttlMs: settings.secretTtlMs,
      onFetch: (stage) => {
        if (!publishesMetric(METRIC.secretRefresh, overrides.env)) return;
        const refresh = metrics.singleMetric();
        refresh.addDimension('stage', stage);
        refresh.addMetric(METRIC.secretRefresh, 'Count', 1);
      },
    }),
    enqueue: sqsEnqueue(overrides.clients?.sqs ?? getSqsClient(), settings.queueUrl),
    now,
    logger,
    metrics,
  };
}

/** The verifier's Lambda handler, composed by {@link verifierDependencies}. */
export function composeVerifier(overrides: VerifierOverrides = {}): VerifierHandler {
  return createVerifierHandler(verifierDependencies(overrides));
}
