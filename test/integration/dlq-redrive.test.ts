import { EVENT_STATUS } from '../../lambda/shared/ledger-schema';
import { runCli } from '../support/cli';
import { pointCliAt } from './support/cli-env';
import { fptBody, type Harness, sleep, startHarness } from './support/harness';

jest.setTimeout(120_000);

describe('fpt-webhooks dlq redrive --local (no message move tasks in the emulator)', () => {
  let harness: Harness;
  let restoreEnv: () => void;
  const failing = new Set<string>();

  beforeAll(async () => {
    harness = await startHarness({
      name: 'dlq-redrive',
      config: { maxReceiveCount: 1 },
      visibilityTimeoutSeconds: 1,
      countHandlerCalls: true,
      behaviour: (event) => {
        if (failing.has(event.eventId)) throw new Error('downstream system unavailable');
      },
    });
    restoreEnv = pointCliAt(harness);
  });
  afterAll(async () => {
    restoreEnv?.();
    await harness?.stop();
  });

  /** Delivers `count` events whose handler fails, and waits until all of them are DEAD_LETTERED. */
  async function deadLetter(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const body = fptBody('contact.updated');
      const { eventId } = JSON.parse(body) as { eventId: string };
      failing.add(eventId);
      expect((await harness.deliver(body)).status).toBe(202);
      ids.push(eventId);
    }
    for (const id of ids) await harness.waitForStatus(id, EVENT_STATUS.deadLettered, 30_000);
    return ids;
  }

  /** SQS moves a message to the DLQ on the receive after its last failed one: wait for the depth. */
  async function waitForDepth(queueUrl: string, depth: number): Promise<void> {
    const deadline = Date.now() + 20_000;
    while ((await harness.queueDepth(queueUrl)) !== depth && Date.now() < deadline) await sleep(200);
    expect(await harness.queueDepth(queueUrl)).toBe(depth);
  }

  it('moves every dead-lettered message back, loses none, and each event is then processed once', async () => {
    // Prepare: 23 events (three receive batches) fail and are dead-lettered; then the handler is fixed.
    const ids = await deadLetter(23);
    await waitForDepth(harness.running.stack.deadLetterQueueUrl, 23);
    for (const id of ids) failing.delete(id);

    // Act
    const result = await runCli(['dlq', 'redrive', '--local', '--yes']);

    // Assess: the fallback was used, with progress and a count...
    expect(result.code).toBe(0);
    expect(result.out).toContain('dead-letter queue: ~23 messages');
    expect(result.out).toContain('this endpoint has no message move tasks; moving by receive, send, delete');
    expect(result.out).toMatch(/^ {2}moved 10 of ~23$/m);
    expect(result.out).toContain('moved 23 messages back to the work queue (receive-send-delete)');
    // ...the DLQ is empty, and every event ran its handler to success exactly once.
    await waitForDepth(harness.running.stack.deadLetterQueueUrl, 0);
    for (const id of ids) await harness.waitForStatus(id, EVENT_STATUS.processed, 20_000);
    await waitForDepth(harness.running.stack.queueUrl, 0);
    expect(ids.map((id) => harness.calls.get(id))).toEqual(ids.map(() => 1));
  });

  it('moves at most --max messages and leaves the rest in the DLQ', async () => {
    const ids = await deadLetter(8);
    await waitForDepth(harness.running.stack.deadLetterQueueUrl, 8);
    for (const id of ids) failing.delete(id);

    const first = await runCli(['dlq', 'redrive', '--local', '--yes', '--max', '5']);

    expect(first.code).toBe(0);
    expect(first.out).toContain('moved 5 messages back to the work queue');
    await waitForDepth(harness.running.stack.deadLetterQueueUrl, 3);

    const rest = await runCli(['dlq', 'redrive', '--local', '--yes']);

    expect(rest.out).toContain('moved 3 messages back');
    for (const id of ids) await harness.waitForStatus(id, EVENT_STATUS.processed, 20_000);
    expect(ids.map((id) => harness.calls.get(id))).toEqual(ids.map(() => 1));
  });

  it('says there is nothing to do when the DLQ is empty', async () => {
    await waitForDepth(harness.running.stack.deadLetterQueueUrl, 0);

    const result = await runCli(['dlq', 'redrive', '--local', '--yes']);

    expect(result.code).toBe(0);
    expect(result.out).toContain('the dead-letter queue is empty: nothing to redrive');
  });

  it('refuses to run unattended without --yes', async () => {
    const result = await runCli(['dlq', 'redrive', '--local'], '');

    expect(result.code).toBe(2);
    expect(result.err).toContain('add --yes');
  });
});
