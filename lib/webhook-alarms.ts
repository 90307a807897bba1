import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { type AlarmsConfig, type AlarmsConfigInput, resolveAlarmsConfig } from './config';
import type { WebhookMetrics } from './webhook-metrics';

/** Where each alarm's description points: one section per alarm, its anchor being the alarm's name suffix. */
export const ALARM_RUNBOOK = 'docs/runbooks/alarms.md';

/** Properties of a {@link WebhookAlarms}. */
export interface WebhookAlarmsProps {
  /** The receiver's metrics. */
  readonly metrics: WebhookMetrics;
  /**
   * Alarm thresholds; each unset field takes its default.
   * @default - `DEFAULT_ALARMS`, no ingest-stopped alarm
   */
  readonly thresholds?: AlarmsConfigInput;
  /**
   * Topic notified when an alarm goes to ALARM and when it returns to OK.
   * @default - no actions; call `addActions()` to add some
   */
  readonly topic?: sns.ITopic;
  /**
   * First part of every alarm name: `<prefix>-<resource>-<condition>`. Set it when one stack holds two
   * receivers, so their alarm names differ.
   * @default - the stack name
   */
  readonly alarmNamePrefix?: string;
}

/** How one alarm is built; see the table in docs/runbooks/alarms.md. */
interface AlarmSpec {
  /** Construct ID. */
  readonly id: string;
  /** `<resource>-<condition>`: the alarm name suffix and the runbook anchor. */
  readonly name: string;
  /** One sentence: what it means when the alarm fires. */
  readonly meaning: string;
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly comparisonOperator: cloudwatch.ComparisonOperator;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm?: number;
  readonly treatMissingData: cloudwatch.TreatMissingData;
}

const { GREATER_THAN_OR_EQUAL_TO_THRESHOLD: AT_LEAST, GREATER_THAN_THRESHOLD: ABOVE } =
  cloudwatch.ComparisonOperator;
const { NOT_BREACHING, IGNORE, BREACHING } = cloudwatch.TreatMissingData;

/**
 * The receiver's alarms, built from {@link WebhookMetrics}. Each is named `<prefix>-<resource>-<condition>`,
 * its description says in one sentence what it means and links its runbook section, and it notifies the
 * topic on ALARM and on OK.
 *
 * Missing data: counts of things that are only published when they happen (errors, throttles, custom
 * metrics) treat missing data as not breaching. The DLQ alarm ignores missing data: SQS stops publishing
 * metrics of a queue nobody touches, and a DLQ that still holds messages must stay in ALARM. The optional
 * ingest-stopped alarm treats missing data as breaching, because silence is what it watches for.
 *
 * @example
 * const alarms = new WebhookAlarms(this, 'Alarms', { metrics: receiver.metrics, topic });
 * alarms.addActions(new actions.SnsAction(pagerTopic));
 */
export class WebhookAlarms extends Construct {
  /** The thresholds in force, defaults applied. */
  public readonly thresholds: AlarmsConfig;
  /** Messages visible in the dead-letter queue. */
  public readonly deadLetterQueueMessages: cloudwatch.Alarm;
  /** The work queue's oldest message is older than the threshold. */
  public readonly queueOldestMessageAge: cloudwatch.Alarm;
  /** Share of deliveries failing authentication above the threshold. */
  public readonly signatureFailures: cloudwatch.Alarm;
  /** Verifier Lambda errors. */
  public readonly verifierErrors: cloudwatch.Alarm;
  /** HTTP API 5xx responses. */
  public readonly apiServerErrors: cloudwatch.Alarm;
  /** Processor Lambda errors. */
  public readonly processorErrors: cloudwatch.Alarm;
  /** Processor Lambda throttles. */
  public readonly processorThrottles: cloudwatch.Alarm;
  /** A subscription's signing secret is not configured. */
  public readonly secretNotConfigured: cloudwatch.Alarm;
  /** A subscription's stored signing secret breaks FPT's shape (short, or with whitespace). */
  public readonly secretMalformed: cloudwatch.Alarm;
  /** An authentic delivery was outside its subscription's FPT organization or locations. */
  public readonly scopeMismatch: cloudwatch.Alarm;
  /** A scheduled rotation found no new secret staged. */
  public readonly rotationDue: cloudwatch.Alarm;
  /** A rotation step failed. */
  public readonly rotationFailed: cloudwatch.Alarm;
  /** Throttled ledger requests. */
  public readonly ledgerThrottles: cloudwatch.Alarm;
  /** Ledger system errors. */
  public readonly ledgerSystemErrors: cloudwatch.Alarm;
  /** An authentic delivery was parked with an invalid envelope. */
  public readonly invalidEnvelopeParked: cloudwatch.Alarm;
  /** No delivery for `ingestStoppedHours`; only when that threshold is set. */
  public readonly ingestStopped?: cloudwatch.Alarm;
  /** Every alarm above, in a stable order. */
  public readonly all: readonly cloudwatch.Alarm[];

  private readonly prefix: string;

  constructor(scope: Construct, id: string, props: WebhookAlarmsProps) {
    // Validate before joining the construct tree, so a failed attempt leaves nothing behind.
    const thresholds = resolveAlarmsConfig(props.thresholds);
    super(scope, id);
    this.thresholds = thresholds;
    this.prefix = props.alarmNamePrefix ?? Stack.of(this).stackName;
    const { metrics } = props;
    const t = thresholds;
    const all: cloudwatch.Alarm[] = [];
    const add = (spec: AlarmSpec): cloudwatch.Alarm => {
      const alarm = this.createAlarm(spec);
      all.push(alarm);
      return alarm;
    };

    this.deadLetterQueueMessages = add({
      id: 'DeadLetterQueueMessages',
      name: 'dlq-messages-visible',
      meaning:
        'Events are waiting in the dead-letter queue: the processor failed on every allowed receive and will not retry them on its own.',
      metric: metrics.deadLetterQueueMessagesVisible({ period: Duration.minutes(1) }),
      threshold: t.deadLetterQueueMessages,
      comparisonOperator: AT_LEAST,
      evaluationPeriods: 1,
      treatMissingData: IGNORE,
    });
    this.queueOldestMessageAge = add({
      id: 'QueueOldestMessageAge',
      name: 'queue-oldest-message-age',
      meaning:
        'The oldest message in the work queue has waited longer than expected: the processor is not keeping up, is not running, or keeps failing on some events.',
      metric: metrics.queueOldestMessageAge(),
      threshold: t.queueOldestMessageAgeSeconds,
      comparisonOperator: ABOVE,
      evaluationPeriods: 1,
      treatMissingData: NOT_BREACHING,
    });
    this.signatureFailures = add({
      id: 'SignatureFailures',
      name: 'verifier-signature-failures',
      meaning:
        'Too many deliveries fail authentication with a bad signature or a stale or future timestamp, usually because the signing key was rotated in FPT but not stored here.',
      metric: metrics.signatureFailureRate({ minFailures: t.signatureFailureMinCount }),
      threshold: t.signatureFailureRatePercent,
      comparisonOperator: ABOVE,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: NOT_BREACHING,
    });
    this.verifierErrors = add({
      id: 'VerifierErrors',
      name: 'verifier-errors',
      meaning:
        'The verifier Lambda crashed or timed out, so FPT got a 5xx for those deliveries and will send them again.',
      metric: metrics.verifierErrors(),
      threshold: t.verifierErrors,
      comparisonOperator: AT_LEAST,
      evaluationPeriods: 1,
      treatMissingData: NOT_BREACHING,
    });
    this.apiServerErrors = add({
      id: 'ApiServerErrors',
      name: 'api-5xx',
      meaning:
        'The HTTP API answered FPT with 5xx responses (the verifier failing, throttled, or refusing with 503), so FPT is retrying those deliveries.',
      metric: metrics.apiServerErrors(),
      threshold: t.apiServerErrors,
      comparisonOperator: AT_LEAST,
      evaluationPeriods: 1,
      treatMissingData: NOT_BREACHING,
    });
    this.processorErrors = add({
      id: 'ProcessorErrors',
      name: 'processor-errors',
      meaning:
        'The processor Lambda itself failed (crash, timeout or bad configuration), so whole batches go back to the queue.',
      metric: metrics.processorErrors(),
      threshold: t.processorErrors,
      comparisonOperator: AT_LEAST,
      evaluationPeriods: 1,
      treatMissingData: NOT_BREACHING,
    });
    this.processorThrottles = add({
      id: 'ProcessorThrottles',
      name: 'processor-throttles',
      meaning: 'Lambda throttled the processor, so queued events wait longer before they are processed.',
      metric: metrics.processorThrottles(),
      threshold: t.processorThrottles,
      comparisonOperator: AT_LEAST,
      evaluationPeriods: 1,
      treatMissingData: NOT_BREACHING,
    });
    this.secretNotConfigured = add({
      id: 'SecretNotConfigured',
      name: 'verifier-secret-not-configured',
      meaning:
        "A subscription's signing secret is still the placeholder or empty, so the verifier answers 503 to every delivery for it.",
      metric: metrics.secretNotConfigured(),
      threshold: 1,
      comparisonOperator: AT_LEAST,
      evaluationPeriods: 1,
      treatMissingData: NOT_BREACHING,
    });
    this.secretMalformed = add({
      id: 'SecretMalformed',
      name: 'verifier-secret-malformed',
      meaning:
        "A subscription's stored signing secret is shorter than 32 characters or contains whitespace, so the verifier refuses to use it (503 for AWSCURRENT, ignored for AWSPREVIOUS).",
      metric: metrics.secretMalformed(),
      threshold: 1,
      comparisonOperator: AT_LEAST,
      evaluationPeriods: 1,
      treatMissingData: NOT_BREACHING,
    });
    this.rotationDue = add({
      id: 'RotationDue',
      name: 'rotation-due',
      meaning:
        'A scheduled rotation found no new FPT signing secret staged: the key is due to be rotated in FPT and stored here.',
      metric: metrics.rotationDue({ period: Duration.hours(1) }),
      threshold: 1,
      comparisonOperator: AT_LEAST,
      evaluationPeriods: 1,
      treatMissingData: NOT_BREACHING,
    });
    this.rotationFailed = add({
      id: 'RotationFailed',
      name: 'rotation-failed',
      meaning: 'A signing-secret rotation step failed, so the secret was not rotated.',
      metric: metrics.rotationFailed({ period: Duration.hours(1) }),
      threshold: 1,
      comparisonOperator: AT_LEAST,
      evaluationPeriods: 1,
      treatMissingData: NOT_BREACHING,
    });
    this.ledgerThrottles = add({
      id: 'LedgerThrottles',
      name: 'ledger-throttles',
      meaning:
        'DynamoDB throttled requests to the event ledger, slowing or failing deliveries and processing.',
      metric: metrics.ledgerThrottledRequests(),
      threshold: t.ledgerThrottledRequests,
      comparisonOperator: AT_LEAST,
      evaluationPeriods: 1,
      treatMissingData: NOT_BREACHING,
    });
    this.ledgerSystemErrors = add({
      id: 'LedgerSystemErrors',
      name: 'ledger-system-errors',
      meaning: 'DynamoDB answered requests to the event ledger with internal errors.',
      metric: metrics.ledgerSystemErrors(),
      threshold: t.ledgerSystemErrors,
      comparisonOperator: AT_LEAST,
      evaluationPeriods: 1,
      treatMissingData: NOT_BREACHING,
    });
    this.invalidEnvelopeParked = add({
      id: 'InvalidEnvelopeParked',
      name: 'verifier-invalid-envelope-parked',
      meaning:
        'An authentic delivery was parked in the ledger instead of queued, because its envelope was invalid or its eventId came again with a different body.',
      metric: metrics.invalidEnvelopeParked(),
      threshold: 1,
      comparisonOperator: AT_LEAST,
      evaluationPeriods: 1,
      treatMissingData: NOT_BREACHING,
    });
    this.scopeMismatch = add({
      id: 'ScopeMismatch',
      name: 'verifier-scope-mismatch',
      meaning:
        "An authentically signed delivery named an FPT organization or location outside its subscription's configured scope, so it was parked and not processed.",
      metric: metrics.scopeMismatch(),
      threshold: 1,
      comparisonOperator: AT_LEAST,
      evaluationPeriods: 1,
      treatMissingData: NOT_BREACHING,
    });
    if (t.ingestStoppedHours !== undefined) {
      this.ingestStopped = add({
        id: 'IngestStopped',
        name: 'verifier-ingest-stopped',
        meaning: `No delivery has reached the verifier for ${t.ingestStoppedHours} hours: FPT may have stopped sending, or cannot reach the endpoint.`,
        metric: metrics.received({ period: Duration.hours(1) }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: t.ingestStoppedHours,
        treatMissingData: BREACHING,
      });
    }
    this.all = all;

    if (props.topic !== undefined) this.addActions(new actions.SnsAction(props.topic));
  }

  /** Adds actions to every alarm, run when it goes to ALARM and when it returns to OK. */
  public addActions(...alarmActions: cloudwatch.IAlarmAction[]): void {
    for (const alarm of this.all) {
      alarm.addAlarmAction(...alarmActions);
      alarm.addOkAction(...alarmActions);
    }
  }

  private createAlarm(spec: AlarmSpec): cloudwatch.Alarm {
    return new cloudwatch.Alarm(this, spec.id, {
      alarmName: `${this.prefix}-${spec.name}`,
      alarmDescription: `${spec.meaning} Runbook: ${ALARM_RUNBOOK}#${spec.name}`,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: spec.comparisonOperator,
      evaluationPeriods: spec.evaluationPeriods,
      datapointsToAlarm: spec.datapointsToAlarm,
      treatMissingData: spec.treatMissingData,
    });
  }
}
