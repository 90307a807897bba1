import { getSqsClient } from '../../lambda/shared/clients';
import { EVENT_STATUS, parkedKey } from '../../lambda/shared/ledger-schema';
import { sha256Hex } from '../../lambda/shared/queue-message';
import { deliverWithRetries, fptBody, type Harness, sleep, startHarness } from './support/harness';

jest.setTimeout(60_000);

describe('local stack: the queue send fails after the ledger claim', () => {
  let harness: Harness;
  let failSends = 0;
  /** SendMessage calls that reach the queue but whose answer is then lost. */
  let loseAnswers = 0;
  let sendsSeen = 0;
  /** The ledger status of the event at the moment its send failed: proof the claim was written first. */
  const statusAtFault = new Map<string, string | undefined>();

  beforeAll(async () => {
    harness = await startHarness({ name: 'fault', countHandlerCalls: true });
    // The verifier's own SQS client (the shared one, created when its module loaded): fail the next
    // `failSends` SendMessage calls before they leave the process, after the ledger write has happened.
    getSqsClient().middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'SendMessageCommand') {
          sendsSeen++;
          if (failSends > 0) {
            failSends--;
            const input = args.input as { MessageAttributes?: Record<string, { StringValue?: string }> };
            const eventId = input.MessageAttributes?.['fpt-event-id']?.StringValue ?? '';
            statusAtFault.set(eventId, (await harness.readRow(eventId))?.status);
            throw Object.assign(new Error('injected: SQS unavailable'), { name: 'ServiceUnavailable' });
          }
          if (loseAnswers > 0) {
            loseAnswers--;
            await next(args);
            throw Object.assign(new Error('injected: socket hang up after the send'), {
              name: 'TimeoutError',
            });
          }
        }
        return next(args);
      },
      { step: 'initialize', name: 'injectSendFailure' },
    );
  });
  afterAll(async () => {
    await harness?.stop();
  });

  it('answers 5xx, releases the claim, and processes the retried delivery exactly once', async () => {
    // Prepare
    const body = fptBody('contact.created');
    const { eventId } = JSON.parse(body) as { eventId: string };
    failSends = 1;

    // Act: FPT's first attempt hits the fault; its retry (same bytes, fresh signature) goes through.
    const { final, attempts } = await deliverWithRetries(() => harness.deliver(body));

    // Assess
    expect(attempts.map((a) => a.status)).toEqual([500, 202]);
    expect(JSON.parse(attempts[0]?.body ?? '{}')).toEqual({ message: 'Internal Server Error' });
    expect(harness.logsFor(attempts[0]?.requestId ?? '')).toEqual(
      expect.arrayContaining([expect.objectContaining({ message: 'delivery failed; FPT will retry' })]),
    );
    expect(final.status).toBe(202);
    expect(sendsSeen).toBe(2);
    expect(statusAtFault.get(eventId)).toBe(EVENT_STATUS.received);
    const row = await harness.waitForStatus(eventId, EVENT_STATUS.processed);
    expect(row.attempts).toBe(1);
    await sleep(1500);
    expect(harness.calls.get(eventId)).toBe(1);
    expect(await harness.queueDepth(harness.running.stack.queueUrl)).toBe(0);
  });

  it('leaves no ledger row behind when the send fails and nobody retries', async () => {
    const body = fptBody('contact.updated');
    const { eventId } = JSON.parse(body) as { eventId: string };
    failSends = 1;

    const response = await harness.deliver(body);

    expect(response.status).toBe(500);
    // The claim was released, so a retry is not blocked for the claim lease.
    expect(await harness.readRow(eventId)).toBeUndefined();
  });

  it('answers FPT retry as a duplicate when the first send was queued but its answer lost, and parks nothing', async () => {
    const body = fptBody('contact.updated');
    const { eventId } = JSON.parse(body) as { eventId: string };
    loseAnswers = 1;

    // The message reaches the queue, the verifier hears an error: it releases the claim and answers 500.
    const first = await harness.deliver(body);
    // The processor takes the queued message and creates the row again, with the message's body hash.
    const row = await harness.waitForStatus(eventId, EVENT_STATUS.processed);
    // FPT retries the same bytes.
    const retry = await harness.deliver(body);

    expect(first.status).toBe(500);
    expect(row.bodySha256).toBe(sha256Hex(Buffer.from(body, 'utf8')));
    expect(retry.status).toBe(200);
    expect(JSON.parse(retry.body)).toEqual({ status: 'duplicate', eventId });
    expect(await harness.readRow(parkedKey(sha256Hex(Buffer.from(body, 'utf8'))))).toBeUndefined();
    expect(harness.logsFor(retry.requestId)).not.toEqual(
      expect.arrayContaining([
        expect.objectContaining({ message: expect.stringContaining('different body') }),
      ]),
    );
    await sleep(1500);
    expect(harness.calls.get(eventId)).toBe(1);
  });
});
