import { targetFromOutputs } from '../../../cli/target';

const outputs = (extra: Record<string, string> = {}) =>
  Object.entries({
    WebhookUrlDefault: 'https://api.example/webhooks/default',
    SigningSecretNameDefault: 'fpt-webhooks/S/default',
    WebhookUrlCrmSync: 'https://api.example/webhooks/crm-sync',
    SigningSecretNameCrmSync: 'fpt-webhooks/S/crm-sync',
    LedgerTableName: 'ledger',
    QueueUrl: 'q',
    DeadLetterQueueUrl: 'dlq',
    ...extra,
  }).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue }));

describe('targetFromOutputs', () => {
  it('reads the grace window and the alarm topic from the outputs', () => {
    const target = targetFromOutputs(
      'S',
      outputs({ PreviousSecretGraceHours: '6', AlarmTopicArn: 'arn:aws:sns:eu-west-1:1:t' }),
      { region: 'eu-west-1' },
    );

    expect(target).toMatchObject({
      kind: 'stack',
      flags: '--stack S --region eu-west-1',
      subscriptions: ['default', 'crm-sync'],
      previousSecretGraceHours: 6,
      alarmTopicArn: 'arn:aws:sns:eu-west-1:1:t',
    });
    expect(target.secretMaxAgeDays).toBeUndefined();
    expect(target.secretId('crm-sync')).toBe('fpt-webhooks/S/crm-sync');
  });

  it('assumes the default grace window of 24 h and no alarm topic for a stack without those outputs', () => {
    const target = targetFromOutputs('S', outputs(), {});

    expect(target.previousSecretGraceHours).toBe(24);
    expect(target.alarmTopicArn).toBeUndefined();
    expect(target.flags).toBe('--stack S');
  });
});
