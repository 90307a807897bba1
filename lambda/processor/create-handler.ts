import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { DefaultHandler, EventHandlers } from '../handlers/types';
import { powertoolsProcessorMetrics } from './metrics';
import { type ProcessorLedger, processRecord } from './process-record';

export interface ProcessorHandlerDeps {
  /** The event ledger (`EventLedger`), or a fake in tests. */
  readonly ledger: ProcessorLedger;
  readonly logger: Logger;
  /** Powertools metrics; stored metrics are flushed at the end of every invocation. */
  readonly metrics: Metrics;
  /** The queue's redrive `maxReceiveCount`, so the last failure can be recorded as DEAD_LETTERED. */
  readonly maxReceiveCount: number;
  /** Event type -> handler, normally `handlers` from lambda/handlers. */
  readonly handlers: EventHandlers;
  /** Handler for event types outside the catalog, normally `defaultHandler` from lambda/handlers. */
  readonly defaultHandler: DefaultHandler;
  /**
   * Clock, epoch milliseconds.
   * @default Date.now
   */
  readonly now?: () => number;
}

export type ProcessorHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

/**
 * Builds the processor's Lambda handler from its dependencies. The deployed function wires real ones in
 * handler.ts; tests and local pollers can pass their own (a poller may omit `context`).
 *
 * Records run one after another, so the ordering guard sees the effect of earlier records of the same
 * batch, and a handler never runs concurrently with itself inside one invocation.
 *
 * A batch in which every record fails is still answered with `batchItemFailures` listing them all
 * (`throwOnFullBatchFailure: false`): SQS retries exactly the same records either way, and throwing
 * would count handler failures as Lambda invocation errors, which small batches make noisy. Handler
 * failures are counted by the HandlerFailed metric instead; Lambda's Errors metric keeps meaning
 * "the function itself broke" (crash, timeout, bad configuration).
 *
 * @example
 * const handler = createProcessorHandler({ ledger, logger, metrics, maxReceiveCount: 5, handlers, defaultHandler });
 * const { batchItemFailures } = await handler({ Records: [record] });
 */
export function createProcessorHandler(deps: ProcessorHandlerDeps): ProcessorHandler {
  const recordDeps = {
    ledger: deps.ledger,
    handlers: deps.handlers,
    defaultHandler: deps.defaultHandler,
    now: deps.now ?? Date.now,
    maxReceiveCount: deps.maxReceiveCount,
    metrics: powertoolsProcessorMetrics(deps.metrics),
    logger: deps.logger,
  };
  const recordHandler = async (record: SQSRecord): Promise<void> => {
    await processRecord(record, recordDeps);
  };

  return async (event, context) => {
    if (context !== undefined) deps.logger.addContext(context);
    // One processor per invocation: it holds per-batch state, and a local poller may run batches
    // concurrently in one process. It costs nothing to build.
    const processor = new BatchProcessor(EventType.SQS);
    try {
      return await processPartialResponse(event, recordHandler, processor, {
        ...(context !== undefined ? { context } : {}),
        processInParallel: false,
        throwOnFullBatchFailure: false,
      });
    } finally {
      // Only when something was stored: an all-duplicate batch would otherwise log an empty-metrics warning.
      if (deps.metrics.hasStoredMetrics()) deps.metrics.publishStoredMetrics();
    }
  };
}
