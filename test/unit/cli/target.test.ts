import { UsageError } from '../../../cli/errors';
import { receiversInOutputs, targetFromOutputs } from '../../../cli/target';

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

  it('reads the ledger retention from LedgerRetentionDays, and leaves it unknown for a stack without it', () => {
    expect(targetFromOutputs('S', outputs({ LedgerRetentionDays: '90' }), {}).ledgerRetentionDays).toBe(90);
    expect(targetFromOutputs('S', outputs(), {}).ledgerRetentionDays).toBeUndefined();
    expect(
      targetFromOutputs('S', outputs({ LedgerRetentionDays: 'x' }), {}).ledgerRetentionDays,
    ).toBeUndefined();
  });

  it('assumes the default grace window of 24 h and no alarm topic for a stack without those outputs', () => {
    const target = targetFromOutputs('S', outputs(), {});

    expect(target.previousSecretGraceHours).toBe(24);
    expect(target.alarmTopicArn).toBeUndefined();
    expect(target.flags).toBe('--stack S');
  });
});

describe('finding receivers in a stack', () => {
  const receiverOutputs = (prefix: string, id: string | undefined, secretPrefix: string) =>
    Object.entries({
      [`${prefix}WebhookUrlDefault`]: `https://${prefix || 'main'}.example/webhooks/default`,
      [`${prefix}SigningSecretNameDefault`]: `${secretPrefix}default`,
      [`${prefix}LedgerTableName`]: `${prefix}ledger`,
      [`${prefix}QueueUrl`]: `${prefix}q`,
      [`${prefix}DeadLetterQueueUrl`]: `${prefix}dlq`,
      ...(id !== undefined ? { [`${prefix}ReceiverId`]: id } : {}),
    }).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue }));

  it('finds a bare construct with any id by its prefixed outputs, whatever the stack is called', () => {
    const target = targetFromOutputs(
      'MyApp',
      receiverOutputs('Webhooks', 'Webhooks', 'fpt-webhooks/MyApp-Webhooks/'),
      {},
    );

    expect(target).toMatchObject({
      description: 'stack MyApp',
      flags: '--stack MyApp',
      tableName: 'Webhooksledger',
      queueUrl: 'Webhooksq',
      deadLetterQueueUrl: 'Webhooksdlq',
      subscriptions: ['default'],
      secretNamePrefix: 'fpt-webhooks/MyApp-Webhooks/',
    });
    expect(target.secretId('default')).toBe('fpt-webhooks/MyApp-Webhooks/default');
  });

  it('lists every receiver of a stack, the one of an older release included', () => {
    const outputs = [
      ...receiverOutputs('', undefined, 'fpt-webhooks/S/'),
      ...receiverOutputs('TeamsCrm', 'Teams/crm', 'fpt-webhooks/S-Teams-crm/'),
    ];

    expect(receiversInOutputs(outputs)).toEqual([
      { id: 'Receiver', prefix: '' },
      { id: 'Teams/crm', prefix: 'TeamsCrm' },
    ]);
  });

  it('refuses to guess when a stack holds two receivers, and lists them', () => {
    const outputs = [
      ...receiverOutputs('', 'Receiver', 'fpt-webhooks/S/'),
      ...receiverOutputs('Crm', 'Crm', 'fpt-webhooks/S-Crm/'),
    ];

    expect(() => targetFromOutputs('S', outputs, {})).toThrow(
      new UsageError(
        'stack S holds 2 receivers ("Crm", "Receiver"): choose one with --receiver ID, e.g. --receiver Crm',
      ),
    );
  });

  it('reads only the chosen receiver of a stack holding two, and keeps --receiver in its hints', () => {
    const outputs = [
      ...receiverOutputs('', 'Receiver', 'fpt-webhooks/S/'),
      ...receiverOutputs('Crm', 'Crm', 'fpt-webhooks/S-Crm/'),
    ];

    const main = targetFromOutputs('S', outputs, { region: 'eu-west-1' }, 'Receiver');
    const crm = targetFromOutputs('S', outputs, {}, 'Crm');

    expect(main).toMatchObject({
      description: 'stack S, receiver Receiver',
      flags: '--stack S --region eu-west-1 --receiver Receiver',
      tableName: 'ledger',
      secretNamePrefix: 'fpt-webhooks/S/',
    });
    expect(main.webhookUrl('default')).toBe('https://main.example/webhooks/default');
    expect(crm).toMatchObject({
      tableName: 'Crmledger',
      queueUrl: 'Crmq',
      flags: '--stack S --receiver Crm',
    });
    expect(crm.secretId('default')).toBe('fpt-webhooks/S-Crm/default');
  });

  it('names the receivers there are when --receiver names none of them', () => {
    const outputs = [
      ...receiverOutputs('', 'Receiver', 'fpt-webhooks/S/'),
      ...receiverOutputs('Crm', 'Crm', 'fpt-webhooks/S-Crm/'),
    ];

    expect(() => targetFromOutputs('S', outputs, {}, 'Billing')).toThrow(
      '--receiver must be one of "Crm", "Receiver" (the receivers of stack S), but "Billing" was provided',
    );
  });
});
