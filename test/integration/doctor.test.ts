import { CloudFormationClient, CreateStackCommand, DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import { PurgeQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SECRET_PLACEHOLDER } from '../../lambda/shared/secret-placeholder';
import { localClientConfig } from '../../local/aws';
import { putSigningSecret } from '../../local/provision';
import { runCli } from '../support/cli';
import { pointCliAt } from './support/cli-env';
import { type Harness, startHarness } from './support/harness';

jest.setTimeout(60_000);

function snsClientInstalled(): boolean {
  try {
    require.resolve('@aws-sdk/client-sns');
    return true;
  } catch {
    return false;
  }
}

describe('fpt-webhooks doctor', () => {
  let harness: Harness;
  let restoreEnv: () => void;
  let sqs: SQSClient;

  beforeAll(async () => {
    harness = await startHarness({ name: 'doctor' });
    restoreEnv = pointCliAt(harness);
    sqs = new SQSClient(localClientConfig(harness.emulatorUrl));
  });
  afterAll(async () => {
    restoreEnv?.();
    sqs?.destroy();
    await harness?.stop();
  });

  it('exits 0 with ✓ lines when the local stack is healthy', async () => {
    const result = await runCli(['doctor', '--local']);

    expect(result.code).toBe(0);
    expect(result.out.split('\n').slice(1)).toEqual([
      expect.stringMatching(/^✓ secret default: configured \(set \d{4}-/),
      // cdk.json's default subscription is not bound to an FPT organization: only the partner knows it.
      expect.stringMatching(/^⚠ scope default: not bound to an FPT organization or location/),
      expect.stringMatching(/^✓ secret names: no secret under fpt-webhooks\/[^/]+\/ is left behind/),
      expect.stringMatching(
        /^✓ endpoint default: http:\/\/127\.0\.0\.1:\d+\/webhooks\/default answers 401 to an unsigned POST$/,
      ),
      '⚠ alarms: not checked: the local stack has no alarms',
      '✓ dead-letter queue: empty',
      // The emulator answers GetAccountSettings with AWS's default quota (local/moto_server.py).
      '✓ lambda concurrency: account quota 1000 concurrent executions, 1000 unreserved',
      'all checks passed (2 warnings)',
    ]);
  });

  it('exits 1 and names the fix when a secret is still the placeholder', async () => {
    const secretId = harness.running.stack.secrets.default as string;
    await putSigningSecret(harness.emulatorUrl, secretId, SECRET_PLACEHOLDER);
    try {
      const result = await runCli(['doctor', '--local']);

      expect(result.code).toBe(1);
      expect(result.out).toContain(
        '✗ secret default: not configured (still the placeholder): every delivery gets 503; run fpt-webhooks secret set default --local',
      );
      expect(result.out.split('\n').at(-1)).toMatch(/^1 problem found/);
    } finally {
      await putSigningSecret(harness.emulatorUrl, secretId, harness.secret);
    }
  });

  it('exits 1 when the dead-letter queue holds messages', async () => {
    const queueUrl = harness.running.stack.deadLetterQueueUrl;
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{}' }));
    try {
      const result = await runCli(['doctor', '--local']);

      expect(result.code).toBe(1);
      expect(result.out).toContain(
        '✗ dead-letter queue: 1 message: see why with fpt-webhooks events list --local',
      );
    } finally {
      await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    }
  });

  it('checks a deployed stack found by its outputs, including its alarm topic', async () => {
    // Prepare: a stack in the emulator whose outputs point at the harness's resources, as a deployed one would.
    const cloudFormation = new CloudFormationClient(localClientConfig(harness.emulatorUrl));
    const stack = harness.running.stack;
    const template = {
      Resources: {
        AlarmTopic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'it-doctor-alarms' } },
      },
      Outputs: {
        WebhookUrlDefault: { Value: harness.url('default') },
        SigningSecretNameDefault: { Value: stack.secrets.default },
        LedgerTableName: { Value: stack.tableName },
        QueueUrl: { Value: stack.queueUrl },
        DeadLetterQueueUrl: { Value: stack.deadLetterQueueUrl },
        PreviousSecretGraceHours: { Value: '24' },
        AlarmTopicArn: { Value: { Ref: 'AlarmTopic' } },
      },
    };
    await cloudFormation.send(
      new CreateStackCommand({ StackName: 'ItDoctorStack', TemplateBody: JSON.stringify(template) }),
    );
    try {
      // Act
      const result = await runCli(['doctor', '--stack', 'ItDoctorStack', '--region', 'us-east-1']);

      // Assess: the secret and endpoint checks pass; the alarm topic has no subscriber, or cannot be
      // checked without the SNS client.
      expect(result.out).toContain('checking stack ItDoctorStack');
      expect(result.out).toMatch(/^✓ secret default: configured/m);
      expect(result.out).toMatch(/^✓ endpoint default: /m);
      if (snsClientInstalled()) {
        expect(result.out).toContain('✗ alarms: no confirmed subscriber on arn:aws:sns:us-east-1:');
        expect(result.code).toBe(1);
      } else {
        expect(result.out).toContain('⚠ alarms: not checked: @aws-sdk/client-sns is not installed');
        expect(result.code).toBe(0);
      }
    } finally {
      await cloudFormation.send(new DeleteStackCommand({ StackName: 'ItDoctorStack' }));
      cloudFormation.destroy();
    }
  });
});
