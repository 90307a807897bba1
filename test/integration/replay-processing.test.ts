import { randomInt } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { HandlerContext } from '../../lambda/handlers/types';
import { replayMessage, requestReplay } from '../../lambda/shared/ledger';
import { EVENT_STATUS, type EventRow } from '../../lambda/shared/ledger-schema';
import { localClientConfig } from '../../local/aws';
import { pollUntil } from '../../local/testkit/wait';
import { fptBody, type Harness, newEventId, sleep, startHarness } from './support/harness';

jest.setTimeout(90_000);

const MAX_RECEIVE_COUNT = 2;
/** How long the handler takes for the events of the race case, so two copies overlap. */
const SLOW_HANDLER_MS = 800;

/**
 * The processor's side of `fpt-webhooks events replay`, through the real processor on the emulator:
 * the request is requestReplay's conditional UpdateItem and the message replayMessage's, sent to the
 * work queue as the CLI sends it.
 */
describe('local stack: replays through the processor', () => {
  let harness: Harness;
  let sqs: SQSClient;
  let ddb: DynamoDBDocumentClient;
  const failing = new Set<string>();
  const slow = new Set<string>();
  /** Every context a handler was started with, per eventId, in order. */
  const contexts = new Map<string, HandlerContext[]>();

  beforeAll(async () => {
    harness = await startHarness({
      name: 'replay',
      config: { maxReceiveCount: MAX_RECEIVE_COUNT, processorBatchSize: 1 },
      visibilityTimeoutSeconds: 1,
      countHandlerCalls: true,
      // Two pollers with one record each: two copies of one message can run at the same time.
      pollers: 2,
      behaviour: async (event, ctx) => {
        contexts.set(event.eventId, [...(contexts.get(event.eventId) ?? []), ctx]);
        if (slow.has(event.eventId)) await sleep(SLOW_HANDLER_MS);
        if (failing.has(event.eventId)) throw new Error('downstream system unavailable');
      },
    });
    sqs = new SQSClient(localClientConfig(harness.emulatorUrl));
    ddb = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(harness.emulatorUrl)), {
      marshallOptions: { removeUndefinedValues: true },
    });
  });
  afterAll(async () => {
    await harness?.stop();
    sqs?.destroy();
    ddb?.destroy();
  });

  const table = () => ({ client: ddb, tableName: harness.running.stack.tableName });

  /** Requests a replay as the CLI does; resolves to n and the message to send. */
  async function request(eventId: string, reason: string, runId: string) {
    const requested = await requestReplay(table(), { eventId, reason, runId, nowMs: Date.now() });
    if (requested.kind !== 'requested') throw new Error(`replay not requested: ${requested.kind}`);
    const built = replayMessage(requested.row, requested.count);
    if ('problem' in built) throw new Error(built.problem);
    return { n: requested.count, message: built.message };
  }

  const send = (message: { body: string; attributes: Record<string, unknown> }) =>
    sqs.send(
      new SendMessageCommand({
        QueueUrl: harness.running.stack.queueUrl,
        MessageBody: message.body,
        MessageAttributes: message.attributes as never,
      }),
    );

  async function waitForRow(eventId: string, until: (row: EventRow | undefined) => boolean, what: string) {
    const { done, value } = await pollUntil(() => harness.readRow(eventId), until, {
      deadline: Date.now() + 20_000,
    });
    if (!done) throw new Error(`event ${eventId}: ${what} not reached (row: ${value?.status ?? 'none'})`);
    return value as EventRow;
  }

  /** Until both queues hold nothing of this test in flight. */
  async function drained(): Promise<void> {
    const { done } = await pollUntil(
      async () => harness.queueDepth(harness.running.stack.queueUrl),
      (depth) => depth === 0,
      { deadline: Date.now() + 20_000 },
    );
    if (!done) throw new Error('work queue not drained');
  }

  async function delivered(body: string): Promise<string> {
    const { eventId } = JSON.parse(body) as { eventId: string };
    expect((await harness.deliver(body)).status).toBe(202);
    return eventId;
  }

  it('runs the handler of a PROCESSED event once more, with ctx.replay and the replay idempotency key', async () => {
    const eventId = await delivered(fptBody('contact.updated'));
    await harness.waitForStatus(eventId, EVENT_STATUS.processed);

    const { n, message } = await request(eventId, 'handler fix 2.1.0', 'run-processed');
    await send(message);
    const row = await waitForRow(eventId, (r) => r?.replayDone === n, 'replayDone 1');
    await drained();

    expect(n).toBe(1);
    expect(harness.calls.get(eventId)).toBe(2);
    const [first, replay] = contexts.get(eventId) ?? [];
    expect(first?.replay).toBeUndefined();
    expect(first?.idempotencyKey).toBe(eventId);
    expect(replay?.replay).toEqual({
      count: 1,
      reason: 'handler fix 2.1.0',
      requestedAt: new Date(row.lastReplayAt as number).toISOString(),
    });
    expect(replay?.idempotencyKey).toBe(`${eventId}:replay:1`);
    expect(row).toMatchObject({ status: EVENT_STATUS.processed, replayCount: 1, replayDone: 1, attempts: 2 });
  });

  it('runs the handler of a DEAD_LETTERED event for a replay and records it PROCESSED', async () => {
    const body = fptBody('contact.deleted');
    const { eventId } = JSON.parse(body) as { eventId: string };
    failing.add(eventId);
    await delivered(body);
    await harness.waitForStatus(eventId, EVENT_STATUS.deadLettered, 20_000);
    failing.delete(eventId);

    const { n, message } = await request(eventId, 'downstream fixed', 'run-dead');
    await send(message);
    const row = await waitForRow(eventId, (r) => r?.status === EVENT_STATUS.processed, 'PROCESSED');
    await drained();

    expect(harness.calls.get(eventId)).toBe(1);
    expect(contexts.get(eventId)?.at(-1)?.replay).toMatchObject({ count: n, reason: 'downstream fixed' });
    expect(row).toMatchObject({ replayCount: 1, replayDone: 1, attempts: MAX_RECEIVE_COUNT + 1 });
    expect(row.lastError).toBeUndefined();
  });

  it('runs a replay once when two copies of its message are processed at the same time', async () => {
    const eventId = await delivered(fptBody('contact.status_changed'));
    await harness.waitForStatus(eventId, EVENT_STATUS.processed);
    slow.add(eventId);

    // Two copies at once: an SQS redelivery, or a resumed run's re-send after a lost answer.
    const { n, message } = await request(eventId, 'race', 'run-race');
    await Promise.all([send(message), send(message)]);
    await waitForRow(eventId, (r) => r?.replayDone === n, 'replayDone 1');
    await drained();
    await sleep(1500);

    expect(harness.calls.get(eventId)).toBe(2);
    expect(contexts.get(eventId)?.filter((ctx) => ctx.replay?.count === n)).toHaveLength(1);
    // The copies did race: one found the other's live lease and was retried, then found the replay done.
    const lines = harness.logRecords().processor.filter((line) => line.eventId === eventId);
    expect(lines.some((line) => String(line.message).startsWith('event is being processed'))).toBe(true);
    expect(
      lines.some((line) => line.message === 'duplicate: this replay already ran, skipping handler'),
    ).toBe(true);
    expect(await harness.readRow(eventId)).toMatchObject({ status: EVENT_STATUS.processed, replayDone: 1 });
  });

  it('tells a replay of an older event that it is stale once a newer one of the contact was processed, and the newest not', async () => {
    // A location of its own, so no other case moves this contact's high-water mark.
    const locationId = randomInt(100_000, 1_000_000);
    const now = Date.now();
    const olderBody = fptBody('contact.updated', {
      locationId,
      eventTimestamp: new Date(now - 60_000).toISOString(),
    });
    const newerBody = fptBody('contact.updated', {
      locationId,
      eventTimestamp: new Date(now - 30_000).toISOString(),
    });
    const older = await delivered(olderBody);
    await harness.waitForStatus(older, EVENT_STATUS.processed);
    const newer = await delivered(newerBody);
    await harness.waitForStatus(newer, EVENT_STATUS.processed);

    const olderReplay = await request(older, 'guard', 'run-guard');
    await send(olderReplay.message);
    await waitForRow(older, (r) => r?.replayDone === 1, 'replayDone 1');
    const newerReplay = await request(newer, 'guard', 'run-guard');
    await send(newerReplay.message);
    await waitForRow(newer, (r) => r?.replayDone === 1, 'replayDone 1');

    const [olderFirst, olderAgain] = contexts.get(older) ?? [];
    const [, newerAgain] = contexts.get(newer) ?? [];
    expect(olderFirst?.isStale).toBe(false);
    expect(olderAgain).toMatchObject({
      isStale: true,
      highWaterMark: new Date(now - 30_000).toISOString(),
      replay: { count: 1 },
    });
    expect(newerAgain).toMatchObject({ isStale: false, replay: { count: 1 } });
    // The handler ran either way: the guard informs, it does not skip.
    expect(harness.calls.get(older)).toBe(2);
    expect(harness.calls.get(newer)).toBe(2);
  });

  it('never runs a replay of an event the ledger does not hold, creates no row, and keeps the message in the DLQ', async () => {
    // The message of a replay whose row is gone: built from a row as it stood, which the table no longer holds.
    const eventId = newEventId();
    const body = fptBody('contact.created', { eventId });
    const built = replayMessage(
      {
        pk: eventId,
        status: EVENT_STATUS.processed,
        subscription: 'default',
        eventType: 'contact.created',
        rawBody: body,
        receivedAt: Date.now(),
        expiresAt: 0,
      },
      1,
    );
    if ('problem' in built) throw new Error(built.problem);

    await send(built.message);
    const parked = await pollUntil(
      () =>
        sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: harness.running.stack.deadLetterQueueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
            MessageAttributeNames: ['All'],
            VisibilityTimeout: 30,
          }),
        ),
      (out) =>
        (out.Messages ?? []).some((m) => m.MessageAttributes?.['fpt-event-id']?.StringValue === eventId),
      { deadline: Date.now() + 20_000 },
    );

    expect(parked.done).toBe(true);
    expect(harness.calls.get(eventId)).toBeUndefined();
    expect(contexts.get(eventId)).toBeUndefined();
    expect(await harness.readRow(eventId)).toBeUndefined();
    const refusals = harness
      .logRecords()
      .processor.filter((line) => line.eventId === eventId && line.reason === 'row_missing');
    expect(refusals).toHaveLength(MAX_RECEIVE_COUNT);
  });
});
