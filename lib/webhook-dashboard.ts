import { Aws } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { physicalNamePrefix } from './physical-names';
import { ALARM_RUNBOOK } from './webhook-alarms';
import { PROCESSED_EVENT_TYPES, REJECT_REASONS, type WebhookMetrics } from './webhook-metrics';

/** Properties of a {@link WebhookDashboard}. */
export interface WebhookDashboardProps {
  /** The receiver's metrics. */
  readonly metrics: WebhookMetrics;
  /**
   * Alarms shown in the status widget at the top.
   * @default - no alarm status widget
   */
  readonly alarms?: readonly cloudwatch.IAlarm[];
  /**
   * Name of the dashboard. Dashboard names are global to the account, not per region.
   * @default - `<stackName>-<region>` for the dashboard with id `Dashboard` directly in its stack (as in
   * FptWebhookReceiverStack), else `<stackName>-<path in stack>-<region>`, so that two never collide
   */
  readonly dashboardName?: string;
}

const HEIGHT = 6;

/**
 * One CloudWatch dashboard for the receiver: throughput, rejects by reason, duplicates, queue and DLQ
 * depth, end-to-end latency, durations and errors, with the alarm states on top. Every widget reads
 * {@link WebhookMetrics}, so it shows exactly what the alarms watch.
 */
export class WebhookDashboard extends Construct {
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** Console URL of the dashboard. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: WebhookDashboardProps) {
    super(scope, id);
    const { metrics: m } = props;
    const dashboardName = props.dashboardName ?? `${physicalNamePrefix(this, 'Dashboard')}-${Aws.REGION}`;

    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', { dashboardName });
    this.url = `https://console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards/dashboard/${dashboardName}`;

    const graph = (title: string, width: number, options: Partial<cloudwatch.GraphWidgetProps>) =>
      new cloudwatch.GraphWidget({ title, width, height: HEIGHT, ...options });

    const header = new cloudwatch.TextWidget({
      width: props.alarms && props.alarms.length > 0 ? 8 : 24,
      height: HEIGHT,
      markdown: [
        '# FPT webhook receiver',
        'FPT → API → verifier → ledger → queue → processor → your handlers.',
        '',
        `Each alarm has a runbook section in \`${ALARM_RUNBOOK}\` named after it.`,
        'Metrics catalogue: `docs/observability.md`.',
      ].join('\n'),
    });
    this.dashboard.addWidgets(
      ...(props.alarms && props.alarms.length > 0
        ? [
            header,
            new cloudwatch.AlarmStatusWidget({
              title: 'Alarms',
              width: 16,
              height: HEIGHT,
              alarms: [...props.alarms],
            }),
          ]
        : [header]),
    );

    this.dashboard.addWidgets(
      graph('Throughput: received, enqueued, processed', 12, {
        left: [m.received(), m.enqueued(), m.processedTotal()],
        leftYAxis: { min: 0, label: 'Count' },
      }),
      graph('Rejects by reason', 12, {
        left: REJECT_REASONS.map((reason) => m.rejected(reason)),
        stacked: true,
        leftYAxis: { min: 0, label: 'Count' },
      }),
    );

    this.dashboard.addWidgets(
      graph('Duplicates', 8, {
        left: [m.duplicates('verifier'), m.duplicates('processor')],
        leftYAxis: { min: 0, label: 'Count' },
      }),
      graph('Processed by event type', 8, {
        left: PROCESSED_EVENT_TYPES.map((type) => m.processed(type)),
        stacked: true,
        leftYAxis: { min: 0, label: 'Count' },
      }),
      graph('Signature failures (% of received)', 8, {
        left: [m.signatureFailureRate()],
        leftYAxis: { min: 0, max: 100, label: '%' },
      }),
    );

    this.dashboard.addWidgets(
      graph('Queue depth and oldest message age', 12, {
        left: [m.queueMessagesVisible(), m.queueMessagesInFlight()],
        right: [m.queueOldestMessageAge()],
        leftYAxis: { min: 0, label: 'Messages' },
        rightYAxis: { min: 0, label: 'Seconds' },
      }),
      graph('DLQ depth', 12, {
        left: [m.deadLetterQueueMessagesVisible()],
        leftYAxis: { min: 0, label: 'Messages' },
      }),
    );

    this.dashboard.addWidgets(
      graph('End-to-end latency p50 and p99', 8, {
        left: [m.endToEndLatency('p50'), m.endToEndLatency('p99')],
        leftYAxis: { min: 0, label: 'ms' },
      }),
      graph('Verifier and handler duration', 8, {
        left: [m.verifierDuration('p50'), m.verifierDuration('p99'), m.handlerDuration('p99')],
        leftYAxis: { min: 0, label: 'ms' },
      }),
      graph('Errors: Lambda errors, API 5xx, handler failed', 8, {
        left: [
          m.verifierErrors(),
          m.processorErrors(),
          m.apiServerErrors(),
          m.handlerFailed(),
          m.deadLettered(),
        ],
        leftYAxis: { min: 0, label: 'Count' },
      }),
    );

    this.dashboard.addWidgets(
      graph('Throttles', 8, {
        left: [m.verifierThrottles(), m.processorThrottles(), m.ledgerThrottledRequests()],
        leftYAxis: { min: 0, label: 'Count' },
      }),
      graph('Secret refreshes, not configured, malformed', 8, {
        left: [
          m.secretRefreshes('AWSCURRENT'),
          m.secretRefreshes('AWSPREVIOUS'),
          m.secretNotConfigured(),
          m.secretMalformed(),
        ],
        leftYAxis: { min: 0, label: 'Count' },
      }),
      graph('Parked, stale, rotation', 8, {
        left: [
          m.invalidEnvelopeParked(),
          m.scopeMismatch(),
          m.staleEvents(),
          m.rotationDue(),
          m.rotationFailed(),
        ],
        leftYAxis: { min: 0, label: 'Count' },
      }),
    );
  }
}
