import fc from 'fast-check';
import type { HandlerContext } from '../../../lambda/handlers/types';
import { type ProcessRecordDeps, processRecord } from '../../../lambda/processor/process-record';
import { EVENT_STATUS } from '../../../lambda/shared/ledger-schema';
import { FakeLedger } from '../../support/fake-ledger';
import { RecordingMetrics } from '../../support/metrics';
import {
  EVENT_ID,
  makeEnvelope,
  makeRecord,
  mockHandlers,
  SAMPLE_DATA,
  silentLogger,
  T0,
} from '../lambda/processor/helpers';
import { runs } from './arbitraries';

/**
 * The replay protocol over arbitrary histories of one event: replay requests (each sent once or twice,
 * as a resumed run re-sends after a lost answer), deliveries of any queued message, two at once, handler
 * failures, moves to the DLQ after maxReceiveCount receives and redrives. After the queues drain:
 *
 * - the first delivery, and each replay n, ran the handler to success at most once;
 * - every replay requested was satisfied (`replayDone` = `replayCount`), and the event is PROCESSED;
 * - no success ran without a lease that saw its replays (successes <= 1 + replayCount).
 *
 * The ledger is FakeLedger, which test/support/ledger-contract.ts holds to EventLedger's behaviour.
 */

const MAX_RECEIVE_COUNT = 3;
const envelope = makeEnvelope('contact.updated', SAMPLE_DATA['contact.updated']);

interface Message {
  readonly id: string;
  readonly replay?: number;
  receiveCount: number;
}

type Action =
  | { readonly kind: 'request'; readonly copies: 1 | 2 }
  | { readonly kind: 'deliver'; readonly pick: number; readonly fail: boolean }
  | {
      readonly kind: 'deliverTwo';
      readonly a: number;
      readonly b: number;
      readonly failA: boolean;
      readonly failB: boolean;
    }
  | { readonly kind: 'redrive' };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('request' as const), copies: fc.constantFrom(1 as const, 2 as const) }),
  fc.record({ kind: fc.constant('deliver' as const), pick: fc.nat(), fail: fc.boolean() }),
  fc.record({
    kind: fc.constant('deliverTwo' as const),
    a: fc.nat(),
    b: fc.nat(),
    failA: fc.boolean(),
    failB: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('redrive' as const) }),
);

async function runHistory(actions: readonly Action[]) {
  const ledger = new FakeLedger();
  const { handlers, defaultHandler } = mockHandlers();
  /** Successful handler runs per key: `first` or the replay number. */
  const successes = new Map<string, number>();
  /** Whether the next handler runs fail, consumed in call order. */
  const failing: boolean[] = [];
  (handlers['contact.updated'] as jest.Mock).mockImplementation(async (_event, ctx: HandlerContext) => {
    await Promise.resolve();
    if (failing.shift() === true) throw new TypeError('handler bug');
    const key = ctx.replay === undefined ? 'first' : String(ctx.replay.count);
    successes.set(key, (successes.get(key) ?? 0) + 1);
  });
  let clock = T0;
  const deps: ProcessRecordDeps = {
    ledger,
    handlers,
    defaultHandler,
    now: () => clock++,
    maxReceiveCount: MAX_RECEIVE_COUNT,
    metrics: new RecordingMetrics(),
    logger: silentLogger(),
  };
  let queue: Message[] = [{ id: 'first', receiveCount: 0 }];
  const dlq: Message[] = [];
  let sent = 0;
  await ledger.claim({
    eventId: EVENT_ID,
    subscription: 'default',
    eventType: 'contact.updated',
    eventTimestamp: envelope.eventTimestamp,
    locationId: envelope.locationId,
    bodySha256: 'a'.repeat(64),
    nowMs: T0,
  });

  const take = (pick: number): Message | undefined => {
    if (queue.length === 0) return undefined;
    const [message] = queue.splice(pick % queue.length, 1);
    return message;
  };
  const deliver = async (message: Message): Promise<void> => {
    message.receiveCount += 1;
    const record = makeRecord(envelope, {
      messageId: message.id,
      receiveCount: message.receiveCount,
      ...(message.replay !== undefined ? { attributes: { replay: String(message.replay) } } : {}),
    });
    try {
      await processRecord(record, deps);
    } catch {
      // Not deleted: SQS receives it again, or moves it to the DLQ after maxReceiveCount receives.
      (message.receiveCount >= MAX_RECEIVE_COUNT ? dlq : queue).push(message);
    }
  };

  for (const step of actions) {
    if (step.kind === 'request') {
      const row = ledger.rows.get(EVENT_ID);
      // requestReplay's condition: only a settled event (no message of it is in play).
      if (row?.status !== EVENT_STATUS.processed && row?.status !== EVENT_STATUS.deadLettered) continue;
      const n = ledger.requestReplay(EVENT_ID, { nowMs: clock, reason: 'fix', run: `run-${sent}` });
      for (let copy = 0; copy < step.copies; copy++)
        queue.push({ id: `m-${sent++}`, replay: n, receiveCount: 0 });
    } else if (step.kind === 'deliver') {
      const message = take(step.pick);
      if (message === undefined) continue;
      failing.push(step.fail);
      await deliver(message);
    } else if (step.kind === 'deliverTwo') {
      const first = take(step.a);
      const second = take(step.b);
      failing.push(step.failA, step.failB);
      await Promise.all([first, second].flatMap((m) => (m === undefined ? [] : [deliver(m)])));
      failing.length = 0;
    } else {
      for (const message of dlq.splice(0)) queue.push({ ...message, receiveCount: 0 });
    }
  }

  // Drain: the handler is fixed, every message is received until the queues are empty.
  failing.length = 0;
  for (let guard = 0; guard < 500 && (queue.length > 0 || dlq.length > 0); guard++) {
    if (queue.length === 0) queue = dlq.splice(0).map((message) => ({ ...message, receiveCount: 0 }));
    const message = take(0);
    if (message !== undefined) await deliver(message);
  }
  return { ledger, successes, drained: queue.length === 0 && dlq.length === 0 };
}

describe('replay protocol (properties)', () => {
  it('runs the first delivery and each replay to success at most once, and every requested replay eventually', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { maxLength: 30 }), async (actions) => {
        const { ledger, successes, drained } = await runHistory(actions);
        const row = ledger.rows.get(EVENT_ID);
        const replayCount = row?.replayCount ?? 0;

        expect(drained).toBe(true);
        for (const [key, count] of successes) expect({ key, count }).toEqual({ key, count: 1 });
        expect(row?.status).toBe(EVENT_STATUS.processed);
        expect(row?.replayDone ?? 0).toBe(replayCount);
        const total = [...successes.values()].reduce((sum, count) => sum + count, 0);
        expect(total).toBeGreaterThanOrEqual(1);
        expect(total).toBeLessThanOrEqual(1 + replayCount);
      }),
      { numRuns: runs(200) },
    );
  });
});
