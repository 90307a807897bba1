import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { EVENT_STATUS } from '../../lambda/shared/ledger-schema';
import { localClientConfig } from '../../local/aws';
import { fptBody, type Harness, sleep, startHarness } from './support/harness';

jest.setTimeout(60_000);

const MAX_RECEIVE_COUNT = 2;

describe('local stack: an event whose handler keeps failing', () => {
  let harness: Harness;
  const failing = new Set<string>();
  const attempts = new Map<string, number>();

  beforeAll(async () => {
    harness = await startHarness({
      name: 'dlq',
      config: { maxReceiveCount: MAX_RECEIVE_COUNT },
      visibilityTimeoutSeconds: 1,
      countHandlerCalls: true,
      behaviour: (event) => {
        attempts.set(event.eventId, (attempts.get(event.eventId) ?? 0) + 1);
        if (failing.has(event.eventId)) throw new Error('downstream system unavailable');
      },
    });
  });
  afterAll(async () => {
    await harness?.stop();
  });

  it('is tried maxReceiveCount times, marked DEAD_LETTERED and kept in the DLQ', async () => {
    // Prepare
    const body = fptBody('contact.deleted');
    const { eventId } = JSON.parse(body) as { eventId: string };
    failing.add(eventId);

    // Act
    expect((await harness.deliver(body)).status).toBe(202);
    const row = await harness.waitForStatus(eventId, EVENT_STATUS.deadLettered, 20_000);

    // Assess: the ledger says what happened, and the message is parked in the DLQ, not lost.
    expect(row).toMatchObject({ attempts: MAX_RECEIVE_COUNT, lastError: 'Error' });
    const sqs = new SQSClient(localClientConfig(harness.emulatorUrl));
    try {
      let parked: { Body?: string; MessageAttributes?: Record<string, { StringValue?: string }> } | undefined;
      const deadline = Date.now() + 10_000;
      // SQS moves the message on the receive after the last failed one, so give the poller a moment.
      while (parked === undefined && Date.now() < deadline) {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: harness.running.stack.deadLetterQueueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
            MessageAttributeNames: ['All'],
            VisibilityTimeout: 30,
          }),
        );
        parked = out.Messages?.[0];
      }
      expect(parked?.Body).toBe(body);
      expect(parked?.MessageAttributes?.['fpt-event-id']?.StringValue).toBe(eventId);
    } finally {
      sqs.destroy();
    }
    expect(await harness.queueDepth(harness.running.stack.queueUrl)).toBe(0);

    // Nothing ran more often than allowed, and nothing succeeded.
    await sleep(2500);
    expect(attempts.get(eventId)).toBe(MAX_RECEIVE_COUNT);
    expect(harness.calls.get(eventId)).toBeUndefined();
  });

  it('processes an event that fails once on its second attempt, exactly once', async () => {
    const body = fptBody('contact.updated');
    const { eventId } = JSON.parse(body) as { eventId: string };
    failing.add(eventId);

    expect((await harness.deliver(body)).status).toBe(202);
    await harness.waitForStatus(eventId, EVENT_STATUS.failed, 10_000);
    failing.delete(eventId);
    const row = await harness.waitForStatus(eventId, EVENT_STATUS.processed, 10_000);

    expect(row.attempts).toBe(2);
    await sleep(1500);
    expect(harness.calls.get(eventId)).toBe(1);
    // Only the message the previous test parked: this one never reached the DLQ.
    expect(await harness.queueDepth(harness.running.stack.deadLetterQueueUrl)).toBe(1);
  });
});
