import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { newRunId, STATE_DIR_ENV, saveState, zeroCounts } from '../../cli/replay-run';
import type { HandlerContext } from '../../lambda/handlers/types';
import type { FptEnvelope } from '../../lambda/shared/fpt-events';
import { replayMessage, requestReplay } from '../../lambda/shared/ledger';
import { EVENT_STATUS, type EventRow } from '../../lambda/shared/ledger-schema';
import { localClientConfig } from '../../local/aws';
import { pollUntil } from '../../local/testkit/wait';
import { runCli } from '../support/cli';
import { cliEnvironment, pointCliAt } from './support/cli-env';
import { fptBody, type Harness, newEventId, startHarness } from './support/harness';

jest.setTimeout(120_000);

const ROOT = path.join(__dirname, '..', '..');
const MAX_RECEIVE_COUNT = 2;

/** What the handler received on each successful run, per eventId. */
type Runs = Map<string, Array<{ readonly event: FptEnvelope; readonly replay: unknown }>>;

describe('fpt-webhooks events replay on the local stack', () => {
  let harness: Harness;
  let restoreEnv: () => void;
  let documents: DynamoDBDocumentClient;
  const runs: Runs = new Map();
  const failing = new Set<string>();
  const stateDir = mkdtempSync(path.join(tmpdir(), 'fpt-replay-state-'));
  const savedStateDir = process.env[STATE_DIR_ENV];

  beforeAll(async () => {
    harness = await startHarness({
      name: 'replay',
      config: { maxReceiveCount: MAX_RECEIVE_COUNT },
      countHandlerCalls: true,
      pollers: 2,
      behaviour: (event: FptEnvelope, ctx: HandlerContext) => {
        if (failing.has(event.eventId)) throw new Error('handler bug');
        const replay = (ctx as { replay?: unknown }).replay;
        runs.set(event.eventId, [...(runs.get(event.eventId) ?? []), { event, replay }]);
      },
    });
    restoreEnv = pointCliAt(harness);
    process.env[STATE_DIR_ENV] = stateDir;
    documents = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(harness.emulatorUrl)));
  });
  afterAll(async () => {
    restoreEnv?.();
    if (savedStateDir === undefined) delete process.env[STATE_DIR_ENV];
    else process.env[STATE_DIR_ENV] = savedStateDir;
    documents?.destroy();
    await harness?.stop();
  });

  /** A PROCESSED row as the ledger keeps it, without a body. */
  const settledRow = (pk: string) => ({
    pk,
    status: EVENT_STATUS.processed,
    subscription: 'default',
    eventType: 'contact.updated',
    receivedAt: Date.now(),
    expiresAt: 4_000_000_000,
  });

  /** Puts `count` PROCESSED rows with their bodies, as the ledger holds handled events. */
  async function seedProcessed(count: number): Promise<string[]> {
    const ids = Array.from({ length: count }, () => newEventId());
    for (const pk of ids) {
      await documents.send(
        new PutCommand({
          TableName: harness.running.stack.tableName,
          Item: { ...settledRow(pk), rawBody: fptBody('contact.updated', { eventId: pk }) },
        }),
      );
    }
    return ids;
  }

  /** Runs the CLI in a real pseudo-terminal (test/support/pty-run.py), answering its prompt with `typed`. */
  function atTerminal(args: readonly string[], typed: string): Promise<{ exitCode: number; output: string }> {
    return new Promise((resolve, reject) => {
      const driver = spawn('python3', [path.join(ROOT, 'test', 'support', 'pty-run.py')], {
        cwd: ROOT,
        env: { ...process.env, ...cliEnvironment(harness), [STATE_DIR_ENV]: stateDir, NO_COLOR: '1' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      driver.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      driver.on('error', reject);
      driver.on('close', () => resolve(JSON.parse(stdout)));
      driver.stdin.end(
        JSON.stringify({
          command: [process.execPath, path.join(ROOT, 'cli', 'bin.cjs'), ...args],
          waitFor: '[y/N] ',
          chunks: [typed],
          timeoutSeconds: 60,
        }),
      );
    });
  }

  /** Delivers a fresh event and waits until it is processed; returns its id and body. */
  async function processedEvent(type = 'contact.updated'): Promise<{ eventId: string; body: string }> {
    const body = fptBody(type);
    const { eventId } = JSON.parse(body) as { eventId: string };
    expect((await harness.deliver(body)).status).toBe(202);
    await harness.waitForStatus(eventId, EVENT_STATUS.processed);
    return { eventId, body };
  }

  /** Waits until the processor has run replay `n` of the event (replayDone reaches n). */
  async function replayDone(eventId: string, n: number, timeoutMs = 20_000): Promise<EventRow> {
    const { done, value } = await pollUntil(
      () => harness.readRow(eventId),
      (row) => (row?.replayDone ?? 0) >= n && row?.status === EVENT_STATUS.processed,
      { deadline: Date.now() + timeoutMs },
    );
    if (!done || value === undefined) {
      throw new Error(
        `replay ${n} of ${eventId} did not run (status ${value?.status}, replayCount ${value?.replayCount}, replayDone ${value?.replayDone})`,
      );
    }
    return value;
  }

  it('replays a PROCESSED event by id: the handler runs again and the ledger shows the replay', async () => {
    const { eventId, body } = await processedEvent();
    const before = Date.now();

    const result = await runCli(['events', 'replay', eventId, '--local', '--reason', 'contact.updated fix']);
    const row = await replayDone(eventId, 1);
    const shown = await runCli(['events', 'get', eventId, '--local']);

    expect(result.code).toBe(0);
    expect(result.out).toMatch(/finished/);
    expect(result.out).toMatch(/^ +1 +replayed$/m);
    expect(row).toMatchObject({ replayCount: 1, replayDone: 1, lastReplayReason: 'contact.updated fix' });
    expect(row.lastReplayAt).toBeGreaterThanOrEqual(before);
    expect(harness.calls.get(eventId)).toBe(2);
    // The handler gets the same event both times, and knows the second is replay 1.
    expect(runs.get(eventId)?.map((r) => r.event)).toEqual([JSON.parse(body), JSON.parse(body)]);
    expect(runs.get(eventId)?.[1]?.replay).toMatchObject({ count: 1, reason: 'contact.updated fix' });
    expect(shown.out).toMatch(/^replayCount\s+1$/m);
    expect(shown.out).toMatch(/^lastReplayReason\s+contact\.updated fix$/m);
    expect(shown.out).toMatch(/^lastReplayAt\s+\d{4}-\d{2}-\d{2}T/m);
  });

  it('replays by filter: the events of one contact and type received in a time range, oldest first', async () => {
    const contactId = 900_000 + Math.floor(Math.random() * 99_999);
    const bodyFor = (type: string) => {
      const envelope = JSON.parse(fptBody(type));
      envelope.data.contactId = contactId;
      return JSON.stringify(envelope);
    };
    const chosen: string[] = [];
    for (const body of [bodyFor('contact.updated'), bodyFor('contact.updated'), bodyFor('contact.created')]) {
      const { eventId } = JSON.parse(body) as { eventId: string };
      expect((await harness.deliver(body)).status).toBe(202);
      await harness.waitForStatus(eventId, EVENT_STATUS.processed);
      chosen.push(eventId);
    }
    const other = chosen.pop() as string; // contact.created: not selected by --type
    const filter = ['--since', '10m', '--contact', String(contactId), '--type', 'contact.updated'];

    const dry = await runCli(['events', 'replay', ...filter, '--local', '--dry-run']);
    const result = await runCli(['events', 'replay', ...filter, '--local', '--reason', 'by filter']);
    await Promise.all(chosen.map((id) => replayDone(id, 1)));

    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(
      /2 events selected \(by filter: --since \S+ --type contact\.updated --contact \d+\), 2 would be replayed/,
    );
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^ +2 +replayed$/m);
    for (const id of chosen) expect(harness.calls.get(id)).toBe(2);
    expect((await harness.readRow(other))?.replayCount).toBeUndefined();
    expect(harness.calls.get(other)).toBe(1);
  });

  it('replays a DEAD_LETTERED event once its handler is fixed', async () => {
    const body = fptBody('contact.deleted');
    const { eventId } = JSON.parse(body) as { eventId: string };
    failing.add(eventId);
    await harness.deliver(body);
    await harness.waitForStatus(eventId, EVENT_STATUS.deadLettered, 30_000);
    failing.delete(eventId); // the fix is deployed

    const result = await runCli([
      'events',
      'replay',
      eventId,
      '--local',
      '--reason',
      'fixed the delete handler',
    ]);
    const row = await replayDone(eventId, 1);

    expect(result.code).toBe(0);
    expect(row).toMatchObject({ status: EVENT_STATUS.processed, replayCount: 1 });
    expect(harness.calls.get(eventId)).toBe(1);
  });

  it('--dry-run prints the count and a sample, and changes nothing', async () => {
    const { eventId } = await processedEvent();
    const missing = newEventId();

    const result = await runCli(['events', 'replay', eventId, missing, '--local', '--dry-run']);

    expect(result.code).toBe(0);
    expect(result.out).toContain('2 events selected (by id), 1 would be replayed');
    expect(result.out).toMatch(/1 +skipped, not in the ledger/);
    expect(result.out).toContain(eventId);
    expect((await harness.readRow(eventId))?.replayCount).toBeUndefined();
  });

  it('--dry-run reads more events than one BatchGetItem takes (100 keys)', async () => {
    const ids = Array.from({ length: 150 }, () => newEventId());

    const result = await runCli(['events', 'replay', ...ids, '--local', '--dry-run', '--json']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toMatchObject({ selected: 150, counts: { replayed: 0, notFound: 150 } });
  });

  it('refuses more than 10 events on a pipe without --yes, and replays nothing', async () => {
    const ids = await seedProcessed(11);

    const result = await runCli(['events', 'replay', ...ids, '--local', '--reason', 'x']);

    expect(result.code).toBe(2);
    expect(result.err).toContain('11 events selected, more than 10: confirm at a terminal, or add --yes');
    for (const pk of ids) expect((await harness.readRow(pk))?.replayCount).toBeUndefined();
  });

  it('asks at a terminal before replaying more than 10 events, and shows a progress bar', async () => {
    const declined = await seedProcessed(11);
    const accepted = await seedProcessed(11);

    const no = await atTerminal(['events', 'replay', ...declined, '--local', '--reason', 'tty'], 'n\r');
    const yes = await atTerminal(
      ['events', 'replay', ...accepted, '--local', '--reason', 'tty', '--rate', '50'],
      'y\r',
    );

    expect(no.exitCode).toBe(1);
    expect(no.output).toContain('nothing replayed');
    for (const pk of declined) expect((await harness.readRow(pk))?.replayCount).toBeUndefined();
    expect(yes.exitCode).toBe(0);
    expect(yes.output).toContain('replay 11 events (reason: tty)? [y/N]');
    // The bar is redrawn in place (carriage return, erase line) and ends full.
    expect(yes.output).toContain('\r\u001b[2K[########################] 11/11');
    expect(yes.output).toMatch(/11 +replayed/);
    for (const pk of accepted) expect((await harness.readRow(pk))?.replayCount).toBe(1);
  });

  it('says why it cannot replay events whose bodies were not kept (keepEventBodies: false)', async () => {
    const eventId = newEventId();
    await documents.send(
      new PutCommand({
        TableName: harness.running.stack.tableName,
        Item: { ...settledRow(eventId), bodyNotKept: 'disabled' },
      }),
    );

    const result = await runCli(['events', 'replay', eventId, '--local', '--reason', 'fix']);

    expect(result.code).toBe(1);
    expect(result.err).toContain('nothing to replay');
    expect(result.err).toContain('body retention was off (config keepEventBodies: false)');
    expect((await harness.readRow(eventId))?.replayCount).toBeUndefined();
  });

  it('runs the handler once per replay when copies of the replay message race each other', async () => {
    const { eventId } = await processedEvent();

    await runCli(['events', 'replay', eventId, '--local', '--reason', 'race']);
    // Two more copies of replay 1, as SQS may deliver a message twice, read by two pollers at once.
    const row = (await harness.readRow(eventId)) as EventRow;
    const built = replayMessage(row, 1);
    if (!('message' in built)) throw new Error(built.problem);
    const sqs = new SQSClient(localClientConfig(harness.emulatorUrl));
    await Promise.all(
      [1, 2].map(() =>
        sqs.send(
          new SendMessageCommand({
            QueueUrl: harness.running.stack.queueUrl,
            MessageBody: built.message.body,
            MessageAttributes: built.message.attributes,
          }),
        ),
      ),
    );
    sqs.destroy();
    await replayDone(eventId, 1);
    await pollUntil(
      () => harness.queueDepth(harness.running.stack.queueUrl),
      (depth) => depth === 0,
      { deadline: Date.now() + 20_000 },
    );

    expect(harness.calls.get(eventId)).toBe(2);
  });

  it('replays the largest body the verifier accepts, base64 on the queue, and the handler gets it intact', async () => {
    // U+FFFF is valid JSON but outside SQS's character set, so the message must carry base64.
    const envelope = JSON.parse(fptBody('contact.updated'));
    const skeleton = Buffer.byteLength(JSON.stringify({ ...envelope, pad: '' }));
    const body = JSON.stringify({
      ...envelope,
      pad: '\uFFFF'.repeat(Math.floor((256 * 1024 - skeleton) / 3)),
    });
    expect(256 * 1024 - Buffer.byteLength(body)).toBeLessThan(3);
    expect((await harness.deliver(body)).status).toBe(202);
    await harness.waitForStatus(envelope.eventId, EVENT_STATUS.processed, 20_000);

    const result = await runCli(['events', 'replay', envelope.eventId, '--local', '--reason', 'large']);
    await replayDone(envelope.eventId, 1);

    expect(result.code).toBe(0);
    expect(runs.get(envelope.eventId)?.map((r) => r.event)).toEqual([JSON.parse(body), JSON.parse(body)]);
  });

  it('re-sends a replay a crashed run requested but never sent, once', async () => {
    const { eventId } = await processedEvent();
    // The crash: the run recorded its request on the row, then died before SendMessage.
    const runId = newRunId(Date.now());
    await requestReplay(
      { client: documents, tableName: harness.running.stack.tableName },
      { eventId, runId, reason: 'crashed run', nowMs: Date.now() },
    );
    saveState(stateDir, {
      version: 1,
      runId,
      createdAt: new Date().toISOString(),
      reason: 'crashed run',
      tableName: harness.running.stack.tableName,
      targetFlags: '--local',
      selection: 'by id',
      eventIds: [eventId],
      next: 0,
      counts: zeroCounts(),
      examples: {},
      refusals: [],
    });

    const resumed = await runCli(['events', 'replay', '--resume', runId, '--local', '--json']);
    await replayDone(eventId, 1);
    const again = await runCli(['events', 'replay', '--resume', runId, '--local']);

    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.out).counts).toMatchObject({ replayed: 0, resent: 1 });
    expect(harness.calls.get(eventId)).toBe(2);
    expect((await harness.readRow(eventId))?.replayCount).toBe(1);
    expect(again.code).toBe(0);
    expect(again.err).toContain(`run ${runId} already finished`);
  });

  it('stops on Ctrl-C after the current event and a resume replays every event exactly once', async () => {
    const events = await Promise.all(Array.from({ length: 8 }, () => processedEvent('contact.created')));
    const ids = events.map((e) => e.eventId);
    const requested = async () =>
      (await Promise.all(ids.map((id) => harness.readRow(id)))).filter((r) => r?.replayCount === 1).length;

    // A real child process of the CLI, slowed down so Ctrl-C lands mid-run.
    const child = spawn(
      process.execPath,
      [
        path.join(ROOT, 'cli', 'bin.cjs'),
        'events',
        'replay',
        ...ids,
        '--local',
        '--yes',
        '--rate',
        '2',
        '--reason',
        'resume test',
      ],
      {
        cwd: ROOT,
        env: { ...process.env, ...cliEnvironment(harness), [STATE_DIR_ENV]: stateDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const started = await pollUntil(requested, (n) => n >= 3, { deadline: Date.now() + 60_000 });
    expect(started.done).toBe(true);
    child.kill('SIGINT');
    const code = await exited;
    const runId = /--resume (\S+)/.exec(stderr)?.[1] ?? '';
    const atStop = await requested();

    const resumed = await runCli(['events', 'replay', '--resume', runId, '--local', '--json']);
    await Promise.all(ids.map((id) => replayDone(id, 1)));
    const summary = JSON.parse(resumed.out) as { counts: Record<string, number> };

    expect(code).toBe(130);
    expect(stdout).toContain('stopped by Ctrl-C');
    expect(atStop).toBeLessThan(ids.length);
    expect(resumed.code).toBe(0);
    expect(atStop).toBeGreaterThanOrEqual(3);
    // The stopped run finished the event at hand and saved: the resume took up exactly the rest, and
    // the summary counts the whole run.
    expect(summary.counts).toMatchObject({ replayed: ids.length, resent: 0, alreadyDone: 0 });
    for (const id of ids) {
      expect(harness.calls.get(id)).toBe(2);
      expect((await harness.readRow(id))?.replayCount).toBe(1);
    }
  });
});
