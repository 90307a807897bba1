import { Logger } from '@aws-lambda-powertools/logger';
import type { HandlerContext } from '../../../../lambda/handlers/types';
import { type ProcessRecordDeps, processRecord } from '../../../../lambda/processor/process-record';
import { HandlerFailedError, ReplayRefusedError } from '../../../../lambda/shared/errors';
import { EVENT_STATUS } from '../../../../lambda/shared/ledger-schema';
import { METRIC } from '../../../../lambda/shared/observability';
import { captureOutput, jsonLines } from '../../../support/capture-output';
import type { FakeLedger } from '../../../support/fake-ledger';
import {
  CONTACT_ID,
  EVENT_ID,
  fakeProcessorDeps,
  LOCATION_ID,
  makeEnvelope,
  makeRecord,
  SAMPLE_DATA,
  T0,
} from './helpers';

const HWM_KEY = `${LOCATION_ID}#${CONTACT_ID}`;
/** A week after the event: when the operator replays it. */
const T_REPLAY = T0 + 7 * 24 * 60 * 60 * 1000;
const envelope = makeEnvelope('contact.updated', SAMPLE_DATA['contact.updated']);
const firstDelivery = () => makeRecord(envelope);
const replayMessage = (n: number, receiveCount = 1) =>
  makeRecord(envelope, { attributes: { replay: String(n) }, receiveCount, messageId: `replay-${n}` });

function setup(overrides: Partial<ProcessRecordDeps> = {}) {
  const { ledger, metrics, handlers, deps } = fakeProcessorDeps(T_REPLAY + 1_000, overrides);
  const handler = handlers['contact.updated'] as jest.Mock;
  const ctxOf = (call = 0): HandlerContext => handler.mock.calls[call][1] as HandlerContext;
  return { ledger, metrics, handler, ctxOf, deps };
}

/** The event's row after its first run ended in `status`. */
function settled(
  ledger: FakeLedger,
  status: typeof EVENT_STATUS.processed | typeof EVENT_STATUS.deadLettered,
) {
  ledger.seed(EVENT_ID, {
    status,
    subscription: 'default',
    eventType: 'contact.updated',
    attempts: status === EVENT_STATUS.processed ? 1 : 5,
    ...(status === EVENT_STATUS.deadLettered ? { lastError: 'TypeError' } : {}),
  });
}

describe('processRecord: replays', () => {
  it('runs the handler of a PROCESSED event once more for a requested replay, and tells it so', async () => {
    const { deps, ledger, handler, ctxOf } = setup();
    settled(ledger, EVENT_STATUS.processed);
    const n = ledger.requestReplay(EVENT_ID, { nowMs: T_REPLAY, reason: 'fix 1.4.2', run: 'run-a' });

    const outcome = await processRecord(replayMessage(n), deps);

    expect(outcome).toBe('processed');
    expect(handler).toHaveBeenCalledTimes(1);
    expect(ctxOf().replay).toEqual({
      count: 1,
      reason: 'fix 1.4.2',
      requestedAt: new Date(T_REPLAY).toISOString(),
    });
    expect(ctxOf().attempt).toBe(2);
    expect(ledger.rows.get(EVENT_ID)).toMatchObject({
      status: EVENT_STATUS.processed,
      replayCount: 1,
      replayDone: 1,
      processedAt: T_REPLAY + 1_000,
    });
  });

  it('counts a replay as Processed but leaves it out of EndToEndLatency, which it would only skew', async () => {
    const { deps, ledger, metrics } = setup();
    settled(ledger, EVENT_STATUS.processed);
    const n = ledger.requestReplay(EVENT_ID, { nowMs: T_REPLAY, run: 'run-a' });

    await processRecord(replayMessage(n), deps);

    expect(metrics.named(METRIC.processed)).toHaveLength(1);
    expect(metrics.named(METRIC.endToEndLatency)).toHaveLength(0);
  });

  it('skips the handler for a redelivered copy of a replay that has run, and counts a duplicate', async () => {
    const { deps, ledger, handler, metrics } = setup();
    settled(ledger, EVENT_STATUS.processed);
    const n = ledger.requestReplay(EVENT_ID, { nowMs: T_REPLAY, run: 'run-a' });
    await processRecord(replayMessage(n), deps);
    metrics.emitted.length = 0;

    const copy = await processRecord(replayMessage(n, 2), deps);

    expect(copy).toBe('duplicate');
    expect(handler).toHaveBeenCalledTimes(1);
    expect(metrics.emitted).toEqual([
      { name: METRIC.duplicate, unit: 'Count', value: 1, dimensions: { stage: 'processor' } },
    ]);
  });

  it('runs a second replay of the same event once more, with its own count and key', async () => {
    const { deps, ledger, handler, ctxOf } = setup();
    settled(ledger, EVENT_STATUS.processed);
    await processRecord(replayMessage(ledger.requestReplay(EVENT_ID, { nowMs: T_REPLAY, run: 'a' })), deps);

    const second = ledger.requestReplay(EVENT_ID, { nowMs: T_REPLAY + 60_000, reason: 'again', run: 'b' });
    await processRecord(replayMessage(second), deps);

    expect(handler).toHaveBeenCalledTimes(2);
    expect(ctxOf(1).replay).toMatchObject({ count: 2, reason: 'again' });
    expect(ctxOf(1).idempotencyKey).toBe(`${EVENT_ID}:replay:2`);
    expect(ledger.rows.get(EVENT_ID)).toMatchObject({ replayCount: 2, replayDone: 2 });
  });

  it('runs the handler of a DEAD_LETTERED event for a requested replay and records PROCESSED', async () => {
    const { deps, ledger, handler, ctxOf } = setup();
    settled(ledger, EVENT_STATUS.deadLettered);
    const n = ledger.requestReplay(EVENT_ID, { nowMs: T_REPLAY, run: 'run-a' });

    const outcome = await processRecord(replayMessage(n), deps);

    expect(outcome).toBe('processed');
    expect(handler).toHaveBeenCalledTimes(1);
    expect(ctxOf().replay).toEqual({ count: 1, requestedAt: new Date(T_REPLAY).toISOString() });
    expect(ledger.rows.get(EVENT_ID)).toMatchObject({ status: EVENT_STATUS.processed, replayDone: 1 });
    expect(ledger.rows.get(EVENT_ID)?.lastError).toBeUndefined();
  });

  it('records a replay that fails on the last receive as DEAD_LETTERED, with the replay still to run', async () => {
    const { deps, ledger, handler } = setup();
    settled(ledger, EVENT_STATUS.processed);
    const n = ledger.requestReplay(EVENT_ID, { nowMs: T_REPLAY, run: 'run-a' });
    handler.mockRejectedValueOnce(new TypeError('still broken'));

    const act = processRecord(replayMessage(n, 5), deps);

    await expect(act).rejects.toBeInstanceOf(HandlerFailedError);
    expect(ledger.rows.get(EVENT_ID)).toMatchObject({
      status: EVENT_STATUS.deadLettered,
      lastError: 'TypeError',
      replayCount: 1,
    });
    expect(ledger.rows.get(EVENT_ID)?.replayDone).toBeUndefined();
  });

  it('refuses a replay whose event has no row: the handler does not run, no row is created, the record fails', async () => {
    const { deps, ledger, handler } = setup();

    const act = processRecord(replayMessage(1), deps);

    await expect(act).rejects.toMatchObject({
      name: ReplayRefusedError.name,
      reason: 'row_missing',
      replay: 1,
    });
    expect(handler).not.toHaveBeenCalled();
    expect(ledger.rows.has(EVENT_ID)).toBe(false);
    expect(ledger.highWaterMarks.size).toBe(0);
  });

  it('refuses a replay nobody requested: the handler does not run and the row stays as it was', async () => {
    const { deps, ledger, handler } = setup();
    settled(ledger, EVENT_STATUS.processed);
    const before = { ...ledger.rows.get(EVENT_ID) };

    const act = processRecord(replayMessage(1), deps);

    await expect(act).rejects.toMatchObject({ name: ReplayRefusedError.name, reason: 'not_requested' });
    expect(handler).not.toHaveBeenCalled();
    expect(ledger.rows.get(EVENT_ID)).toEqual(before);
    expect(ledger.finishCalls).toEqual([]);
  });

  it('logs a refused replay with its ids and reason, never the body', async () => {
    const output = captureOutput();
    const { deps } = setup({ logger: new Logger({ serviceName: 'processor-test', logLevel: 'DEBUG' }) });
    const personal = makeEnvelope('contact.updated', {
      ...SAMPLE_DATA['contact.updated'],
      email: 'jo@example.com',
    });

    try {
      await processRecord(
        makeRecord(personal, { attributes: { replay: '3' }, messageId: 'm-9' }),
        deps,
      ).catch(() => undefined);
    } finally {
      output.restore();
    }

    expect(output.text()).not.toContain('jo@example.com');
    expect(jsonLines(output.lines()).find((log) => log.level === 'ERROR')).toMatchObject({
      eventId: EVENT_ID,
      replay: 3,
      reason: 'row_missing',
      messageId: 'm-9',
    });
  });

  it('gives a replay the idempotency key <eventId>:replay:<n>, and a first delivery its eventId', async () => {
    const { deps, ledger, ctxOf } = setup();
    await processRecord(firstDelivery(), deps);
    const n = ledger.requestReplay(EVENT_ID, { nowMs: T_REPLAY, run: 'run-a' });

    await processRecord(replayMessage(n), deps);

    expect(ctxOf(0).idempotencyKey).toBe(EVENT_ID);
    expect(ctxOf(0)).not.toHaveProperty('replay');
    expect(ctxOf(1).idempotencyKey).toBe(`${EVENT_ID}:replay:1`);
  });

  it('lets a first delivery redriven from the DLQ satisfy a replay requested before it ran: the replay copy skips', async () => {
    const { deps, ledger, handler } = setup();
    settled(ledger, EVENT_STATUS.deadLettered);
    const n = ledger.requestReplay(EVENT_ID, { nowMs: T_REPLAY, run: 'run-a' });

    const redriven = await processRecord(firstDelivery(), deps);
    const replay = await processRecord(replayMessage(n), deps);

    expect(redriven).toBe('processed');
    expect(replay).toBe('duplicate');
    expect(handler).toHaveBeenCalledTimes(1);
    expect(ledger.rows.get(EVENT_ID)).toMatchObject({ status: EVENT_STATUS.processed, replayDone: 1 });
  });

  it('records the replay done in the transaction that commits the handler’s declared effects', async () => {
    const { deps, ledger, handler } = setup();
    settled(ledger, EVENT_STATUS.processed);
    const n = ledger.requestReplay(EVENT_ID, { nowMs: T_REPLAY, run: 'run-a' });
    handler.mockImplementationOnce(async (_event, ctx: HandlerContext) => {
      ctx.effects.put({ tableName: 'orders', item: { pk: ctx.idempotencyKey } });
    });

    await processRecord(replayMessage(n), deps);

    expect(ledger.committedEffects).toEqual([
      {
        eventId: EVENT_ID,
        effects: [{ kind: 'put', props: { tableName: 'orders', item: { pk: `${EVENT_ID}:replay:1` } } }],
      },
    ]);
    expect(ledger.rows.get(EVENT_ID)).toMatchObject({ status: EVENT_STATUS.processed, replayDone: 1 });
    expect(await processRecord(replayMessage(n, 2), deps)).toBe('duplicate');
  });

  describe('ordering guard', () => {
    const older = makeEnvelope('contact.updated', SAMPLE_DATA['contact.updated']);
    const newer = makeEnvelope('contact.updated', SAMPLE_DATA['contact.updated'], {
      eventId: 'b'.repeat(32),
      eventTimestamp: new Date(T0 + 60_000).toISOString(),
    });

    it('tells a replay of an older event that it is stale when a newer one for the contact was taken since, runs it, and keeps the mark', async () => {
      const { deps, ledger, handler, ctxOf, metrics } = setup();
      await processRecord(makeRecord(older), deps);
      await processRecord(makeRecord(newer), deps);
      const n = ledger.requestReplay(EVENT_ID, { nowMs: T_REPLAY, run: 'run-a' });

      await processRecord(makeRecord(older, { attributes: { replay: String(n) } }), deps);

      expect(handler).toHaveBeenCalledTimes(3);
      expect(ctxOf(2)).toMatchObject({
        isStale: true,
        highWaterMark: new Date(T0 + 60_000).toISOString(),
        replay: { count: 1 },
      });
      expect(ledger.highWaterMarks.get(HWM_KEY)).toBe(T0 + 60_000);
      // StaleEvent counts FPT's out-of-order deliveries; a replay of an old event is stale by design.
      expect(metrics.named(METRIC.staleEvent)).toHaveLength(0);
    });

    it('tells a replay of the contact’s newest event that it is not stale', async () => {
      const { deps, ledger, ctxOf } = setup();
      await processRecord(makeRecord(older), deps);
      await processRecord(makeRecord(newer), deps);
      const n = ledger.requestReplay('b'.repeat(32), { nowMs: T_REPLAY, run: 'run-a' });

      await processRecord(makeRecord(newer, { attributes: { replay: String(n) } }), deps);

      expect(ctxOf(2)).toMatchObject({ isStale: false, replay: { count: 1 } });
      expect(ledger.highWaterMarks.get(HWM_KEY)).toBe(T0 + 60_000);
    });
  });
});
