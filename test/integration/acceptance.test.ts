import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PurgeQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { localClientConfig } from '../../local/aws';
import { queueCounts } from '../../local/testkit';
import { cliEnvironment } from './support/cli-env';
import { type Harness, startHarness } from './support/harness';

jest.setTimeout(90_000);

const ROOT = join(__dirname, '..', '..');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the real `fpt-webhooks` bin in a child process, as a partner runs it, against the harness's
 * stack. Asynchronous on purpose: the harness's API and pollers live in this process and must keep
 * serving while the CLI talks to them.
 */
function fptWebhooks(harness: Harness, ...args: string[]): Promise<Run> {
  const child = spawn(process.execPath, [join(ROOT, 'cli', 'bin.cjs'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...cliEnvironment(harness), NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 80_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// One harness for the file: its verifier and processor are module singletons of this jest worker.
let harness: Harness;
let sqs: SQSClient;
const testFlags = new Map<string, boolean>();
/** Milliseconds every handler call waits before it returns (0: none). */
let handlerDelayMs = 0;

beforeAll(async () => {
  harness = await startHarness({
    name: 'acceptance',
    countHandlerCalls: true,
    behaviour: async (event, ctx) => {
      testFlags.set(event.eventId, ctx.isTest);
      if (handlerDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, handlerDelayMs));
    },
  });
  sqs = new SQSClient(localClientConfig(harness.emulatorUrl));
});
afterAll(async () => {
  sqs?.destroy();
  await harness?.stop();
});

async function currentSecretVersion(): Promise<string | undefined> {
  const client = new SecretsManagerClient(localClientConfig(harness.emulatorUrl));
  try {
    const secretId = harness.running.stack.secrets.default as string;
    const out = await client.send(
      new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }),
    );
    return out.VersionId;
  } finally {
    client.destroy();
  }
}

describe('fpt-webhooks acceptance --local', () => {
  it('passes every check that applies, skips the two the emulator cannot answer with the reason, and exits 0', async () => {
    const versionBefore = await currentSecretVersion();

    const run = await fptWebhooks(harness, 'acceptance', '--local', '--timeout', '30');

    expect(run.stderr).not.toContain('error');
    expect(run.code).toBe(0);
    // It only reads the signing secret: AWSCURRENT is still the same version.
    expect(await currentSecretVersion()).toBe(versionBefore);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^acceptance of local stack \(emulator http:\/\/127\.0\.0\.1:\d+/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^SKIP {2}rotation default: the local stack has no rotation schedule/),
      expect.stringMatching(/^SKIP {2}alarms: the local stack has no CloudWatch alarms/),
      'PASS  dead-letter queue: empty',
      'PASS  current secret default: a test event signed with the stored AWSCURRENT secret: 202',
      expect.stringMatching(/^PASS {2}processed: test event [0-9a-f]{32} reached processed in \d+\.\d\d s$/),
      expect.stringMatching(/^PASS {2}duplicate: the same test event [0-9a-f]{32} again: 200$/),
      'PASS  bad signature: a test event signed with another key: 401',
      expect.stringMatching(
        /^PASS {2}unknown subscription: a POST to \/webhooks\/acceptance-[0-9a-f]{8}: 404$/,
      ),
      'PASS  oversize body: a 262145-byte body: 413',
      '7 passed, 0 failed, 2 skipped',
    ]);
  });

  it('sends only marked test events: every handler call it caused saw ctx.isTest', async () => {
    testFlags.clear();

    const run = await fptWebhooks(harness, 'acceptance', '--local', '--timeout', '30');

    expect(run.code).toBe(0);
    const processedId = /processed: test event ([0-9a-f]{32})/.exec(run.stdout)?.[1];
    expect(processedId).toBeDefined();
    expect(testFlags.get(processedId as string)).toBe(true);
    expect([...testFlags.values()].every((isTest) => isTest)).toBe(true);
  });

  it('fails the dead-letter queue check when a message is parked there, and exits 1', async () => {
    const queueUrl = harness.running.stack.deadLetterQueueUrl;
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{}' }));
    try {
      const run = await fptWebhooks(harness, 'acceptance', '--local', '--timeout', '30');

      expect(run.code).toBe(1);
      expect(run.stdout).toContain(
        'FAIL  dead-letter queue: 1 message: see why with fpt-webhooks events list --local --status DEAD_LETTERED',
      );
      expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('6 passed, 1 failed, 2 skipped');
      // It counts the DLQ's messages without receiving them: the parked message is still there, untouched.
      expect(await queueCounts(sqs, queueUrl)).toMatchObject({ visible: 1, inFlight: 0 });
    } finally {
      await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    }
  });

  it('reports on stderr that it is still waiting while the test event is slow to be processed', async () => {
    handlerDelayMs = 6_000;
    try {
      const run = await fptWebhooks(harness, 'acceptance', '--local', '--timeout', '30');

      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/^ {2}waiting for test event [0-9a-f]{32}: \w+ \(\d+\.\d\d s of 30 s\)$/m);
      expect(run.stdout).not.toContain('waiting');
    } finally {
      handlerDelayMs = 0;
    }
  });

  it('prints the results as JSON with --json', async () => {
    const run = await fptWebhooks(harness, 'acceptance', '--local', '--json', '--timeout', '30');

    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      checks: { name: string; status: string }[];
      passed: number;
      failed: number;
      skipped: number;
    };
    expect(report).toMatchObject({ passed: 7, failed: 0, skipped: 2 });
    expect(report.checks.map((c) => c.name)).toEqual([
      'rotation default',
      'alarms',
      'dead-letter queue',
      'current secret default',
      'processed',
      'duplicate',
      'bad signature',
      'unknown subscription',
      'oversize body',
    ]);
  });
});

describe('fpt-webhooks acceptance --stack', () => {
  const STACK = 'ItAcceptanceStack';
  const ALARMS = [`${STACK}-dlq-messages-visible`, `${STACK}-processor-errors`];
  const UNRELATED = 'someone-elses-alarm';
  let cloudFormation: CloudFormationClient;
  let cloudWatch: CloudWatchClient;

  const putAlarm = (name: string, actions: string[]) =>
    cloudWatch.send(
      new PutMetricAlarmCommand({
        AlarmName: name,
        Namespace: 'FptWebhookReceiver',
        MetricName: 'DeadLettered',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: actions,
      }),
    );

  beforeAll(async () => {
    cloudFormation = new CloudFormationClient(localClientConfig(harness.emulatorUrl));
    cloudWatch = new CloudWatchClient(localClientConfig(harness.emulatorUrl));
    // A stack in the emulator whose outputs point at the harness's resources, as a deployed one's would.
    // moto's CloudFormation cannot create alarms, so they are put beside it, notifying its alarm topic
    // as the receiver's alarms do; one more alarm, in ALARM, notifies something else.
    const stack = harness.running.stack;
    const template = {
      Resources: { AlarmTopic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: `${STACK}-alarms` } } },
      Outputs: {
        WebhookUrlDefault: { Value: harness.url('default') },
        SigningSecretNameDefault: { Value: stack.secrets.default },
        LedgerTableName: { Value: stack.tableName },
        QueueUrl: { Value: stack.queueUrl },
        DeadLetterQueueUrl: { Value: stack.deadLetterQueueUrl },
        AlarmTopicArn: { Value: { Ref: 'AlarmTopic' } },
      },
    };
    await cloudFormation.send(
      new CreateStackCommand({ StackName: STACK, TemplateBody: JSON.stringify(template) }),
    );
    const described = await cloudFormation.send(new DescribeStacksCommand({ StackName: STACK }));
    const topicArn = described.Stacks?.[0]?.Outputs?.find(
      (o) => o.OutputKey === 'AlarmTopicArn',
    )?.OutputValue;
    for (const name of ALARMS) await putAlarm(name, [topicArn as string]);
    await putAlarm(UNRELATED, [`${topicArn}-elsewhere`]);
    await cloudWatch.send(
      new SetAlarmStateCommand({ AlarmName: UNRELATED, StateValue: 'ALARM', StateReason: 'not ours' }),
    );
  });
  afterAll(async () => {
    await cloudWatch
      ?.send(new DeleteAlarmsCommand({ AlarmNames: [...ALARMS, UNRELATED] }))
      .catch(() => undefined);
    await cloudFormation?.send(new DeleteStackCommand({ StackName: STACK })).catch(() => undefined);
    cloudFormation?.destroy();
    cloudWatch?.destroy();
  });

  it("reads the state of the alarms on the stack's alarm topic and each secret's rotation, and fails what is not configured", async () => {
    const run = await fptWebhooks(
      harness,
      'acceptance',
      '--stack',
      STACK,
      '--region',
      'us-east-1',
      '--timeout',
      '30',
    );

    expect(run.stdout).toContain(`acceptance of stack ${STACK}`);
    // The emulator's secret has no rotation schedule: on --stack that is a failure, not a skip.
    expect(run.stdout).toMatch(
      /^FAIL {2}rotation default: .* has no rotation configured \(RotationEnabled false\): redeploy the stack$/m,
    );
    // Only the two alarms on the stack's topic count; the unrelated one in ALARM does not.
    expect(run.stdout).toMatch(/^PASS {2}alarms: all 2 in OK or INSUFFICIENT_DATA/m);
    expect(run.stdout).toMatch(/^PASS {2}processed: test event [0-9a-f]{32} reached processed/m);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('8 passed, 1 failed');
    expect(run.code).toBe(1);
  });

  it('fails the alarms check and names the alarm of the stack that is in ALARM', async () => {
    await cloudWatch.send(
      new SetAlarmStateCommand({ AlarmName: ALARMS[1], StateValue: 'ALARM', StateReason: 'acceptance test' }),
    );
    try {
      const run = await fptWebhooks(
        harness,
        'acceptance',
        '--stack',
        STACK,
        '--region',
        'us-east-1',
        '--timeout',
        '30',
      );

      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(new RegExp(`^FAIL {2}alarms: ${ALARMS[1]} is ALARM: see its runbook`, 'm'));
    } finally {
      await cloudWatch.send(
        new SetAlarmStateCommand({ AlarmName: ALARMS[1], StateValue: 'OK', StateReason: 'reset' }),
      );
    }
  });
});
