import { EVENT_STATUS } from '../../lambda/shared/ledger-schema';
import {
  deliverWithRetries,
  fptBody,
  fptSignatureHeader,
  type Harness,
  nowSeconds,
  sleep,
  startHarness,
} from './support/harness';

jest.setTimeout(60_000);

describe('local stack: duplicate deliveries', () => {
  let harness: Harness;

  beforeAll(async () => {
    // Three pollers, as Lambda runs several batches at once: copies of one event can meet in parallel.
    harness = await startHarness({ name: 'dupes', countHandlerCalls: true, pollers: 3 });
  });
  afterAll(async () => {
    await harness?.stop();
  });

  /** Waits a little past PROCESSED so a second, wrongful run of the handler would have shown up. */
  async function settle(eventId: string): Promise<void> {
    await harness.waitForStatus(eventId, EVENT_STATUS.processed);
    await sleep(1500);
  }

  it('runs three processor pollers side by side', () => {
    expect(harness.running.pollers).toHaveLength(3);
  });

  it('runs the handler once when the same body is delivered three times in a row', async () => {
    // Prepare
    const body = fptBody('contact.updated');
    const { eventId } = JSON.parse(body) as { eventId: string };

    // Act
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { final } = await deliverWithRetries(() => harness.deliver(body));
      statuses.push(final.status);
    }

    // Assess
    expect(statuses[0]).toBe(202);
    expect(statuses.slice(1)).toEqual([200, 200]);
    await settle(eventId);
    expect(harness.calls.get(eventId)).toBe(1);
    expect(await harness.readRow(eventId)).toMatchObject({ status: EVENT_STATUS.processed, attempts: 1 });
  });

  it('answers a duplicate that arrives after processing with 200 and does not run the handler again', async () => {
    const body = fptBody('contact.created');
    const { eventId } = JSON.parse(body) as { eventId: string };
    expect((await harness.deliver(body)).status).toBe(202);
    await settle(eventId);

    // FPT retries re-sign with a fresh t: a different header, the same bytes.
    const again = await harness.post(body, {
      'content-type': 'application/json',
      'x-fpt-signature': fptSignatureHeader(harness.secret, nowSeconds() + 1, body),
    });

    expect(again.status).toBe(200);
    expect(JSON.parse(again.body)).toEqual({ status: 'duplicate', eventId });
    await sleep(1500);
    expect(harness.calls.get(eventId)).toBe(1);
  });

  it('runs the handler exactly once for 50 concurrent identical deliveries (409s retried like FPT)', async () => {
    // Prepare
    const body = fptBody('contact.status_changed');
    const { eventId } = JSON.parse(body) as { eventId: string };
    const header = fptSignatureHeader(harness.secret, nowSeconds(), body);
    const send = () => harness.post(body, { 'content-type': 'application/json', 'x-fpt-signature': header });

    // Act
    const results = await Promise.all(Array.from({ length: 50 }, () => deliverWithRetries(send)));

    // Assess
    const finals = results.map((r) => r.final.status);
    expect(finals.filter((s) => s === 202)).toHaveLength(1);
    expect(finals.filter((s) => s === 200)).toHaveLength(49);
    const interim = results.flatMap((r) => r.attempts.slice(0, -1).map((a) => a.status));
    // The only non-2xx answer a concurrent duplicate may get is "in progress, retry".
    expect(interim.every((s) => s === 409)).toBe(true);
    await settle(eventId);
    expect(harness.calls.get(eventId)).toBe(1);
    expect(await harness.readRow(eventId)).toMatchObject({ status: EVENT_STATUS.processed, attempts: 1 });
    expect(await harness.queueDepth(harness.running.stack.queueUrl)).toBe(0);
    expect(await harness.queueDepth(harness.running.stack.deadLetterQueueUrl)).toBe(0);
  });
});
