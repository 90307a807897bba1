import { App, type CfnResource, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { FptWebhookReceiver } from '../../lib/fpt-webhook-receiver';
import { FptWebhookReceiverStack } from '../../lib/fpt-webhook-receiver-stack';
import { WebhookDashboard } from '../../lib/webhook-dashboard';
import { REJECT_REASONS } from '../../lib/webhook-metrics';

interface Widget {
  type: string;
  properties: {
    title?: string;
    markdown?: string;
    alarms?: unknown[];
    metrics?: unknown[][];
    stat?: string;
  };
}

function build() {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new FptWebhookReceiverStack(app, 'FptWebhookReceiver', { receiver: { dashboard: true } });
  const template = Template.fromStack(stack);
  const dashboards = template.findResources('AWS::CloudWatch::Dashboard');
  const [dashboard] = Object.values(dashboards) as Array<{ Properties: { DashboardBody: unknown } }>;
  if (dashboard === undefined) throw new Error('no dashboard');
  // The body is a Fn::Join of JSON text and tokens; joining the literal parts with a marker gives JSON.
  const join = (dashboard.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  const text = join.map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
  const body = JSON.parse(text) as { widgets: Widget[] };
  return { stack, template, body, text, dashboards };
}

function widget(body: { widgets: Widget[] }, title: string): Widget {
  const found = body.widgets.find((w) => w.properties.title === title);
  if (found === undefined) throw new Error(`no widget "${title}"`);
  return found;
}

/** The metric names a graph widget plots (each metric entry starts `[namespace, name, ...]`). */
function metricNames(w: Widget): string[] {
  return (w.properties.metrics ?? []).flatMap((entry) => {
    const last = entry[entry.length - 1] as { expression?: string } | undefined;
    if (typeof last === 'object' && last?.expression !== undefined) return [`expr:${last.expression}`];
    return typeof entry[1] === 'string' ? [entry[1] as string] : [];
  });
}

describe('the dashboard setting', () => {
  const synth = (dashboard?: boolean) => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new FptWebhookReceiverStack(app, 'FptWebhookReceiver', {
      ...(dashboard !== undefined ? { receiver: { dashboard } } : {}),
    });
    return Template.fromStack(stack);
  };
  const dashboardMetricsVariable = (template: Template) =>
    Object.values(template.findResources('AWS::Lambda::Function')).map(
      (fn) =>
        (fn as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }).Properties
          .Environment?.Variables?.FPT_DASHBOARD_METRICS,
    );

  test('by default creates no dashboard, no DashboardUrl output, and no function publishes dashboard-only series', () => {
    const template = synth();
    expect(Object.keys(template.findResources('AWS::CloudWatch::Dashboard'))).toHaveLength(0);
    expect(Object.keys(template.findOutputs('DashboardUrl'))).toHaveLength(0);
    expect(dashboardMetricsVariable(template).filter((v) => v !== undefined)).toEqual([]);
  });

  test('with dashboard: true creates the dashboard and lets the verifier and processor publish its series', () => {
    const template = synth(true);
    expect(Object.keys(template.findResources('AWS::CloudWatch::Dashboard'))).toHaveLength(1);
    expect(dashboardMetricsVariable(template).filter((v) => v === 'on')).toHaveLength(2);
  });
});

describe('WebhookDashboard', () => {
  const { stack, template, body, text, dashboards } = build();

  test('is created by the stack, named after the stack and the region', () => {
    expect(Object.keys(dashboards)).toHaveLength(1);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: { 'Fn::Join': ['', ['FptWebhookReceiver-', { Ref: 'AWS::Region' }]] },
    });
  });

  test('outputs its console URL', () => {
    template.hasOutput('DashboardUrl', {
      Value: {
        'Fn::Join': [
          '',
          [
            'https://console.aws.amazon.com/cloudwatch/home?region=',
            { Ref: 'AWS::Region' },
            '#dashboards/dashboard/FptWebhookReceiver-',
            { Ref: 'AWS::Region' },
          ],
        ],
      },
      Description: Match.anyValue(),
    });
  });

  test('shows the state of every alarm', () => {
    const status = body.widgets.find((w) => w.type === 'alarm');
    expect(status?.properties.alarms).toHaveLength(stack.receiver.alarms.all.length);
  });

  test('plots throughput: received (verifier invocations), enqueued and processed (summed over event types)', () => {
    const names = metricNames(widget(body, 'Throughput: received, enqueued, processed'));

    expect(names).toEqual(
      expect.arrayContaining(['Invocations', 'Enqueued', 'expr:SUM([p0, p1, p2, p3, p4, p5])']),
    );
  });

  test('plots rejects by every reason', () => {
    const w = widget(body, 'Rejects by reason');

    expect(metricNames(w).filter((n) => n === 'Rejected')).toHaveLength(REJECT_REASONS.length);
    for (const reason of REJECT_REASONS)
      expect(JSON.stringify(w.properties.metrics)).toContain(`"${reason}"`);
  });

  test('plots duplicates at the verifier and at the processor', () => {
    const w = widget(body, 'Duplicates');

    expect(metricNames(w)).toEqual(['Duplicate', 'Duplicate']);
    expect(JSON.stringify(w.properties.metrics)).toContain('"stage","processor"');
  });

  test('plots queue depth with the oldest message age, and the DLQ depth', () => {
    expect(metricNames(widget(body, 'Queue depth and oldest message age'))).toEqual([
      'ApproximateNumberOfMessagesVisible',
      'ApproximateNumberOfMessagesNotVisible',
      'ApproximateAgeOfOldestMessage',
    ]);
    expect(metricNames(widget(body, 'DLQ depth'))).toEqual(['ApproximateNumberOfMessagesVisible']);
  });

  test('plots end-to-end latency at p50 and p99', () => {
    const w = widget(body, 'End-to-end latency p50 and p99');

    expect(metricNames(w)).toEqual(['EndToEndLatency', 'EndToEndLatency']);
    const stats = (w.properties.metrics ?? []).map(
      (entry) => (entry[entry.length - 1] as { stat?: string }).stat,
    );
    expect(stats).toEqual(['p50', 'p99']);
  });

  test('plots errors: Lambda errors, API 5xx and handler failures', () => {
    expect(metricNames(widget(body, 'Errors: Lambda errors, API 5xx, handler failed'))).toEqual(
      expect.arrayContaining(['Errors', '5xx', 'HandlerFailed', 'DeadLettered']),
    );
  });

  test('points readers to the runbook', () => {
    expect(text).toContain('docs/runbooks/alarms.md');
  });

  test('references the stack’s own resources', () => {
    const verifierId = stack.getLogicalId(stack.receiver.verifier.node.defaultChild as CfnResource);
    const resolved = JSON.stringify(
      (Object.values(dashboards)[0] as { Properties: { DashboardBody: unknown } }).Properties.DashboardBody,
    );
    expect(resolved).toContain(verifierId);
  });
});

describe('WebhookDashboard as a construct of its own', () => {
  test('takes a name and leaves out the alarm widget when given no alarms', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'TestStack');
    const receiver = new FptWebhookReceiver(stack, 'Receiver');

    const dashboard = new WebhookDashboard(stack, 'Dash', {
      metrics: receiver.metrics,
      dashboardName: 'fpt-ops',
    });

    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: 'fpt-ops',
    });
    expect(stack.resolve(dashboard.url)).toEqual({
      'Fn::Join': [
        '',
        [
          'https://console.aws.amazon.com/cloudwatch/home?region=',
          { Ref: 'AWS::Region' },
          '#dashboards/dashboard/fpt-ops',
        ],
      ],
    });
    const body = JSON.stringify(
      Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard', {
        Properties: { DashboardName: 'fpt-ops' },
      }),
    );
    expect(body).not.toContain('\\"type\\":\\"alarm\\"');
  });
});
