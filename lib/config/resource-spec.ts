/**
 * The resource spec: the queue, dead-letter queue, ledger, event source and timeouts derived from a
 * resolved configuration. The CDK constructs and the local stack both build from it.
 *
 * Pure (no CDK imports).
 */
import { processingLeaseSeconds } from '../../lambda/shared/defaults';
import { DLQ_RETENTION_DAYS, type ReceiverConfig } from './schema';

/** Resources derived from the config; the CDK constructs and the local stack both build from these. */
export interface ResourceSpec {
  readonly queue: {
    readonly visibilityTimeoutSeconds: number;
    readonly retentionSeconds: number;
    readonly maxMessageSizeBytes: number;
  };
  readonly dlq: { readonly retentionSeconds: number; readonly maxReceiveCount: number };
  readonly ledger: {
    readonly partitionKey: string;
    readonly ttlAttribute: string;
    readonly retentionDays: number;
  };
  readonly eventSource: { readonly batchSize: number; readonly maxBatchingWindowSeconds: number };
  readonly processorTimeoutSeconds: number;
  readonly processingLeaseSeconds: number;
  readonly verifierTimeoutSeconds: number;
}

/** Lambda's guidance for SQS event sources: visibility timeout at least 6x the function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

export { processingLeaseSeconds };

export function deriveResourceSpec(config: ReceiverConfig): ResourceSpec {
  return {
    queue: {
      visibilityTimeoutSeconds: config.processorTimeoutSeconds * VISIBILITY_TIMEOUT_FACTOR,
      retentionSeconds: 4 * 24 * 60 * 60,
      // The raw body (up to 256 KiB) plus attributes must fit; SQS allows up to 1 MiB.
      maxMessageSizeBytes: 1024 * 1024,
    },
    dlq: { retentionSeconds: DLQ_RETENTION_DAYS * 24 * 60 * 60, maxReceiveCount: config.maxReceiveCount },
    ledger: { partitionKey: 'pk', ttlAttribute: 'expiresAt', retentionDays: config.ledgerRetentionDays },
    eventSource: {
      batchSize: config.processorBatchSize,
      maxBatchingWindowSeconds: config.processorBatchingWindowSeconds,
    },
    processorTimeoutSeconds: config.processorTimeoutSeconds,
    processingLeaseSeconds: processingLeaseSeconds(config.processorTimeoutSeconds),
    // FPT waits 30 s for a 2xx; the verifier must answer well inside that.
    verifierTimeoutSeconds: 10,
  };
}
