import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/** Every metric the receiver emits lives in this namespace; alarms and the dashboard read it. */
export const METRICS_NAMESPACE = 'FptWebhookReceiver';
export const SERVICE_NAME = 'fpt-webhook-receiver';

/** Metric names, shared by the functions (which emit) and the alarms and dashboard (which read). */
export const METRIC = {
  received: 'Received',
  rejected: 'Rejected',
  duplicate: 'Duplicate',
  enqueued: 'Enqueued',
  invalidEnvelopeParked: 'InvalidEnvelopeParked',
  processed: 'Processed',
  handlerFailed: 'HandlerFailed',
  deadLettered: 'DeadLettered',
  staleEvent: 'StaleEvent',
  endToEndLatency: 'EndToEndLatency',
  verifierDuration: 'VerifierDuration',
  handlerDuration: 'HandlerDuration',
  secretRefresh: 'SecretRefresh',
  secretNotConfigured: 'SecretNotConfigured',
  secretRotated: 'SecretRotated',
  rotationDue: 'RotationDue',
  rotationFailed: 'RotationFailed',
} as const;

export function createLogger(serviceSuffix: string): Logger {
  return new Logger({ serviceName: `${SERVICE_NAME}-${serviceSuffix}` });
}

export function createMetrics(serviceSuffix: string): Metrics {
  return new Metrics({ namespace: METRICS_NAMESPACE, serviceName: `${SERVICE_NAME}-${serviceSuffix}` });
}
