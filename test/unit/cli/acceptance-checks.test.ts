import {
  type CheckResult,
  formatCheck,
  formatTally,
  judgeAlarms,
  judgeRotation,
  tally,
} from '../../../cli/acceptance-checks';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:FptStack-alarms';
const ROTATION_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:FptStack-RotationFn';

describe('judgeAlarms', () => {
  it('passes when every alarm is OK or INSUFFICIENT_DATA, and counts each state', () => {
    const result = judgeAlarms(
      [
        { AlarmName: 'FptStack-dlq-messages-visible', StateValue: 'OK' },
        { AlarmName: 'FptStack-api-5xx', StateValue: 'INSUFFICIENT_DATA' },
        { AlarmName: 'FptStack-rotation-failed', StateValue: 'INSUFFICIENT_DATA' },
      ],
      TOPIC,
    );

    expect(result).toEqual({
      name: 'alarms',
      status: 'pass',
      detail: 'all 3 in OK or INSUFFICIENT_DATA (1 OK, 2 INSUFFICIENT_DATA)',
    });
  });

  it('fails and names every alarm in ALARM', () => {
    const result = judgeAlarms(
      [
        { AlarmName: 'FptStack-dlq-messages-visible', StateValue: 'ALARM' },
        { AlarmName: 'FptStack-api-5xx', StateValue: 'OK' },
        { AlarmName: 'FptStack-rotation-failed', StateValue: 'ALARM' },
      ],
      TOPIC,
    );

    expect(result.status).toBe('fail');
    expect(result.detail).toBe(
      'FptStack-dlq-messages-visible is ALARM, FptStack-rotation-failed is ALARM: see its runbook (docs/runbooks/) before sending real traffic',
    );
  });

  it('fails when no alarm notifies the alarm topic', () => {
    expect(judgeAlarms([], TOPIC)).toMatchObject({
      status: 'fail',
      detail: `no CloudWatch alarm notifies ${TOPIC}: is the stack fully deployed?`,
    });
  });
});

describe('judgeRotation', () => {
  it('passes when rotation is enabled with a function, and says how often', () => {
    const result = judgeRotation('default', {
      Name: 'fpt-webhooks/FptStack/default',
      RotationEnabled: true,
      RotationLambdaARN: ROTATION_ARN,
      RotationRules: { AutomaticallyAfterDays: 90 },
    });

    expect(result).toEqual({
      name: 'rotation default',
      status: 'pass',
      detail: 'fpt-webhooks/FptStack/default rotates every 90 days with FptStack-RotationFn',
    });
  });

  it.each([
    ['rotation is not enabled', { RotationEnabled: false, RotationLambdaARN: ROTATION_ARN }],
    ['no rotation function is set', { RotationEnabled: true }],
    ['DescribeSecret says nothing about rotation', {}],
  ])('fails when %s', (_label, secret) => {
    const result = judgeRotation('default', { Name: 'fpt-webhooks/FptStack/default', ...secret });

    expect(result.status).toBe('fail');
    expect(result.detail).toContain('has no rotation configured');
  });

  it('fails when the secret is scheduled for deletion, even with rotation enabled', () => {
    const result = judgeRotation('billing', {
      Name: 'fpt-webhooks/FptStack/billing',
      RotationEnabled: true,
      RotationLambdaARN: ROTATION_ARN,
      DeletedDate: new Date('2026-11-01T00:00:00Z'),
    });

    expect(result).toMatchObject({ name: 'rotation billing', status: 'fail' });
    expect(result.detail).toContain('scheduled for deletion');
  });
});

describe('the report', () => {
  const results: CheckResult[] = [
    { name: 'alarms', status: 'skip', detail: 'no alarms here' },
    { name: 'dead-letter queue', status: 'pass', detail: 'empty' },
    { name: 'bad signature', status: 'fail', detail: 'expected 401, got 500' },
  ];

  it('prints one line per check, led by PASS, FAIL or SKIP', () => {
    expect(results.map(formatCheck)).toEqual([
      'SKIP  alarms: no alarms here',
      'PASS  dead-letter queue: empty',
      'FAIL  bad signature: expected 401, got 500',
    ]);
  });

  it('closes with N passed, N failed, and the skipped count only when there are skipped checks', () => {
    expect(formatTally(tally(results))).toBe('1 passed, 1 failed, 1 skipped');
    expect(formatTally(tally(results.filter((r) => r.status !== 'skip')))).toBe('1 passed, 1 failed');
  });
});
