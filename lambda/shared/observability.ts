import { LogFormatter, Logger, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { ENV } from './env';

/** Every metric the receiver emits lives in this namespace; alarms and the dashboard read it. */
export const METRICS_NAMESPACE = 'FptWebhookReceiver';
export const SERVICE_NAME = 'fpt-webhook-receiver';

/** Metric names, shared by the functions (which emit) and the alarms and dashboard (which read). */
export const METRIC = {
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
  secretMalformed: 'SecretMalformed',
  scopeMismatch: 'ScopeMismatch',
  secretRotated: 'SecretRotated',
  rotationDue: 'RotationDue',
  rotationFailed: 'RotationFailed',
} as const;

/**
 * Powertools' standard keys without the ones that are the same on every line of a log group
 * (`function_name`, `function_arn`, `function_memory_size`) or that repeat configuration
 * (`sampling_rate`): each function has its own log group, and log bytes are billed per event
 * (docs/cost.md). The request id and cold start stay; the trace id only when the request is traced
 * (`Sampled=1`): Lambda sets a trace header even with tracing off, and it then points at no trace.
 */
export class ReceiverLogFormatter extends LogFormatter {
  public override formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        cold_start: attributes.lambdaContext?.coldStart,
        function_request_id: attributes.lambdaContext?.awsRequestId,
        xray_trace_id: process.env._X_AMZN_TRACE_ID?.includes('Sampled=1')
          ? attributes.xRayTraceId
          : undefined,
      },
    }).addAttributes(additional);
  }
}

export function createLogger(serviceSuffix: string): Logger {
  return new Logger({
    serviceName: `${SERVICE_NAME}-${serviceSuffix}`,
    logFormatter: new ReceiverLogFormatter(),
  });
}

/**
 * Series that only the optional dashboard reads; no alarm does. Each published series is a billed
 * custom metric, so without the dashboard they are not published (docs/cost.md, docs/observability.md).
 */
export const DASHBOARD_ONLY_METRICS: ReadonlySet<string> = new Set([
  METRIC.enqueued,
  METRIC.processed,
  METRIC.endToEndLatency,
  METRIC.verifierDuration,
  METRIC.handlerDuration,
  METRIC.secretRefresh,
]);

/** Whether a metric is published under this environment: every alarm series always, the rest with the dashboard. */
export function publishesMetric(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return env[ENV.dashboardMetrics] === 'on' || !DASHBOARD_ONLY_METRICS.has(name);
}

/** Powertools Metrics that drops the dashboard-only series unless the dashboard is deployed. */
class SelectedMetrics extends Metrics {
  constructor(
    options: ConstructorParameters<typeof Metrics>[0],
    private readonly env: NodeJS.ProcessEnv,
  ) {
    super(options);
  }

  public override addMetric(...args: Parameters<Metrics['addMetric']>): this {
    if (publishesMetric(args[0], this.env)) super.addMetric(...args);
    return this;
  }
}

export function createMetrics(serviceSuffix: string, env: NodeJS.ProcessEnv = process.env): Metrics {
  return new SelectedMetrics(
    { namespace: METRICS_NAMESPACE, serviceName: `${SERVICE_NAME}-${serviceSuffix}` },
    env,
  );
}
