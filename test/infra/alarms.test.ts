import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, type CfnResource, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { METRICS_NAMESPACE } from '../../lambda/shared/observability';
import { ConfigValidationError } from '../../lib/config';
import { FptWebhookReceiver, type FptWebhookReceiverProps } from '../../lib/fpt-webhook-receiver';
import { FptWebhookReceiverStack } from '../../lib/fpt-webhook-receiver-stack';
import { ALARM_RUNBOOK, WebhookAlarms } from '../../lib/webhook-alarms';

const STACK = 'TestStack';

function build(props: FptWebhookReceiverProps = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, STACK);
  const receiver = new FptWebhookReceiver(stack, 'Receiver', props);
  return { stack, receiver, template: Template.fromStack(stack) };
}

const ref = (stack: Stack, construct: { node: { defaultChild?: unknown } }) => ({
  Ref: stack.getLogicalId(construct.node.defaultChild as CfnResource),
});
const queueName = (stack: Stack, construct: { node: { defaultChild?: unknown } }) => ({
  'Fn::GetAtt': [stack.getLogicalId(construct.node.defaultChild as CfnResource), 'QueueName'],
});

interface AlarmProps {
  AlarmName: string;
  AlarmDescription: string;
  ComparisonOperator: string;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  Threshold: number;
  TreatMissingData: string;
  AlarmActions: unknown[];
  OKActions: unknown[];
  MetricName?: string;
  Namespace?: string;
  Dimensions?: Array<{ Name: string; Value: unknown }>;
  Statistic?: string;
  ExtendedStatistic?: string;
  Period?: number;
  Metrics?: Array<{
    Id: string;
    Expression?: string;
    ReturnData?: boolean;
    MetricStat?: {
      Metric: { Namespace: string; MetricName: string; Dimensions?: Array<{ Name: string; Value: unknown }> };
      Period: number;
      Stat: string;
    };
  }>;
}

/** One metric an alarm reads, whichever form CloudFormation holds it in. */
interface ReadMetric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, unknown>;
  readonly statistic: string;
  readonly period: number;
}

const dims = (list: Array<{ Name: string; Value: unknown }> = []) =>
  Object.fromEntries(list.map((d) => [d.Name, d.Value]));

/** The metric of a single-metric alarm (top-level fields or a one-entry `Metrics` list). */
function singleMetric(alarm: AlarmProps): ReadMetric {
  if (alarm.MetricName !== undefined) {
    return {
      namespace: alarm.Namespace as string,
      metricName: alarm.MetricName,
      dimensions: dims(alarm.Dimensions),
      statistic: (alarm.Statistic ?? alarm.ExtendedStatistic) as string,
      period: alarm.Period as number,
    };
  }
  const entries = alarm.Metrics ?? [];
  expect(entries).toHaveLength(1);
  const stat = entries[0]?.MetricStat;
  if (stat === undefined) throw new Error(`${alarm.AlarmName} has no metric`);
  return {
    namespace: stat.Metric.Namespace,
    metricName: stat.Metric.MetricName,
    dimensions: dims(stat.Metric.Dimensions),
    statistic: stat.Stat,
    period: stat.Period,
  };
}

/** The expression of a metric-math alarm and its metrics by id. */
function mathAlarm(alarm: AlarmProps): { expression: string; metrics: Record<string, ReadMetric> } {
  const entries = alarm.Metrics ?? [];
  const returned = entries.filter((e) => e.ReturnData !== false);
  expect(returned).toHaveLength(1);
  const metrics: Record<string, ReadMetric> = {};
  for (const entry of entries) {
    if (entry.MetricStat === undefined) continue;
    expect(entry.ReturnData).toBe(false);
    metrics[entry.Id] = {
      namespace: entry.MetricStat.Metric.Namespace,
      metricName: entry.MetricStat.Metric.MetricName,
      dimensions: dims(entry.MetricStat.Metric.Dimensions),
      statistic: entry.MetricStat.Stat,
      period: entry.MetricStat.Period,
    };
  }
  return { expression: returned[0]?.Expression as string, metrics };
}

function alarms(template: Template): AlarmProps[] {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
    (resource) => (resource as { Properties: AlarmProps }).Properties,
  );
}

function alarm(template: Template, name: string): AlarmProps {
  const found = alarms(template).filter((a) => a.AlarmName === `${STACK}-${name}`);
  expect(found).toHaveLength(1);
  return found[0] as AlarmProps;
}

interface Evaluation {
  readonly threshold: number;
  readonly comparison: string;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm?: number;
  readonly missing: string;
}

function expectEvaluation(a: AlarmProps, e: Evaluation): void {
  expect({
    threshold: a.Threshold,
    comparison: a.ComparisonOperator,
    evaluationPeriods: a.EvaluationPeriods,
    datapointsToAlarm: a.DatapointsToAlarm,
    missing: a.TreatMissingData,
  }).toEqual({ datapointsToAlarm: undefined, ...e });
}

const VERIFIER = 'fpt-webhook-receiver-verifier';
const ROTATION = 'fpt-webhook-receiver-rotation';
const AT_LEAST = 'GreaterThanOrEqualToThreshold';
const ABOVE = 'GreaterThanThreshold';
const LEDGER_OPERATIONS = ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'];

/** GitHub's heading anchors: lowercase, punctuation other than `-` and `_` dropped, spaces to dashes. */
function githubAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const counts = new Map<string, number>();
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) inFence = !inFence;
    const heading = inFence ? null : /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = (heading[1] as string)
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = counts.get(base) ?? 0;
    counts.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

describe('WebhookAlarms', () => {
  describe('each alarm watches the right metric', () => {
    const { stack, receiver, template } = build();

    test('alarms when the DLQ holds a message, keeping its state when SQS stops publishing', () => {
      const a = alarm(template, 'dlq-messages-visible');

      expect(singleMetric(a)).toEqual({
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: queueName(stack, receiver.deadLetterQueue) },
        statistic: 'Maximum',
        period: 60,
      });
      expectEvaluation(a, { threshold: 1, comparison: AT_LEAST, evaluationPeriods: 1, missing: 'ignore' });
    });

    test('alarms when the oldest message of the work queue is older than 15 minutes', () => {
      const a = alarm(template, 'queue-oldest-message-age');

      expect(singleMetric(a)).toEqual({
        namespace: 'AWS/SQS',
        metricName: 'ApproximateAgeOfOldestMessage',
        dimensions: { QueueName: queueName(stack, receiver.queue) },
        statistic: 'Maximum',
        period: 300,
      });
      expectEvaluation(a, {
        threshold: 900,
        comparison: ABOVE,
        evaluationPeriods: 1,
        missing: 'notBreaching',
      });
    });

    test('alarms on the share of deliveries failing authentication, summing the reasons that have data', () => {
      const a = alarm(template, 'verifier-signature-failures');

      const { expression, metrics } = mathAlarm(a);
      const failures = 'SUM([badSignature, staleTimestamp, futureTimestamp])';
      expect(expression).toBe(`IF(${failures} >= 5, 100 * ${failures} / received, 0)`);
      const custom = (metricName: string, extra: Record<string, string> = {}) => ({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensions: { service: VERIFIER, ...extra },
        statistic: 'Sum',
        period: 300,
      });
      expect(metrics).toEqual({
        // Deliveries that reached the verifier: Lambda's own Invocations, no custom series.
        received: {
          namespace: 'AWS/Lambda',
          metricName: 'Invocations',
          dimensions: { FunctionName: ref(stack, receiver.verifier) },
          statistic: 'Sum',
          period: 300,
        },
        badSignature: custom('Rejected', { reason: 'bad_signature' }),
        staleTimestamp: custom('Rejected', { reason: 'stale_timestamp' }),
        futureTimestamp: custom('Rejected', { reason: 'future_timestamp' }),
      });
      expectEvaluation(a, {
        threshold: 10,
        comparison: ABOVE,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        missing: 'notBreaching',
      });
    });

    test.each([
      ['verifier-errors', 'verifier', 'Errors', 1],
      ['processor-errors', 'processor', 'Errors', 1],
      ['processor-throttles', 'processor', 'Throttles', 1],
    ] as const)('%s alarms on Lambda %s of the function', (name, fn, metricName, threshold) => {
      const a = alarm(template, name);

      expect(singleMetric(a)).toEqual({
        namespace: 'AWS/Lambda',
        metricName,
        dimensions: { FunctionName: ref(stack, receiver[fn]) },
        statistic: 'Sum',
        period: 300,
      });
      expectEvaluation(a, { threshold, comparison: AT_LEAST, evaluationPeriods: 1, missing: 'notBreaching' });
    });

    test('alarms on 5xx of the HTTP API stage', () => {
      const a = alarm(template, 'api-5xx');

      expect(singleMetric(a)).toEqual({
        namespace: 'AWS/ApiGateway',
        metricName: '5xx',
        dimensions: { ApiId: ref(stack, receiver.api), Stage: '$default' },
        statistic: 'Sum',
        period: 300,
      });
      expectEvaluation(a, {
        threshold: 5,
        comparison: AT_LEAST,
        evaluationPeriods: 1,
        missing: 'notBreaching',
      });
    });

    test.each([
      ['verifier-secret-not-configured', 'SecretNotConfigured', VERIFIER, 300],
      ['verifier-invalid-envelope-parked', 'InvalidEnvelopeParked', VERIFIER, 300],
      ['verifier-secret-malformed', 'SecretMalformed', VERIFIER, 300],
      ['verifier-scope-mismatch', 'ScopeMismatch', VERIFIER, 300],
      ['rotation-due', 'RotationDue', ROTATION, 3600],
      ['rotation-failed', 'RotationFailed', ROTATION, 3600],
    ] as const)('%s alarms on the first %s of service %s', (name, metricName, service, period) => {
      const a = alarm(template, name);

      expect(singleMetric(a)).toEqual({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensions: { service },
        statistic: 'Sum',
        period,
      });
      expectEvaluation(a, {
        threshold: 1,
        comparison: AT_LEAST,
        evaluationPeriods: 1,
        missing: 'notBreaching',
      });
    });

    test.each([
      ['ledger-throttles', 'ThrottledRequests', 5],
      ['ledger-system-errors', 'SystemErrors', 1],
    ] as const)(
      '%s sums %s of the ledger over the operations the functions use',
      (name, metricName, threshold) => {
        const a = alarm(template, name);

        const { expression, metrics } = mathAlarm(a);
        expect(expression).toBe('SUM([getitem, putitem, updateitem, deleteitem])');
        expect(metrics).toEqual(
          Object.fromEntries(
            LEDGER_OPERATIONS.map((operation) => [
              operation.toLowerCase(),
              {
                namespace: 'AWS/DynamoDB',
                metricName,
                dimensions: { Operation: operation, TableName: ref(stack, receiver.table) },
                statistic: 'Sum',
                period: 300,
              },
            ]),
          ),
        );
        expectEvaluation(a, {
          threshold,
          comparison: AT_LEAST,
          evaluationPeriods: 1,
          missing: 'notBreaching',
        });
      },
    );

    test('creates no ingest-stopped alarm by default', () => {
      expect(alarms(template).map((a) => a.AlarmName)).not.toContain(`${STACK}-verifier-ingest-stopped`);
      expect(receiver.alarms.ingestStopped).toBeUndefined();
    });

    test('creates exactly the alarms checked above and exposes them', () => {
      template.resourceCountIs('AWS::CloudWatch::Alarm', 15);
      expect(receiver.alarms.all).toHaveLength(15);
    });
  });

  describe('every alarm', () => {
    const { stack, receiver, template } = build({ alarms: { ingestStoppedHours: 6 } });
    const all = alarms(template);
    const topic = ref(stack, receiver.alarmTopic);

    test.each(all.map((a) => [a.AlarmName, a] as const))(
      '%s notifies the topic on ALARM and on OK',
      (_n, a) => {
        expect(a.AlarmActions).toEqual([topic]);
        expect(a.OKActions).toEqual([topic]);
      },
    );

    test.each(all.map((a) => [a.AlarmName, a] as const))(
      '%s is named <stack>-<resource>-<condition> and describes itself in one sentence plus its runbook',
      (name, a) => {
        const match = /^(?<meaning>[A-Z][\s\S]*?\.) Runbook: (?<runbook>[^#\s]+)#(?<anchor>[a-z0-9-]+)$/.exec(
          a.AlarmDescription,
        );
        expect(match?.groups).toBeDefined();
        const { meaning = '', runbook, anchor } = match?.groups ?? {};
        expect(name).toBe(`${STACK}-${anchor}`);
        expect(name).toMatch(/^TestStack-[a-z0-9]+(-[a-z0-9]+)+$/);
        expect(runbook).toBe(ALARM_RUNBOOK);
        // One sentence: a single full stop, at the end.
        expect(meaning.replace(/\.$/, '')).not.toMatch(/\.\s/);
        expect(a.AlarmDescription.length).toBeLessThanOrEqual(1024);
      },
    );

    test('links only to runbook sections that exist', () => {
      const markdown = fs.readFileSync(path.join(__dirname, '..', '..', ALARM_RUNBOOK), 'utf8');
      const anchors = githubAnchors(markdown);

      const linked = all.map((a) => a.AlarmDescription.split('#').pop() as string);

      expect(linked).toHaveLength(16);
      expect(linked.filter((anchor) => !anchors.has(anchor))).toEqual([]);
    });

    test('lists every alarm in the runbook thresholds table', () => {
      const markdown = fs.readFileSync(path.join(__dirname, '..', '..', ALARM_RUNBOOK), 'utf8');

      for (const a of all) expect(markdown).toContain(`| \`${a.AlarmName.replace(`${STACK}-`, '')}\``);
    });
  });

  describe('thresholds', () => {
    test('counts a period toward verifier-signature-failures only from signatureFailureMinCount failures on', () => {
      const { template: custom } = build({ alarms: { signatureFailureMinCount: 20 } });

      const { expression } = mathAlarm(alarm(custom, 'verifier-signature-failures'));

      expect(expression).toMatch(/^IF\(SUM\(\[[^\]]+\]\) >= 20, 100 \* SUM/);
    });

    test('refuses a signatureFailureMinCount below 1', () => {
      expect(() => build({ alarms: { signatureFailureMinCount: 0 } })).toThrow(
        'alarms.signatureFailureMinCount must be a whole number from 1 to 100000',
      );
    });

    test('takes thresholds from the alarms config', () => {
      const { template } = build({
        alarms: {
          deadLetterQueueMessages: 3,
          queueOldestMessageAgeSeconds: 1800,
          signatureFailureRatePercent: 25,
          verifierErrors: 2,
          apiServerErrors: 20,
          processorErrors: 4,
          processorThrottles: 6,
          ledgerThrottledRequests: 50,
          ledgerSystemErrors: 7,
        },
      });

      const thresholds = Object.fromEntries(alarms(template).map((a) => [a.AlarmName, a.Threshold]));
      expect(thresholds).toEqual({
        [`${STACK}-dlq-messages-visible`]: 3,
        [`${STACK}-queue-oldest-message-age`]: 1800,
        [`${STACK}-verifier-signature-failures`]: 25,
        [`${STACK}-verifier-errors`]: 2,
        [`${STACK}-api-5xx`]: 20,
        [`${STACK}-processor-errors`]: 4,
        [`${STACK}-processor-throttles`]: 6,
        [`${STACK}-ledger-throttles`]: 50,
        [`${STACK}-ledger-system-errors`]: 7,
        [`${STACK}-verifier-secret-not-configured`]: 1,
        [`${STACK}-rotation-due`]: 1,
        [`${STACK}-rotation-failed`]: 1,
        [`${STACK}-verifier-invalid-envelope-parked`]: 1,
        [`${STACK}-verifier-scope-mismatch`]: 1,
        [`${STACK}-verifier-secret-malformed`]: 1,
      });
    });

    test('alarms when nothing was received for ingestStoppedHours, treating silence as breaching', () => {
      const { stack, template, receiver } = build({ alarms: { ingestStoppedHours: 12 } });

      const a = alarm(template, 'verifier-ingest-stopped');
      expect(singleMetric(a)).toEqual({
        namespace: 'AWS/Lambda',
        metricName: 'Invocations',
        dimensions: { FunctionName: ref(stack, receiver.verifier) },
        statistic: 'Sum',
        period: 3600,
      });
      expectEvaluation(a, {
        threshold: 1,
        comparison: 'LessThanThreshold',
        evaluationPeriods: 12,
        missing: 'breaching',
      });
      expect(a.AlarmDescription).toContain('for 12 hours');
      expect(receiver.alarms.ingestStopped).toBeDefined();
    });

    test('reads thresholds from the fpt context of the stack', () => {
      const app = new App({
        context: { 'aws:cdk:bundling-stacks': [], fpt: { alarms: { apiServerErrors: 42 } } },
      });
      const stack = new FptWebhookReceiverStack(app, STACK);

      const a = alarm(Template.fromStack(stack), 'api-5xx');
      expect(a.Threshold).toBe(42);
    });

    test.each([
      [
        { queueOldestMessageAgeSeconds: 30 },
        'alarms.queueOldestMessageAgeSeconds must be a whole number from 60 to 345600, but 30 was provided',
      ],
      [
        { signatureFailureRatePercent: 101 },
        'alarms.signatureFailureRatePercent must be a whole number from 1 to 100',
      ],
      [
        { ingestStoppedHours: 169 },
        'alarms.ingestStoppedHours must be a whole number from 1 to 168, but 169 was provided',
      ],
      [
        { apiServerErrors: 0 },
        'alarms.apiServerErrors must be a whole number from 1 to 100000, but 0 was provided',
      ],
      [{ dlqMessages: 1 }, 'alarms.dlqMessages is not an alarm setting; use one of deadLetterQueueMessages'],
    ] as const)('fails with a fix-oriented ConfigValidationError for %j', (thresholds, message) => {
      const act = () => build({ alarms: thresholds as FptWebhookReceiverProps['alarms'] });

      expect(act).toThrow(ConfigValidationError);
      expect(act).toThrow(message);
    });

    test('fails when alarms is not an object', () => {
      expect(() => build({ alarms: 5 as never })).toThrow(
        'alarms must be an object such as {"queueOldestMessageAgeSeconds":1800}, but 5 was provided',
      );
    });
  });

  describe('as a construct of its own', () => {
    test('has no actions without a topic, and adds actions on ALARM and OK to every alarm', () => {
      // GIVEN
      const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), STACK);
      const receiver = new FptWebhookReceiver(stack, 'Receiver');
      const pager = new sns.Topic(stack, 'Pager', { enforceSSL: true });

      // WHEN
      new WebhookAlarms(stack, 'Plain', { metrics: receiver.metrics, alarmNamePrefix: 'plain' });
      const paged = new WebhookAlarms(stack, 'Paged', {
        metrics: receiver.metrics,
        alarmNamePrefix: 'paged',
      });
      paged.addActions(new actions.SnsAction(pager));

      // THEN
      const template = Template.fromStack(stack);
      const named = (prefix: string) =>
        Object.values(
          template.findResources('AWS::CloudWatch::Alarm', {
            Properties: { AlarmName: Match.stringLikeRegexp(`^${prefix}-`) },
          }),
        );
      expect(named('plain')).toHaveLength(15);
      for (const resource of named('plain')) {
        expect(resource.Properties.AlarmActions).toBeUndefined();
        expect(resource.Properties.OKActions).toBeUndefined();
      }
      expect(named('paged')).toHaveLength(15);
      for (const resource of named('paged')) {
        expect(resource.Properties.AlarmActions).toEqual([ref(stack, pager)]);
        expect(resource.Properties.OKActions).toEqual([ref(stack, pager)]);
      }
    });

    test('validates its thresholds before adding anything to the tree', () => {
      const { stack, receiver } = build();

      expect(
        () =>
          new WebhookAlarms(stack, 'Bad', { metrics: receiver.metrics, thresholds: { verifierErrors: -1 } }),
      ).toThrow('alarms.verifierErrors must be a whole number from 1 to 100000, but -1 was provided');
      expect(stack.node.tryFindChild('Bad')).toBeUndefined();
    });
  });
});

describe('AlarmTopic', () => {
  test('encrypts the topic with a rotating customer managed key that CloudWatch may use', () => {
    const { stack, receiver, template } = build();

    template.resourceCountIs('AWS::KMS::Key', 1);
    const keyId = stack.getLogicalId(receiver.alarmTopic.masterKey?.node.defaultChild as CfnResource);
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
  });

  test('denies publishing without TLS and lets only this account’s alarms publish', () => {
    const { stack, receiver, template } = build();
    const topic = ref(stack, receiver.alarmTopic);

    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topic],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: '*',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topic,
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': Match.anyValue() },
            },
          }),
        ]),
      },
    });
  });

  test('subscribes alarmEmail when it is configured', () => {
    const { stack, receiver, template } = build({ alarmEmail: 'ops@example.com' });

    template.resourceCountIs('AWS::SNS::Subscription', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: ref(stack, receiver.alarmTopic),
    });
  });

  test('has no subscription when alarmEmail is not configured', () => {
    const { template } = build();

    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  test('exports the topic ARN as a stack output for Slack or PagerDuty wiring', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new FptWebhookReceiverStack(app, 'FptWebhookReceiver');

    Template.fromStack(stack).hasOutput('AlarmTopicArn', {
      Value: { Ref: stack.getLogicalId(stack.receiver.alarmTopic.node.defaultChild as CfnResource) },
      Export: { Name: 'FptWebhookReceiver-AlarmTopicArn' },
      Description: Match.stringLikeRegexp('SNS topic'),
    });
  });
});
