import { CloudFormationClient, CreateStackCommand, DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import { EVENT_STATUS } from '../../lambda/shared/ledger-schema';
import { localClientConfig } from '../../local/aws';
import { findFreePort } from '../../local/emulator';
import { runCli } from '../support/cli';
import { type Harness, startHarness } from './support/harness';

jest.setTimeout(60_000);

/** The CLI in-process, with its arguments spread. */
const cli = (...argv: string[]) => runCli(argv);

const eventIdIn = (text: string): string => /eventId ([0-9a-f]{32})/.exec(text)?.[1] ?? '';

describe('fpt-webhooks CLI against the local stack', () => {
  let harness: Harness;

  beforeAll(async () => {
    // The CLI's --local target is the `local` namespace on FPT_EMULATOR_PORT, with the API on PORT.
    harness = await startHarness({ name: 'cli', namespace: 'local' });
    process.env.FPT_EMULATOR_PORT = new URL(harness.emulatorUrl).port;
    process.env.PORT = String(harness.running.server.port);
  });
  afterAll(async () => {
    await harness?.stop();
  });

  it('send-test-event --wait sends a signed event and waits until it is processed', async () => {
    const result = await cli(
      'send-test-event',
      '--local',
      '--type',
      'contact.deleted',
      '--wait',
      '--timeout',
      '20',
    );

    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toContain('202 Accepted');
    expect(result.out).toMatch(/^ {2}processed \(attempt 1\)/m);
    const row = await harness.readRow(eventIdIn(result.out));
    expect(row).toMatchObject({ status: EVENT_STATUS.processed, eventType: 'contact.deleted' });
  });

  it('events get --json prints the ledger row with eventId and status', async () => {
    const sent = await cli('send-test-event', '--local', '--wait');
    const eventId = eventIdIn(sent.out);

    const result = await cli('events', 'get', eventId.toUpperCase(), '--local', '--json');

    expect(result.code).toBe(0);
    // The check: the status of a handled event is `processed`.
    expect(JSON.parse(result.out)).toMatchObject({ eventId, status: 'processed', attempts: 1 });
  });

  it('events get prints a readable view', async () => {
    const sent = await cli('send-test-event', '--local', '--wait');

    const result = await cli('events', 'get', eventIdIn(sent.out), '--local');

    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^status\s+processed$/m);
    expect(result.out).toMatch(/^processedAt\s+\d{4}-\d{2}-\d{2}T/m);
  });

  it('send-test-event --event-id re-sends an eventId, which is answered as a duplicate', async () => {
    const first = await cli('send-test-event', '--local', '--wait');

    const again = await cli('send-test-event', '--local', '--event-id', eventIdIn(first.out));

    expect(again.code).toBe(0);
    expect(again.out).toContain('200 OK');
    expect(again.out).toContain('"status":"duplicate"');
  });

  it('fails with exit code 1 when the event is not in the ledger', async () => {
    const result = await cli('events', 'get', '0'.repeat(32), '--local');

    expect(result.code).toBe(1);
    expect(result.err).toContain('is not in the ledger');
  });

  it.each([
    [['send-test-event', '--local', '--type', 'contact.merged'], 'must be one of contact.created'],
    [
      ['send-test-event', '--local', '--type', 'Bad', '--allow-unknown-type'],
      'must look like <resource>.<verb>',
    ],
    [['send-test-event', '--local', '--timeout', 'soon'], '--timeout must be a number'],
    [['send-test-event', '--local', '--subscription', 'nope'], 'subscription must be one of "default"'],
    [['send-test-event', '--local', '--event-id', 'xyz'], '--event-id must be 32 hex characters'],
    [['send-test-event', '--local', '--colour'], "Unknown option '--colour'"],
    [['send-test-event'], 'choose a target'],
    [['send-test-event', '--local', '--stack', 'X'], 'not both'],
    [['events', 'get', 'not-an-id', '--local'], 'eventId must be 32 hex characters'],
    [['events', 'get', '--local'], 'exactly one eventId'],
    [['events', 'purge'], 'unknown events command'],
    [['deploy'], 'unknown command "deploy"'],
  ])('fails with exit code 2 and says why for %j', async (argv, message) => {
    const result = await cli(...argv);

    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
  });

  it.each([
    [['--help']],
    [['send-test-event', '--help']],
    [['events', '--help']],
    [['events', 'get', '--help']],
  ])('prints help for %j', async (argv) => {
    const result = await cli(...argv);

    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^Usage: fpt-webhooks/);
  });

  it('fails with exit code 1 and a hint when the local stack is not running', async () => {
    const saved = process.env.FPT_EMULATOR_PORT;
    process.env.FPT_EMULATOR_PORT = String(await findFreePort());
    try {
      const result = await cli('send-test-event', '--local');

      expect(result.code).toBe(1);
      expect(result.err).toContain('npm start');
    } finally {
      process.env.FPT_EMULATOR_PORT = saved;
    }
  });

  it('resolves --stack NAME from CloudFormation outputs (stack emulated by moto)', async () => {
    // Prepare: a stack whose outputs point at the local stack's resources, as a deployed one would.
    const cloudFormation = new CloudFormationClient(localClientConfig(harness.emulatorUrl));
    const outputs = {
      WebhookUrlDefault: harness.url('default'),
      SigningSecretNameDefault: harness.running.stack.secrets.default,
      LedgerTableName: harness.running.stack.tableName,
      QueueUrl: harness.running.stack.queueUrl,
      DeadLetterQueueUrl: harness.running.stack.deadLetterQueueUrl,
    };
    const template = {
      Resources: {
        Placeholder: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'it-cli-stack-placeholder' } },
      },
      Outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { Value: v }])),
    };
    await cloudFormation.send(
      new CreateStackCommand({ StackName: 'ItCliStack', TemplateBody: JSON.stringify(template) }),
    );
    try {
      // Act: the stack target uses the SDK's default chain, which AWS_ENDPOINT_URL points at the emulator.
      const sent = await cli('send-test-event', '--stack', 'ItCliStack', '--region', 'us-east-1', '--wait');
      const got = await cli(
        'events',
        'get',
        eventIdIn(sent.out),
        '--stack',
        'ItCliStack',
        '--region',
        'us-east-1',
        '--json',
      );
      const missing = await cli(
        'events',
        'get',
        '0'.repeat(32),
        '--stack',
        'NoSuchStack',
        '--region',
        'us-east-1',
      );

      // Assess
      expect(sent.code).toBe(0);
      expect(sent.out).toContain('stack ItCliStack');
      expect(JSON.parse(got.out)).toMatchObject({ status: 'processed' });
      expect(missing.code).toBe(1);
      expect(missing.err).toContain('could not read stack NoSuchStack');
    } finally {
      await cloudFormation.send(new DeleteStackCommand({ StackName: 'ItCliStack' }));
      cloudFormation.destroy();
    }
  });
});
