/**
 * The measured inputs of the cost model at the default configuration: the call-count test's blocks of
 * docs/cost.md and the alarm metrics of the synthesized default stack.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { resolveConfig } from '../lib/config';
import { FptWebhookReceiverStack } from '../lib/fpt-webhook-receiver-stack';
import {
  type CallCounts,
  type CostInputs,
  DASHBOARD_HAPPY_PATH_SERIES,
  type LogFigures,
  listIndexWritesPerNewEvent,
  readCostBlock,
} from './cost-model';

/** Metrics the stack's alarms read: one per plain alarm, one per metric of a metric-math alarm. */
export function alarmMetricsOfDefaultStack(): number {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const template = Template.fromStack(new FptWebhookReceiverStack(app, 'FptWebhookReceiver'));
  return Object.values(template.findResources('AWS::CloudWatch::Alarm')).reduce((sum, alarm) => {
    const metrics = (alarm.Properties as { Metrics?: Array<{ MetricStat?: unknown }> }).Metrics;
    return sum + (metrics === undefined ? 1 : metrics.filter((m) => m.MetricStat !== undefined).length);
  }, 0);
}

export function defaultCostInputs(projectRoot: string): CostInputs {
  const config = resolveConfig({});
  const calls = readCostBlock<CallCounts>(projectRoot, 'call-counts');
  return {
    calls,
    logs: readCostBlock<LogFigures>(projectRoot, 'log-bytes'),
    alarmMetrics: alarmMetricsOfDefaultStack(),
    xrayTracing: config.xrayTracing,
    dashboard: config.dashboard,
    dashboardSeries: DASHBOARD_HAPPY_PATH_SERIES,
    subscriptions: config.subscriptions.length,
    listIndexWritesPerEvent: listIndexWritesPerNewEvent(calls),
  };
}
