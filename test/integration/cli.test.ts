import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CloudFormationClient, CreateStackCommand, DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { main } from '../../cli/main';
import { STATE_DIR_ENV } from '../../cli/replay-run';
import type { FptEnvelope } from '../../lambda/shared/fpt-events';
import { EVENT_STATUS } from '../../lambda/shared/ledger-schema';
import { localClientConfig } from '../../local/aws';
import { findFreePort } from '../../local/emulator';
import { pollUntil } from '../../local/testkit/wait';
import { captureIo, runCli } from '../support/cli';
import { fptBody, type Harness, startHarness } from './support/harness';

jest.setTimeout(60_000);

/** The CLI in-process, with its arguments spread. */
const cli = (...argv: string[]) => runCli(argv);

const eventIdIn = (text: string): string => /eventId ([0-9a-f]{32})/.exec(text)?.[1] ?? '';

/** What each stack's handlers received, per eventId: the event and whether it was marked a test. */
type Received = Map<string, Array<{ readonly event: FptEnvelope; readonly isTest: boolean }>>;
const recorder = (received: Received) => (event: FptEnvelope, ctx: { readonly isTest: boolean }) => {
  received.set(event.eventId, [...(received.get(event.eventId) ?? []), { event, isTest: ctx.isTest }]);
};

/** A stack in the emulated CloudFormation whose outputs point at a harness, as a deployed stack's do. */
async function emulatedStack(harness: Harness, stackName: string): Promise<() => Promise<void>> {
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
      Placeholder: { Type: 'AWS::SQS::Queue', Properties: { QueueName: `${stackName}-placeholder` } },
    },
    Outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { Value: v }])),
  };
  await cloudFormation.send(
    new CreateStackCommand({ StackName: stackName, TemplateBody: JSON.stringify(template) }),
  );
  return async () => {
    await cloudFormation.send(new DeleteStackCommand({ StackName: stackName }));
    cloudFormation.destroy();
  };
}

describe('fpt-webhooks CLI against the local stack', () => {
  let harness: Harness;
  const receivedLocally: Received = new Map();

  beforeAll(async () => {
    // The CLI's --local target is the `local` namespace on FPT_EMULATOR_PORT, with the API on PORT.
    harness = await startHarness({
      name: 'cli',
      namespace: 'local',
      countHandlerCalls: true,
      behaviour: recorder(receivedLocally),
    });
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
    [['events', 'export', '--local'], 'exactly one eventId'],
    [['send-test-event', '--stack', 'X', '--body', 'event.json'], '--body sends a real event unmarked'],
    [['send-test-event', '--local', '--body', '/no/such/file.json'], 'cannot read --body /no/such/file.json'],
    [['send-test-event', '--local', '--body', 'f.json', '--event-id', '0'.repeat(32)], 'do not apply'],
    [['send-test-event', '--local', '--mark-test'], '--mark-test goes with --body FILE'],
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
    [['events', 'export', '--help']],
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
    const removeStack = await emulatedStack(harness, 'ItCliStack');
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
      await removeStack();
    }
  });
  // One process runs one receiver (the handler modules read their settings once), so the local stack
  // also plays production: a CloudFormation stack whose outputs name its resources is the --stack
  // target, and deleting an event's row after the export gives --local the fresh ledger npm start has.
  describe('a production event in the local stack', () => {
    let removeStack: () => Promise<void>;
    let production: Harness;
    const documents = () =>
      DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(harness.emulatorUrl)));
    const dir = mkdtempSync(path.join(tmpdir(), 'fpt-export-'));
    const stack = ['--stack', 'ItExportProduction', '--region', 'us-east-1'];
    // A real-looking body whose bytes matter: indented, keys in FPT's order, characters of 2 to 4 bytes.
    const productionBody = () => {
      const envelope = JSON.parse(fptBody('contact.updated'));
      envelope.data.firstName = 'Zoë Ångström 🏋️';
      return `${JSON.stringify(envelope, null, 2)}\n`;
    };

    beforeAll(async () => {
      production = harness;
      removeStack = await emulatedStack(harness, 'ItExportProduction');
    });
    afterAll(async () => {
      await removeStack?.();
    });

    it('exports the exact stored body of an event, to a file and to stdout', async () => {
      const body = productionBody();
      const eventId = JSON.parse(body).eventId;
      expect((await production.deliver(body)).status).toBe(202);
      await production.waitForStatus(eventId, EVENT_STATUS.processed);
      const file = path.join(dir, 'stdout-and-file.json');

      const toFile = await cli('events', 'export', eventId, ...stack, '--out', file);
      const captured = captureIo();
      const bytes: Uint8Array[] = [];
      const toStdout = await main(['events', 'export', eventId, ...stack], {
        ...captured.io,
        writeOut: (chunk) => bytes.push(chunk),
      });
      const again = await cli('events', 'export', eventId, ...stack, '--out', file);
      const shown = await cli('events', 'get', eventId, ...stack, '--json');

      expect(toFile.code).toBe(0);
      expect(readFileSync(file).equals(Buffer.from(body, 'utf8'))).toBe(true);
      expect(toStdout).toBe(0);
      expect(Buffer.concat(bytes).equals(Buffer.from(body, 'utf8'))).toBe(true);
      expect(again.code).toBe(1);
      expect(again.err).toContain('already exists');
      // events get shows the kept body's size, never the body itself.
      expect(JSON.parse(shown.out)).toMatchObject({ bodyBytes: Buffer.byteLength(body) });
      expect(shown.out).not.toContain('Ångström');
    });

    it('sends an exported body to the local stack re-signed, and the handler receives identical data, unmarked', async () => {
      const body = productionBody();
      const eventId = JSON.parse(body).eventId;
      await production.deliver(body);
      await production.waitForStatus(eventId, EVENT_STATUS.processed);
      const file = path.join(dir, `${eventId}.json`);
      await cli('events', 'export', eventId, ...stack, '--out', file);
      const inProduction = receivedLocally.get(eventId);
      const ledger = documents();
      await ledger.send(
        new DeleteCommand({ TableName: harness.running.stack.tableName, Key: { pk: eventId } }),
      );
      ledger.destroy();

      const sent = await cli('send-test-event', '--local', '--body', file, '--wait', '--timeout', '20');

      // The file holds no signature: a 202 means the CLI signed it with the local stack's secret.
      expect(sent).toMatchObject({ code: 0, err: '' });
      expect(sent.out).toContain('202 Accepted');
      expect(sent.out).toContain(`eventId ${eventId}`);
      expect(sent.out).toContain('unmarked');
      expect(inProduction).toEqual([{ event: JSON.parse(body), isTest: false }]);
      expect(receivedLocally.get(eventId)).toEqual([...(inProduction ?? []), ...(inProduction ?? [])]);
      expect((await harness.readRow(eventId))?.rawBody).toBe(body);
    });

    it('marks an exported body as a test event only when asked', async () => {
      const body = productionBody();
      const eventId = JSON.parse(body).eventId;
      const file = path.join(dir, `marked-${eventId}.json`);
      writeFileSync(file, body);

      const sent = await cli('send-test-event', '--local', '--body', file, '--mark-test', '--wait');

      expect(sent.code).toBe(0);
      expect(receivedLocally.get(eventId)?.map((r) => r.isTest)).toEqual([true]);
    });

    it('replays an event of a --stack target, and the handler receives it again', async () => {
      const body = productionBody();
      const eventId = JSON.parse(body).eventId;
      await production.deliver(body);
      await production.waitForStatus(eventId, EVENT_STATUS.processed);
      const saved = process.env[STATE_DIR_ENV];
      process.env[STATE_DIR_ENV] = dir;
      let replayed: Awaited<ReturnType<typeof cli>>;
      try {
        replayed = await cli('events', 'replay', eventId, ...stack, '--reason', 'stack target');
      } finally {
        if (saved === undefined) delete process.env[STATE_DIR_ENV];
        else process.env[STATE_DIR_ENV] = saved;
      }
      const { done } = await pollUntil(
        () => harness.readRow(eventId),
        (row) => row?.replayDone === 1,
        { deadline: Date.now() + 20_000 },
      );

      expect(replayed.code).toBe(0);
      expect(replayed.err).toContain('on stack ItExportProduction');
      expect(done).toBe(true);
      expect(receivedLocally.get(eventId)?.map((r) => r.event)).toEqual([JSON.parse(body), JSON.parse(body)]);
    });

    it('exports a body stored as base64 as its exact bytes', async () => {
      // Bytes that are not UTF-8 are kept as base64 (lambda/shared/ledger/stored-body.ts).
      const bytes = Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x0a, 0xc3, 0x7d]);
      const eventId = 'd'.repeat(32);
      const ledger = documents();
      await ledger.send(
        new PutCommand({
          TableName: harness.running.stack.tableName,
          Item: { pk: eventId, status: EVENT_STATUS.processed, rawBodyBase64: bytes.toString('base64') },
        }),
      );
      ledger.destroy();
      const file = path.join(dir, 'binary.bin');

      const result = await cli('events', 'export', eventId, '--local', '--out', file);

      expect(result.code).toBe(0);
      expect(readFileSync(file).equals(bytes)).toBe(true);
    });

    it('says why it has nothing to export when the row holds no body', async () => {
      const ledger = documents();
      const row = {
        status: EVENT_STATUS.processed,
        subscription: 'default',
        receivedAt: 1,
        expiresAt: 4_000_000_000,
      };
      const off = 'a'.repeat(32);
      const old = 'b'.repeat(32);
      await ledger.send(
        new PutCommand({
          TableName: harness.running.stack.tableName,
          Item: { pk: off, ...row, bodyNotKept: 'disabled' },
        }),
      );
      await ledger.send(
        new PutCommand({ TableName: harness.running.stack.tableName, Item: { pk: old, ...row } }),
      );
      ledger.destroy();

      const disabled = await cli('events', 'export', off, '--local', '--out', path.join(dir, 'off.json'));
      const predates = await cli('events', 'export', old, '--local', '--out', path.join(dir, 'old.json'));
      const missing = await cli(
        'events',
        'export',
        'c'.repeat(32),
        '--local',
        '--out',
        path.join(dir, 'c.json'),
      );

      expect(disabled.code).toBe(1);
      expect(disabled.err).toContain(
        'body retention was off when it arrived (config keepEventBodies: false)',
      );
      expect(predates.code).toBe(1);
      expect(predates.err).toContain('predates body retention');
      expect(missing.code).toBe(1);
      expect(missing.err).toContain('is not in the ledger');
    });
  });
});
