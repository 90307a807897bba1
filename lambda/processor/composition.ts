import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { HandlerModule } from '../runtime';
import { getDocumentClient } from '../shared/clients';
import { DEFAULT_PROCESSING_LEASE_SECONDS, DEFAULTS } from '../shared/defaults';
import { ENV, getIntFromEnv, getStringFromEnv, keepsEventBodies } from '../shared/env';
import { EventLedger } from '../shared/ledger';
import { createLogger, createMetrics } from '../shared/observability';
import { createProcessorHandler, type ProcessorHandler, type ProcessorHandlerDeps } from './create-handler';

/** The processor's settings; each comes from its environment variable, else from lambda/shared/defaults.ts. */
export interface ProcessorSettings {
  readonly ledgerTableName: string;
  readonly ledgerRetentionDays: number;
  /** The queue's redrive `maxReceiveCount`. */
  readonly maxReceiveCount: number;
  /** How long an invocation owns an event; the construct sets it from the processor timeout. */
  readonly processingLeaseMs: number;
  /** Whether a row the processor creates keeps the event's body. */
  readonly keepEventBodies: boolean;
}

/**
 * Replaces the processor's defaults; `handlers` and `defaultHandler` (a {@link HandlerModule}) are required:
 * the Lambda entry passes the module it was bundled with (handler.ts: lambda/handlers; partner-handler.ts:
 * the construct's `handlers.entry`), so a bundle never carries handlers it does not route to.
 */
export interface ProcessorOverrides extends HandlerModule {
  /** Where unset settings are read from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Settings to use instead of the environment's. */
  readonly settings?: Partial<ProcessorSettings>;
  /** @default the container's shared client (lambda/shared/clients.ts) */
  readonly clients?: { readonly documents?: DynamoDBDocumentClient };
  /** Clock, epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

/** Reads every setting not given in `given` from `env`, failing fast on a missing required one. */
export function processorSettings(
  env: NodeJS.ProcessEnv = process.env,
  given: Partial<ProcessorSettings> = {},
): ProcessorSettings {
  return {
    ledgerTableName: given.ledgerTableName ?? getStringFromEnv(ENV.ledgerTableName, env),
    ledgerRetentionDays:
      given.ledgerRetentionDays ?? getIntFromEnv(ENV.ledgerRetentionDays, DEFAULTS.ledgerRetentionDays, env),
    maxReceiveCount:
      given.maxReceiveCount ?? getIntFromEnv(ENV.maxReceiveCount, DEFAULTS.maxReceiveCount, env),
    processingLeaseMs:
      given.processingLeaseMs ??
      getIntFromEnv(ENV.processingLeaseSeconds, DEFAULT_PROCESSING_LEASE_SECONDS, env) * 1000,
    keepEventBodies: given.keepEventBodies ?? keepsEventBodies(env),
  };
}

/**
 * The processor's composition root: its dependencies, built once per container. The Lambda entry point,
 * the local stack, the test harnesses and the tools all build the processor here, so none can drift
 * from what is deployed (the processing lease above all); each replaces only what it must.
 */
export function processorDependencies(overrides: ProcessorOverrides): ProcessorHandlerDeps {
  const settings = processorSettings(overrides.env, overrides.settings);
  return {
    ledger: new EventLedger({
      client: overrides.clients?.documents ?? getDocumentClient(),
      tableName: settings.ledgerTableName,
      retentionDays: settings.ledgerRetentionDays,
      processingLeaseMs: settings.processingLeaseMs,
      keepEventBodies: settings.keepEventBodies,
    }),
    logger: overrides.logger ?? createLogger('processor'),
    metrics: overrides.metrics ?? createMetrics('processor', overrides.env),
    maxReceiveCount: settings.maxReceiveCount,
    handlers: overrides.handlers,
    defaultHandler: overrides.defaultHandler,
    ...(overrides.now !== undefined ? { now: overrides.now } : {}),
  };
}

/** The processor's Lambda handler, composed by {@link processorDependencies}. */
export function composeProcessor(overrides: ProcessorOverrides): ProcessorHandler {
  return createProcessorHandler(processorDependencies(overrides));
}
