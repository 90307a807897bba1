import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type MessageAttributeValue, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EventLedger } from '../../lambda/shared/ledger';
import { EVENT_STATUS } from '../../lambda/shared/ledger-schema';
import { eventMessage, sha256Hex } from '../../lambda/shared/queue-message';
import { localClientConfig } from '../../local/aws';
import { sampleData } from '../../local/testkit/envelopes';
import { runCli } from '../support/cli';
import { pointCliAt } from './support/cli-env';
import { fptBody, type Harness, newEventId, PII_SENTINEL, sleep, startHarness } from './support/harness';

jest.setTimeout(90_000);

const DAY = 86_400_000;
const PII = 'pii-sentinel@example.com';

const idOf = (body: string): string => (JSON.parse(body) as { eventId: string }).eventId;
const jsonLines = (out: string) =>
  out
    .split('\n')
    .filter((line) => line !== '')
    .map(
      (line) =>
        JSON.parse(line) as { eventId: string; status: string; receivedAt: number } & Record<string, unknown>,
    );
const ids = (out: string) => jsonLines(out).map((row) => row.eventId);

describe('fpt-webhooks events list --local (the list index)', () => {
  let harness: Harness;
  let restoreEnv: () => void;
  let failing = '';
  /** Received today through the local API: created (default), updated (billing, contact 555), deleted (failing). */
  const today: Record<'created' | 'billing' | 'failing' | 'created_by_processor', string> = {
    created: '',
    billing: '',
    failing: '',
    created_by_processor: '',
  };
  /** Claimed one and two days ago (written by the ledger as the verifier writes them), oldest last. */
  const earlier: string[] = [];
  const now = Date.now();

  beforeAll(async () => {
    harness = await startHarness({
      name: 'events-list',
      config: { subscriptions: ['default', 'billing'] },
      // A failed event is retried after 30 s: it stays FAILED (not DEAD_LETTERED) while these tests run.
      visibilityTimeoutSeconds: 30,
      countHandlerCalls: true,
      behaviour: (event) => {
        if (event.eventId === failing) throw new Error('downstream system unavailable');
      },
    });
    restoreEnv = pointCliAt(harness);

    const created = fptBody('contact.created');
    today.created = idOf(created);
    expect((await harness.deliver(created)).status).toBe(202);
    await harness.waitForStatus(today.created, EVENT_STATUS.processed);
    await sleep(10);

    const billing = fptBody('contact.updated', {
      data: { ...sampleData('contact.updated', 555), email: PII_SENTINEL },
    } as never);
    today.billing = idOf(billing);
    expect((await harness.deliver(billing, 'billing')).status).toBe(202);
    await harness.waitForStatus(today.billing, EVENT_STATUS.processed);
    await sleep(10);

    const deleted = fptBody('contact.deleted');
    failing = idOf(deleted);
    today.failing = failing;
    expect((await harness.deliver(deleted)).status).toBe(202);
    await harness.waitForStatus(failing, EVENT_STATUS.failed);
    await sleep(10);

    // A message the verifier queued although its claim's row is gone (released after a lost SendMessage
    // answer, or expired): the processor creates the row, and it is listed like any other.
    const orphan = fptBody('contact.updated');
    today.created_by_processor = idOf(orphan);
    const message = eventMessage({
      text: orphan,
      bodySha256: sha256Hex(Buffer.from(orphan)),
      subscription: 'default',
      eventId: today.created_by_processor,
      eventType: 'contact.updated',
      receivedAtMs: Date.now(),
    });
    const sqs = new SQSClient(localClientConfig(harness.emulatorUrl));
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: harness.running.stack.queueUrl,
        MessageBody: message.body,
        MessageAttributes: message.attributes as Record<string, MessageAttributeValue>,
      }),
    );
    sqs.destroy();
    await harness.waitForStatus(today.created_by_processor, EVENT_STATUS.processed);

    // One authentic delivery whose envelope is invalid: parked, with personal data in its body.
    expect((await harness.deliver(JSON.stringify({ email: PII, eventType: 'NotAType' }))).status).toBe(202);

    // Earlier days: claims as the verifier wrote them then (still RECEIVED, never processed here).
    const client = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(harness.emulatorUrl)));
    const ledger = new EventLedger({ client, tableName: harness.running.stack.tableName, retentionDays: 30 });
    for (const receivedAt of [now - DAY, now - 2 * DAY - 1000, now - 2 * DAY - 2000]) {
      const eventId = newEventId();
      const claim = await ledger.claim({
        eventId,
        subscription: 'default',
        eventType: 'contact.status_changed',
        eventTimestamp: new Date(receivedAt).toISOString(),
        locationId: 1234,
        contactId: 777,
        bodySha256: 'a'.repeat(64),
        rawBody: Buffer.from('{}'),
        nowMs: receivedAt,
      });
      expect(claim.kind).toBe('claimed');
      earlier.push(eventId);
    }
    client.destroy();
  });
  afterAll(async () => {
    restoreEnv?.();
    await harness?.stop();
  });

  const newestFirst = () => [
    today.created_by_processor,
    today.failing,
    today.billing,
    today.created,
    ...earlier,
  ];

  it('lists every event newest first across days, without parked or ordering rows', async () => {
    const result = await runCli(['events', 'list', '--local', '--limit', '100', '--json']);

    expect(result.code).toBe(0);
    expect(ids(result.out)).toEqual(newestFirst());
    // The table holds more than events: the ordering guard's rows and the parked one.
    expect(await harness.scanCount()).toBeGreaterThan(newestFirst().length + 1);
    expect(result.out).not.toContain(PII);
  });

  it('lists a row the processor created (its claim row gone) with its receivedAt and status', async () => {
    const result = await runCli(['events', 'list', '--local', '--json', '--status', 'processed']);
    const row = jsonLines(result.out).find((r) => r.eventId === today.created_by_processor);

    expect(row).toMatchObject({ status: 'processed', subscription: 'default', eventType: 'contact.updated' });
    expect(row?.receivedAt).toBeGreaterThan(now);
  });

  it('filters by time range and type', async () => {
    const since = new Date(now - 2 * DAY - 1500).toISOString();
    const until = new Date(now - DAY + 1).toISOString();

    const range = await runCli(['events', 'list', '--local', '--json', '--since', since, '--until', until]);
    const typed = await runCli([
      'events',
      'list',
      '--local',
      '--json',
      '--type',
      'contact.status_changed,contact.created',
    ]);
    const recent = await runCli([
      'events',
      'list',
      '--local',
      '--json',
      '--since',
      '36h',
      '--type',
      'contact.status_changed',
    ]);

    expect(ids(range.out)).toEqual([earlier[0], earlier[1]]);
    expect(ids(typed.out)).toEqual([today.created, ...earlier]);
    expect(ids(recent.out)).toEqual([earlier[0]]);
  });

  it('filters by status, subscription and contact', async () => {
    const processed = await runCli(['events', 'list', '--local', '--json', '--status', 'PROCESSED']);
    const pending = await runCli(['events', 'list', '--local', '--json', '--status', 'failed,received']);
    const billing = await runCli(['events', 'list', '--local', '--json', '--subscription', 'billing']);
    const contact = await runCli(['events', 'list', '--local', '--json', '--contact', '555']);

    expect(ids(processed.out)).toEqual([today.created_by_processor, today.billing, today.created]);
    expect(ids(pending.out)).toEqual([today.failing, ...earlier]);
    expect(ids(billing.out)).toEqual([today.billing]);
    expect(jsonLines(contact.out)).toEqual([
      expect.objectContaining({ eventId: today.billing, contactId: 555, subscription: 'billing' }),
    ]);
  });

  it('pages across pages and days with the printed cursor, each event once', async () => {
    const seen: string[] = [];
    let args = ['events', 'list', '--local', '--limit', '2', '--json'];
    for (let page = 0; page < 10; page++) {
      const result = await runCli(args);
      expect(result.code).toBe(0);
      seen.push(...ids(result.out));
      const next = /^next page: fpt-webhooks (.*)$/m.exec(result.err)?.[1];
      if (next === undefined) break;
      args = next.split(' ');
    }

    expect(seen).toEqual(newestFirst());
  });

  it('prints a readable table with the next page command', async () => {
    const result = await runCli(['events', 'list', '--local', '--limit', '3']);

    expect(result.code).toBe(0);
    const lines = result.out.split('\n');
    expect(lines[0]).toMatch(
      /^RECEIVED \(UTC\)\s+STATUS\s+EVENT ID\s+TYPE\s+SUBSCRIPTION\s+CONTACT\s+ATTEMPTS$/,
    );
    expect(lines.slice(1, 4).map((l) => l.split(/\s+/)[2])).toEqual(newestFirst().slice(0, 3));
    expect(lines[4]).toMatch(
      /^3 events, newest first, more on the next page \(fpt-webhooks-it-events-list-\S+\)$/,
    );
    expect(lines[5]).toMatch(/^next page: fpt-webhooks events list --local --limit 3 --after [\w-]+$/);
  });

  it('lists parked deliveries for INVALID_ENVELOPE, with their problems but never their body', async () => {
    const result = await runCli(['events', 'list', '--local', '--status', 'invalid_envelope']);
    const json = await runCli(['events', 'list', '--local', '--status', 'INVALID_ENVELOPE', '--json']);

    expect(result.code).toBe(0);
    expect(result.out).toMatch(/\sparked#[0-9a-f]{64}\s+invalid_envelope\s+.*eventId/);
    expect(result.out).toContain('1 parked deliveries, newest first');
    expect(result.out + json.out).not.toContain(PII);
    expect(jsonLines(json.out)).toEqual([
      expect.objectContaining({ eventId: expect.stringMatching(/^parked#/), status: 'invalid_envelope' }),
    ]);
  });

  it('says so when nothing matches, and refuses a malformed cursor', async () => {
    const none = await runCli(['events', 'list', '--local', '--status', 'DEAD_LETTERED']);
    const bad = await runCli(['events', 'list', '--local', '--after', 'eyJub3QiOiJpdCJ9']);

    expect(none).toMatchObject({ code: 0, err: '' });
    expect(none.out).toMatch(/^no events in dead_lettered in fpt-webhooks-it-events-list-\S+$/);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--after must be the cursor a previous page printed/);
  });
});
