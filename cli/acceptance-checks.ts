/**
 * The judgements behind `fpt-webhooks acceptance` that need no network: what counts as a healthy alarm
 * set, a configured rotation, and how the results add up. Kept apart so unit tests reach every branch.
 */
import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';
import type { DescribeSecretCommandOutput } from '@aws-sdk/client-secrets-manager';

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  /** What was seen (pass, fail) or why the check cannot apply to this target (skip). */
  readonly detail: string;
}

const LABEL: Record<CheckStatus, string> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' };

/** One line per check: `PASS  name: detail`. */
export function formatCheck(result: CheckResult): string {
  return `${LABEL[result.status]}  ${result.name}: ${result.detail}`;
}

export interface Tally {
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
}

export function tally(results: readonly CheckResult[]): Tally {
  const count = (status: CheckStatus) => results.filter((r) => r.status === status).length;
  return { passed: count('pass'), failed: count('fail'), skipped: count('skip') };
}

/** The closing line: `N passed, N failed`, and the skipped ones when there are any. */
export function formatTally({ passed, failed, skipped }: Tally): string {
  return `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
}

/** An alarm's name and state, from DescribeAlarms (metric and composite alarms alike). */
export type AlarmState = Pick<MetricAlarm, 'AlarmName' | 'StateValue' | 'AlarmActions'>;

const HEALTHY_ALARM_STATES = new Set(['OK', 'INSUFFICIENT_DATA']);

/**
 * Every alarm must be OK or INSUFFICIENT_DATA (a fresh stack has no data yet). None at all is a
 * failure: every receiver has alarms, so something is not deployed as it should be.
 */
export function judgeAlarms(alarms: readonly AlarmState[], topicArn: string): CheckResult {
  const name = 'alarms';
  if (alarms.length === 0) {
    return {
      name,
      status: 'fail',
      detail: `no CloudWatch alarm notifies ${topicArn}: is the stack fully deployed?`,
    };
  }
  const unhealthy = alarms.filter((a) => !HEALTHY_ALARM_STATES.has(a.StateValue ?? ''));
  if (unhealthy.length > 0) {
    const list = unhealthy.map((a) => `${a.AlarmName} is ${a.StateValue ?? 'unknown'}`).join(', ');
    return {
      name,
      status: 'fail',
      detail: `${list}: see its runbook (docs/runbooks/) before sending real traffic`,
    };
  }
  const ok = alarms.filter((a) => a.StateValue === 'OK').length;
  return {
    name,
    status: 'pass',
    detail: `all ${alarms.length} in OK or INSUFFICIENT_DATA (${ok} OK, ${alarms.length - ok} INSUFFICIENT_DATA)`,
  };
}

/** A secret's rotation is configured when it is enabled, names a function, and the secret is not deleted. */
export function judgeRotation(
  subscription: string,
  secret: Pick<
    DescribeSecretCommandOutput,
    'Name' | 'RotationEnabled' | 'RotationLambdaARN' | 'RotationRules' | 'DeletedDate'
  >,
): CheckResult {
  const name = `rotation ${subscription}`;
  const id = secret.Name ?? 'the secret';
  if (secret.DeletedDate !== undefined) {
    return {
      name,
      status: 'fail',
      detail: `${id} is scheduled for deletion: restore it (aws secretsmanager restore-secret) or redeploy`,
    };
  }
  if (secret.RotationEnabled !== true || !secret.RotationLambdaARN) {
    return {
      name,
      status: 'fail',
      detail: `${id} has no rotation configured (RotationEnabled ${String(secret.RotationEnabled ?? false)}): redeploy the stack`,
    };
  }
  const days = secret.RotationRules?.AutomaticallyAfterDays;
  const schedule = secret.RotationRules?.ScheduleExpression;
  const every = days !== undefined ? `every ${days} days` : schedule !== undefined ? schedule : 'scheduled';
  const fn = secret.RotationLambdaARN.split(':').pop();
  return { name, status: 'pass', detail: `${id} rotates ${every} with ${fn}` };
}
