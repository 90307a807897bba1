import { type ProcessRecordDeps, processRecord } from '../../../../lambda/processor/process-record';
import {
  EffectsRejectedError,
  HandlerFailedError,
  ProcessingLeaseLostError,
} from '../../../../lambda/shared/errors';
import { EVENT_STATUS } from '../../../../lambda/shared/ledger-schema';
import { captureOutput } from '../../../support/capture-output';
import { FakeLedger } from '../../../support/fake-ledger';
import { countingEffect, countingUpdate } from '../../../support/ledger-contract';
import { RecordingMetrics } from '../../../support/metrics';
import { EVENT_ID, makeEnvelope, makeRecord, mockHandlers, SAMPLE_DATA, silentLogger, T0 } from './helpers';

const EFFECTS_TABLE = 'partner-orders';
const record = () => makeRecord(makeEnvelope('contact.created', SAMPLE_DATA['contact.created']));

/** The processor core with a contact.created handler that declares `declare(i)` effects. */
function setup(declare: (ctx: Parameters<ProcessRecordDeps['handlers']['contact.created']>[1]) => void) {
  const ledger = new FakeLedger();
  const { handlers, defaultHandler } = mockHandlers();
  const runs: string[] = [];
  const deps: ProcessRecordDeps = {
    ledger,
    handlers: {
      ...handlers,
      'contact.created': async (_event, ctx) => {
        runs.push(ctx.idempotencyKey);
        declare(ctx);
      },
    },
    defaultHandler,
    now: () => T0 + 5_000,
    maxReceiveCount: 5,
    metrics: new RecordingMetrics(),
    logger: silentLogger(),
  };
  return { ledger, deps, runs };
}

let output: ReturnType<typeof captureOutput>;
beforeEach(() => {
  output = captureOutput();
});
afterEach(() => output.restore());

describe('processRecord with declared effects', () => {
  it('commits the declared effects with PROCESSED in one commit, in order, and writes no separate outcome', async () => {
    const { ledger, deps } = setup((ctx) => {
      ctx.effects.put({ tableName: EFFECTS_TABLE, item: { pk: 'order#1', state: 'open' } });
      ctx.effects.update(countingUpdate(EFFECTS_TABLE, 'stats'));
    });

    const outcome = await processRecord(record(), deps);

    expect(outcome).toBe('processed');
    expect(ledger.committedEffects).toEqual([
      {
        eventId: EVENT_ID,
        effects: [
          { kind: 'put', props: { tableName: EFFECTS_TABLE, item: { pk: 'order#1', state: 'open' } } },
          countingEffect(EFFECTS_TABLE, 'stats'),
        ],
      },
    ]);
    expect(ledger.finishCalls).toEqual([]);
    expect(ledger.rows.get(EVENT_ID)?.status).toBe(EVENT_STATUS.processed);
  });

  it('writes PROCESSED alone when the handler declares nothing', async () => {
    const { ledger, deps } = setup(() => {});

    await processRecord(record(), deps);

    expect(ledger.committedEffects).toEqual([]);
    expect(ledger.finishCalls).toEqual([{ eventId: EVENT_ID, status: EVENT_STATUS.processed }]);
  });

  it('commits nothing a handler declared before it threw, and records the failure', async () => {
    const { ledger, deps } = setup((ctx) => {
      ctx.effects.put({ tableName: EFFECTS_TABLE, item: { pk: 'order#1' } });
      throw new TypeError('downstream said no');
    });

    await expect(processRecord(record(), deps)).rejects.toThrow(HandlerFailedError);

    expect(ledger.committedEffects).toEqual([]);
    expect(ledger.rows.get(EVENT_ID)).toMatchObject({ status: EVENT_STATUS.failed, lastError: 'TypeError' });
  });

  it('fails the record with EffectsRejectedError, writing nothing, when the effects do not fit beside the transition', async () => {
    const { ledger, deps } = setup((ctx) => {
      for (let i = 0; i < 100; i++) ctx.effects.update(countingUpdate(EFFECTS_TABLE, `item-${i}`));
    });

    const failure = await processRecord(record(), deps).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(HandlerFailedError);
    expect((failure as HandlerFailedError).cause).toBeInstanceOf(EffectsRejectedError);
    expect(((failure as HandlerFailedError).cause as EffectsRejectedError).problems).toEqual([
      "100 effects plus the ledger's PROCESSED transition exceed TransactWriteItems' 100 actions",
    ]);
    expect(ledger.committedEffects).toEqual([]);
    expect(ledger.rows.get(EVENT_ID)).toMatchObject({
      status: EVENT_STATUS.failed,
      lastError: 'EffectsRejectedError',
    });
  });

  it('refuses two effects on one item and any effect on the ledger table', async () => {
    const { deps } = setup((ctx) => {
      ctx.effects.update(countingUpdate(EFFECTS_TABLE, 'a'));
      ctx.effects.update(countingUpdate(EFFECTS_TABLE, 'a'));
      ctx.effects.put({ tableName: 'fake-ledger', item: { pk: 'order#1' } });
      ctx.effects.put({ tableName: EFFECTS_TABLE, item: { pk: 'a', other: 1 } });
    });

    const failure = (await processRecord(record(), deps).catch(
      (error: unknown) => error,
    )) as HandlerFailedError;

    expect((failure.cause as EffectsRejectedError).problems).toEqual([
      'effects 0 and 1 act on the same item',
      'effect 2 writes to the event ledger table, which only the receiver writes',
      'effects 0 and 3 act on the same item',
      'effects 1 and 3 act on the same item',
    ]);
  });

  it('writes nothing and fails the record without recording an outcome when another invocation took the event over', async () => {
    const { ledger, deps } = setup((ctx) => {
      ctx.effects.put({ tableName: EFFECTS_TABLE, item: { pk: 'order#1' } });
      // Meanwhile the lease ran out and another invocation took the event.
      const row = ledger.rows.get(EVENT_ID);
      if (row) row.processingToken = 'another-invocation';
    });

    await expect(processRecord(record(), deps)).rejects.toThrow(ProcessingLeaseLostError);

    expect(ledger.committedEffects).toEqual([]);
    expect(ledger.finishCalls).toEqual([]);
    expect(ledger.rows.get(EVENT_ID)).toMatchObject({
      status: EVENT_STATUS.processing,
      processingToken: 'another-invocation',
    });
  });

  it('records the failure when the commit answer is lost, and the redelivery skips the committed event', async () => {
    const { ledger, deps, runs } = setup((ctx) => {
      ctx.effects.put({ tableName: EFFECTS_TABLE, item: { pk: 'order#1' } });
    });
    // The commit happens, then its answer is lost on the way back.
    const commit = ledger.commitProcessed.bind(ledger);
    ledger.commitProcessed = async (...args) => {
      await commit(...args);
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    };

    await expect(processRecord(record(), deps)).rejects.toThrow(HandlerFailedError);
    const again = await processRecord(
      makeRecord(makeEnvelope('contact.created', SAMPLE_DATA['contact.created']), { receiveCount: 2 }),
      deps,
    );

    expect(again).toBe('duplicate');
    expect(runs).toHaveLength(1);
    expect(ledger.committedEffects).toHaveLength(1);
    expect(ledger.rows.get(EVENT_ID)?.status).toBe(EVENT_STATUS.processed);
  });

  it('gives the handler the same idempotencyKey on every attempt: the eventId', async () => {
    let fail = true;
    const { deps, runs } = setup(() => {
      if (fail) {
        fail = false;
        throw new Error('first attempt fails');
      }
    });

    await processRecord(record(), deps).catch(() => undefined);
    await processRecord(
      makeRecord(makeEnvelope('contact.created', SAMPLE_DATA['contact.created']), { receiveCount: 2 }),
      deps,
    );

    expect(runs).toEqual([EVENT_ID, EVENT_ID]);
  });
});
