import { Duration } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { SignatureFailureReason } from '../lambda/shared/errors';
import { CATALOG_EVENT_TYPES } from '../lambda/shared/fpt-events';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../lambda/shared/observability';

/**
 * The `service` dimension Powertools adds to every metric of a function (its `POWERTOOLS_SERVICE_NAME`).
 * The rotation function is deployed by the rotation construct with the same naming.
 */
export const METRIC_SERVICE = {
  verifier: `${SERVICE_NAME}-verifier`,
  processor: `${SERVICE_NAME}-processor`,
  rotation: `${SERVICE_NAME}-rotation`,
} as const;

/** Every `reason` the verifier puts on its `Rejected` metric (`HttpError.reason` of each 4xx/503 it answers). */
export const REJECT_REASONS = [
  'missing_header',
  'malformed_header',
  'stale_timestamp',
  'future_timestamp',
  'bad_signature',
  'unknown_subscription',
  'oversize',
  'not_configured',
  'secret_malformed',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/**
 * The reasons a well-formed delivery from FPT fails authentication: a key that no longer matches (the
 * secret was rotated in FPT but not here) or a timestamp outside the tolerance (clock skew, replays).
 * Missing or malformed headers are left out: that is internet noise, not FPT.
 */
export const SIGNATURE_FAILURE_REASONS: readonly SignatureFailureReason[] = [
  'bad_signature',
  'stale_timestamp',
  'future_timestamp',
];

/** `eventType` values of the `Processed` metric: the catalog types, and `other` for everything else. */
export const PROCESSED_EVENT_TYPES: readonly string[] = [...CATALOG_EVENT_TYPES, 'other'];

/** The ledger operations the functions perform (`VERIFIER_LEDGER_ACTIONS`, `PROCESSOR_LEDGER_ACTIONS`). */
export const LEDGER_OPERATIONS: readonly dynamodb.Operation[] = [
  dynamodb.Operation.GET_ITEM,
  dynamodb.Operation.PUT_ITEM,
  dynamodb.Operation.UPDATE_ITEM,
  dynamodb.Operation.DELETE_ITEM,
];

/** The resources a {@link WebhookMetrics} reads metrics of. */
export interface WebhookMetricsProps {
  /** The verifier function (Lambda `Invocations`, `Errors`, `Throttles`). */
  readonly verifier: lambda.IFunction;
  /** The processor function (Lambda `Errors`, `Throttles`). */
  readonly processor: lambda.IFunction;
  /** The work queue. */
  readonly queue: sqs.IQueue;
  /** The work queue's dead-letter queue. */
  readonly deadLetterQueue: sqs.IQueue;
  /** The event ledger. */
  readonly table: dynamodb.ITable;
  /** The API stage FPT posts to (HTTP API metrics carry `ApiId` and `Stage`). */
  readonly stage: apigwv2.IHttpStage;
  /**
   * Period of every metric unless a method is given another.
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
}

/**
 * Every metric the receiver is watched by, in one place: the custom metrics the functions emit (with
 * exactly the dimensions they are emitted with; see docs/observability.md) and the AWS metrics of its
 * resources, taken from their L2 `metricXxx()` methods. {@link WebhookAlarms} and {@link WebhookDashboard}
 * build on it; so can your own alarms.
 *
 * @example
 * const metrics = receiver.metrics;
 * new cloudwatch.Alarm(this, 'ManyDuplicates', {
 *   metric: metrics.duplicates('verifier'), threshold: 100, evaluationPeriods: 1,
 * });
 */
export class WebhookMetrics {
  private readonly period: Duration;

  constructor(private readonly props: WebhookMetricsProps) {
    this.period = props.period ?? Duration.minutes(5);
  }

  // ---- custom metrics: verifier -----------------------------------------------------------------------

  /**
   * Every delivery that reached the verifier, whatever the outcome: Lambda's own `Invocations` of the
   * verifier, which runs once per delivery (a request API Gateway or Lambda throttled never reached it).
   * An AWS metric, so no custom series and no log bytes per event are billed for it (docs/cost.md).
   */
  public received(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.props.verifier.metricInvocations({
      period: this.period,
      statistic: 'Sum',
      label: 'Received (verifier invocations)',
      ...options,
    });
  }

  /** Deliveries rejected with one reason (dimensions: service, reason). */
  public rejected(reason: RejectReason, options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.custom(METRIC.rejected, 'verifier', 'Sum', {
      label: `Rejected ${reason}`,
      ...options,
      dimensionsMap: { reason },
    });
  }

  /** Events put on the work queue (dimensions: service). */
  public enqueued(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.custom(METRIC.enqueued, 'verifier', 'Sum', options);
  }

  /**
   * Duplicate deliveries: at the verifier (FPT retried an event already accepted; dimensions: service) or
   * at the processor (SQS delivered an event already processed; dimensions: service, stage=processor).
   */
  public duplicates(where: 'verifier' | 'processor', options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return where === 'verifier'
      ? this.custom(METRIC.duplicate, 'verifier', 'Sum', { label: 'Duplicates at verifier', ...options })
      : this.custom(METRIC.duplicate, 'processor', 'Sum', {
          label: 'Duplicates at processor',
          ...options,
          dimensionsMap: { stage: 'processor' },
        });
  }

  /** Authentic deliveries parked because their envelope was invalid or their eventId reused (dimensions: service). */
  public invalidEnvelopeParked(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.custom(METRIC.invalidEnvelopeParked, 'verifier', 'Sum', options);
  }

  /** Deliveries refused with 503 because the subscription's secret is still the placeholder (dimensions: service). */
  public secretNotConfigured(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.custom(METRIC.secretNotConfigured, 'verifier', 'Sum', options);
  }

  /** Deliveries that met a stored secret of the wrong shape (AWSCURRENT: refused with 503; AWSPREVIOUS: not used) (dimensions: service). */
  public secretMalformed(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.custom(METRIC.secretMalformed, 'verifier', 'Sum', options);
  }

  /** Authentic deliveries parked because they were outside their subscription's FPT scope (dimensions: service). */
  public scopeMismatch(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.custom(METRIC.scopeMismatch, 'verifier', 'Sum', options);
  }

  /** Secrets Manager fetches of one version stage (dimensions: service, stage). */
  public secretRefreshes(
    stage: 'AWSCURRENT' | 'AWSPREVIOUS',
    options?: cloudwatch.MetricOptions,
  ): cloudwatch.Metric {
    return this.custom(METRIC.secretRefresh, 'verifier', 'Sum', {
      label: `Secret refreshes ${stage}`,
      ...options,
      dimensionsMap: { stage },
    });
  }

  /** Time the verifier spent on one delivery, in ms (dimensions: service). */
  public verifierDuration(statistic = 'p99', options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.custom(METRIC.verifierDuration, 'verifier', statistic, {
      label: `Verifier duration ${statistic}`,
      ...options,
    });
  }

  /**
   * Percentage of deliveries that failed authentication with a {@link SIGNATURE_FAILURE_REASONS} reason.
   *
   * `SUM([...])` over an array adds whatever series have data at each timestamp; a plain `a + b + c`
   * would be empty whenever one reason had no rejections, which is nearly always. With no deliveries at
   * all the expression has no data (the alarm treats that as not breaching).
   */
  public signatureFailureRate(options?: {
    readonly period?: Duration;
    /**
     * Fewest failures in a period for the rate to count; below it the expression is 0. A rate over a
     * handful of deliveries is noise: one probe (the acceptance check's bad signature) on an idle stack
     * would otherwise read as 20%.
     */
    readonly minFailures?: number;
  }): cloudwatch.MathExpression {
    const period = options?.period ?? this.period;
    const usingMetrics: Record<string, cloudwatch.IMetric> = { received: this.received({ period }) };
    for (const reason of SIGNATURE_FAILURE_REASONS) {
      usingMetrics[camel(reason)] = this.rejected(reason, { period });
    }
    const failures = SIGNATURE_FAILURE_REASONS.map(camel).join(', ');
    const rate = `100 * SUM([${failures}]) / received`;
    const minFailures = options?.minFailures;
    return new cloudwatch.MathExpression({
      expression: minFailures === undefined ? rate : `IF(SUM([${failures}]) >= ${minFailures}, ${rate}, 0)`,
      usingMetrics,
      label: 'Signature failures (% of received)',
      period,
    });
  }

  // ---- custom metrics: processor ----------------------------------------------------------------------

  /** Events processed successfully, of one type (dimensions: service, eventType). */
  public processed(eventType: string, options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.custom(METRIC.processed, 'processor', 'Sum', {
      label: `Processed ${eventType}`,
      ...options,
      dimensionsMap: { eventType },
    });
  }

  /** Events processed successfully, all types together: the sum over {@link PROCESSED_EVENT_TYPES}. */
  public processedTotal(options?: { readonly period?: Duration }): cloudwatch.MathExpression {
    const period = options?.period ?? this.period;
    const usingMetrics: Record<string, cloudwatch.IMetric> = {};
    PROCESSED_EVENT_TYPES.forEach((type, i) => {
      usingMetrics[`p${i}`] = this.processed(type, { period });
    });
    return new cloudwatch.MathExpression({
      expression: `SUM([${Object.keys(usingMetrics).join(', ')}])`,
      usingMetrics,
      label: 'Processed',
      period,
    });
  }

  /** Handler failures, each retried by SQS until the last receive (dimensions: service). */
  public handlerFailed(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.custom(METRIC.handlerFailed, 'processor', 'Sum', options);
  }

  /** Failures on the last receive: the message moves to the DLQ (dimensions: service). */
  public deadLettered(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.custom(METRIC.deadLettered, 'processor', 'Sum', options);
  }

  /** Events older than one already processed for the same contact (dimensions: service). */
  public staleEvents(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.custom(METRIC.staleEvent, 'processor', 'Sum', options);
  }

  /** From FPT's eventTimestamp to the processor recording success, in ms (dimensions: service). */
  public endToEndLatency(statistic = 'p99', options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.custom(METRIC.endToEndLatency, 'processor', statistic, {
      label: `End-to-end latency ${statistic}`,
      ...options,
    });
  }

  /** Time your handler took, in ms (dimensions: service). */
  public handlerDuration(statistic = 'p99', options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.custom(METRIC.handlerDuration, 'processor', statistic, {
      label: `Handler duration ${statistic}`,
      ...options,
    });
  }

  // ---- custom metrics: rotation -----------------------------------------------------------------------

  /** A scheduled rotation found no new FPT secret staged (dimensions: service). */
  public rotationDue(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.custom(METRIC.rotationDue, 'rotation', 'Sum', options);
  }

  /** A rotation step failed for any other reason (dimensions: service). */
  public rotationFailed(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.custom(METRIC.rotationFailed, 'rotation', 'Sum', options);
  }

  /** Rotations that completed (dimensions: service). */
  public secretRotated(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.custom(METRIC.secretRotated, 'rotation', 'Sum', options);
  }

  // ---- AWS metrics ------------------------------------------------------------------------------------

  /** Lambda `Errors` of the verifier: crashes and timeouts, not 4xx/5xx answers. */
  public verifierErrors(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.props.verifier.metricErrors({ period: this.period, label: 'Verifier errors', ...options });
  }

  /** Lambda `Throttles` of the verifier. */
  public verifierThrottles(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.props.verifier.metricThrottles({
      period: this.period,
      label: 'Verifier throttles',
      ...options,
    });
  }

  /** Lambda `Errors` of the processor (handler failures are not errors; see {@link handlerFailed}). */
  public processorErrors(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.props.processor.metricErrors({ period: this.period, label: 'Processor errors', ...options });
  }

  /** Lambda `Throttles` of the processor. */
  public processorThrottles(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.props.processor.metricThrottles({
      period: this.period,
      label: 'Processor throttles',
      ...options,
    });
  }

  /** HTTP API `5xx` of the stage (dimensions: ApiId, Stage). */
  public apiServerErrors(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.props.stage.metricServerError({ period: this.period, label: 'API 5xx', ...options });
  }

  /** HTTP API `4xx` of the stage (dimensions: ApiId, Stage). */
  public apiClientErrors(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.props.stage.metricClientError({ period: this.period, label: 'API 4xx', ...options });
  }

  /** Messages waiting in the work queue. */
  public queueMessagesVisible(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.props.queue.metricApproximateNumberOfMessagesVisible({
      period: this.period,
      statistic: 'Maximum',
      label: 'Queue visible',
      ...options,
    });
  }

  /** Messages being processed (received, not yet deleted). */
  public queueMessagesInFlight(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.props.queue.metricApproximateNumberOfMessagesNotVisible({
      period: this.period,
      statistic: 'Maximum',
      label: 'Queue in flight',
      ...options,
    });
  }

  /** Age of the work queue's oldest message, in seconds. */
  public queueOldestMessageAge(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.props.queue.metricApproximateAgeOfOldestMessage({
      period: this.period,
      statistic: 'Maximum',
      label: 'Oldest message age (s)',
      ...options,
    });
  }

  /** Messages waiting in the dead-letter queue. */
  public deadLetterQueueMessagesVisible(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: this.period,
      statistic: 'Maximum',
      label: 'DLQ visible',
      ...options,
    });
  }

  /**
   * Throttled ledger requests over {@link LEDGER_OPERATIONS}, from the L2's per-operation metrics.
   *
   * The L2's own expression adds them with `+`, which has data only where every operation has data;
   * throttles are published only when they happen, so that sum would almost never have any. `SUM([...])`
   * adds whatever operations have data.
   */
  public ledgerThrottledRequests(options?: { readonly period?: Duration }): cloudwatch.MathExpression {
    const period = options?.period ?? this.period;
    return sumOverArray(
      this.props.table.metricThrottledRequestsForOperations({ operations: [...LEDGER_OPERATIONS], period }),
      'Ledger throttled requests',
    );
  }

  /** Ledger system errors over {@link LEDGER_OPERATIONS}; summed like {@link ledgerThrottledRequests}. */
  public ledgerSystemErrors(options?: { readonly period?: Duration }): cloudwatch.MathExpression {
    const period = options?.period ?? this.period;
    return sumOverArray(
      this.props.table.metricSystemErrorsForOperations({ operations: [...LEDGER_OPERATIONS], period }),
      'Ledger system errors',
    );
  }

  private custom(
    metricName: string,
    fn: keyof typeof METRIC_SERVICE,
    statistic: string,
    options: cloudwatch.MetricOptions = {},
  ): cloudwatch.Metric {
    const { dimensionsMap, ...rest } = options;
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      statistic,
      period: this.period,
      label: metricName,
      ...rest,
      dimensionsMap: { service: METRIC_SERVICE[fn], ...dimensionsMap },
    });
  }
}

/** `stale_timestamp` -> `staleTimestamp`: a metric-math id. */
function camel(reason: string): string {
  return reason.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

function sumOverArray(l2: cloudwatch.IMetric, label: string): cloudwatch.MathExpression {
  if (!(l2 instanceof cloudwatch.MathExpression)) {
    throw new Error(`expected the per-operation metrics as a MathExpression, but got ${l2.constructor.name}`);
  }
  return new cloudwatch.MathExpression({
    expression: `SUM([${Object.keys(l2.usingMetrics).join(', ')}])`,
    usingMetrics: l2.usingMetrics,
    label,
    period: l2.period,
  });
}
