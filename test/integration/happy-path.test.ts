import { CATALOG_EVENT_TYPES } from '../../lambda/shared/fpt-events';
import { EVENT_STATUS } from '../../lambda/shared/ledger-schema';
import { fptBody, type Harness, startHarness } from './support/harness';

jest.setTimeout(60_000);

describe('local stack: happy path (real verifier and processor handlers)', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ name: 'happy' });
  });
  afterAll(async () => {
    await harness?.stop();
  });

  it.each(CATALOG_EVENT_TYPES)('accepts, queues and processes a signed %s event', async (eventType) => {
    // Prepare
    const body = fptBody(eventType);
    const { eventId } = JSON.parse(body) as { eventId: string };

    // Act
    const response = await harness.deliver(body);

    // Assess
    expect(response.status).toBe(202);
    expect(JSON.parse(response.body)).toEqual({ status: 'accepted', eventId });
    const row = await harness.waitForStatus(eventId, EVENT_STATUS.processed);
    expect(row).toMatchObject({ pk: eventId, eventType, subscription: 'default', attempts: 1 });
    expect(row.processedAt).toBeGreaterThanOrEqual(row.receivedAt);
  });

  it('processes an event type outside the catalog with the default handler', async () => {
    const body = fptBody('payment.succeeded');
    const { eventId } = JSON.parse(body) as { eventId: string };

    const response = await harness.deliver(body);

    expect(response.status).toBe(202);
    await harness.waitForStatus(eventId, EVENT_STATUS.processed);
  });

  it('leaves the work queue and the dead-letter queue empty afterwards', async () => {
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && (await harness.queueDepth(harness.running.stack.queueUrl)) > 0) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await harness.queueDepth(harness.running.stack.queueUrl)).toBe(0);
    expect(await harness.queueDepth(harness.running.stack.deadLetterQueueUrl)).toBe(0);
  });
});
