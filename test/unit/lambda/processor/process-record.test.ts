import { Logger } from '@aws-lambda-powertools/logger';
import type { HandlerContext } from '../../../../lambda/handlers/types';
import { type ProcessRecordDeps, processRecord } from '../../../../lambda/processor/process-record';
import {
  EnvelopeValidationError,
  HandlerFailedError,
  ProcessingInProgressError,
} from '../../../../lambda/shared/errors';
import { CATALOG_EVENT_TYPES } from '../../../../lambda/shared/fpt-events';
import { EVENT_STATUS } from '../../../../lambda/shared/ledger-schema';
import { METRIC } from '../../../../lambda/shared/observability';
import { TEST_EVENT_MARKER } from '../../../../lambda/shared/test-event-marker';
import { captureOutput, jsonLines } from '../../../support/capture-output';
import type { FakeRow } from '../../../support/fake-ledger';
import {
  CONTACT_ID,
  EVENT_ID,
  fakeProcessorDeps,
  LOCATION_ID,
  makeEnvelope,
  makeRecord,
  SAMPLE_DATA,
  steppingClock,
  T0,
} from './helpers';

const HWM_KEY = `${LOCATION_ID}#${CONTACT_ID}`;

function setup(overrides: Partial<ProcessRecordDeps> = {}) {
  return fakeProcessorDeps(T0 + 5_000, overrides);
}

function ctxOf(mock: unknown): HandlerContext {
  return (mock as jest.Mock).mock.calls[0][1] as HandlerContext;
}

describe('processRecord', () => {
  describe('routing', () => {
    it.each(CATALOG_EVENT_TYPES)('routes %s to its own handler with its typed data', async (eventType) => {
      // Prepare
      const { deps, handlers, defaultHandler, ledger } = setup();
      const envelope = makeEnvelope(eventType, SAMPLE_DATA[eventType]);

      // Act
      const outcome = await processRecord(makeRecord(envelope), deps);

      // Assess
      expect(outcome).toBe('processed');
      expect(handlers[eventType]).toHaveBeenCalledTimes(1);
      expect(handlers[eventType]).toHaveBeenCalledWith(
        expect.objectContaining({ eventType, eventId: EVENT_ID, data: SAMPLE_DATA[eventType] }),
        expect.objectContaining({
          subscription: 'default',
          attempt: 1,
          receivedAt: T0 + 2_000,
          isStale: false,
          isTest: false,
        }),
      );
      for (const other of CATALOG_EVENT_TYPES.filter((type) => type !== eventType)) {
        expect(handlers[other]).not.toHaveBeenCalled();
      }
      expect(defaultHandler).not.toHaveBeenCalled();
      expect(ledger.rows.get(EVENT_ID)?.status).toBe(EVENT_STATUS.processed);
    });

    it('passes the lowercase eventId from the message attribute even when the body spells it in upper case', async () => {
      // Prepare
      const { deps, handlers, ledger } = setup();
      const envelope = makeEnvelope('contact.created', SAMPLE_DATA['contact.created'], {
        eventId: EVENT_ID.toUpperCase(),
      });

      // Act
      await processRecord(makeRecord(envelope), deps);

      // Assess
      expect(handlers['contact.created']).toHaveBeenCalledWith(
        expect.objectContaining({ eventId: EVENT_ID }),
        expect.anything(),
      );
      expect(ledger.rows.has(EVENT_ID)).toBe(true);
    });

    it('sends an unknown event type to the default handler, succeeds and counts it as eventType other', async () => {
      // Prepare
      const { deps, defaultHandler, metrics, ledger } = setup();
      const envelope = makeEnvelope('payment.succeeded', { paymentId: 42, amount: 1999 });

      // Act
      const outcome = await processRecord(makeRecord(envelope), deps);

      // Assess
      expect(outcome).toBe('processed');
      expect(defaultHandler).toHaveBeenCalledWith(
        expect.objectContaining({ eventType: 'payment.succeeded' }),
        expect.objectContaining({ isStale: false }),
      );
      expect(metrics.named(METRIC.processed)).toEqual([
        { name: METRIC.processed, unit: 'Count', value: 1, dimensions: { eventType: 'other' } },
      ]);
      expect(ledger.rows.get(EVENT_ID)?.status).toBe(EVENT_STATUS.processed);
    });

    it('counts a catalog event as Processed with its own eventType dimension', async () => {
      // Prepare
      const { deps, metrics } = setup();

      // Act
      await processRecord(makeRecord(makeEnvelope('contact.deleted', SAMPLE_DATA['contact.deleted'])), deps);

      // Assess
      expect(metrics.named(METRIC.processed)[0]?.dimensions).toEqual({ eventType: 'contact.deleted' });
    });
  });

  describe('idempotency', () => {
    it('skips the handler for an already processed event and counts a processor duplicate', async () => {
      // Prepare
      const { deps, handlers, ledger, metrics } = setup();
      ledger.seed(EVENT_ID, { status: EVENT_STATUS.processed, attempts: 1 });

      // Act
      const outcome = await processRecord(
        makeRecord(makeEnvelope('contact.updated', SAMPLE_DATA['contact.updated'])),
        deps,
      );

      // Assess
      expect(outcome).toBe('duplicate');
      expect(handlers['contact.updated']).not.toHaveBeenCalled();
      expect(metrics.emitted).toEqual([
        { name: METRIC.duplicate, unit: 'Count', value: 1, dimensions: { stage: 'processor' } },
      ]);
      expect(ledger.finishCalls).toEqual([]);
    });

    it('throws ProcessingInProgressError without running the handler when another invocation holds the lease', async () => {
      // Prepare
      const { deps, handlers, ledger } = setup();
      ledger.seed(EVENT_ID, {
        status: EVENT_STATUS.processing,
        processingToken: 'other',
        processingExpiresAt: T0 + 60_000,
        attempts: 1,
      });

      // Act
      const act = processRecord(
        makeRecord(makeEnvelope('contact.updated', SAMPLE_DATA['contact.updated'])),
        deps,
      );

      // Assess
      await expect(act).rejects.toBeInstanceOf(ProcessingInProgressError);
      expect(handlers['contact.updated']).not.toHaveBeenCalled();
      expect(ledger.rows.get(EVENT_ID)?.processingToken).toBe('other');
    });

    it('passes the ledger attempt count to the handler after an earlier failure', async () => {
      // Prepare
      const { deps, handlers, ledger } = setup();
      ledger.seed(EVENT_ID, { status: EVENT_STATUS.failed, attempts: 2 });

      // Act
      await processRecord(makeRecord(makeEnvelope('contact.updated', SAMPLE_DATA['contact.updated'])), deps);

      // Assess
      expect(ctxOf(handlers['contact.updated']).attempt).toBe(3);
    });
  });

  describe('failures', () => {
    it('throws HandlerFailedError, records FAILED and counts HandlerFailed when a handler throws before the last receive', async () => {
      // Prepare
      const { deps, handlers, ledger, metrics } = setup();
      (handlers['contact.created'] as jest.Mock).mockRejectedValueOnce(new TypeError('boom'));

      // Act
      const act = processRecord(
        makeRecord(makeEnvelope('contact.created', SAMPLE_DATA['contact.created']), { receiveCount: 4 }),
        deps,
      );

      // Assess
      await expect(act).rejects.toBeInstanceOf(HandlerFailedError);
      expect(ledger.rows.get(EVENT_ID)).toMatchObject({
        status: EVENT_STATUS.failed,
        lastError: 'TypeError',
      });
      expect(metrics.named(METRIC.handlerFailed)).toHaveLength(1);
      expect(metrics.named(METRIC.deadLettered)).toHaveLength(0);
      expect(metrics.named(METRIC.processed)).toHaveLength(0);
    });

    it('records DEAD_LETTERED and counts DeadLettered when the handler fails on the last receive', async () => {
      // Prepare
      const { deps, handlers, ledger, metrics } = setup({ maxReceiveCount: 3 });
      (handlers['contact.created'] as jest.Mock).mockRejectedValueOnce(new Error('boom'));

      // Act
      const act = processRecord(
        makeRecord(makeEnvelope('contact.created', SAMPLE_DATA['contact.created']), { receiveCount: 3 }),
        deps,
      );

      // Assess
      await expect(act).rejects.toBeInstanceOf(HandlerFailedError);
      expect(ledger.rows.get(EVENT_ID)?.status).toBe(EVENT_STATUS.deadLettered);
      expect(metrics.named(METRIC.deadLettered)).toEqual([
        { name: METRIC.deadLettered, unit: 'Count', value: 1 },
      ]);
      expect(metrics.named(METRIC.handlerFailed)).toHaveLength(1);
    });

    it('stores only the error name as lastError, never the message', async () => {
      // Prepare
      const { deps, handlers, ledger } = setup();
      class CrmSyncError extends Error {
        constructor(message: string) {
          super(message);
          this.name = 'CrmSyncError';
        }
      }
      (handlers['contact.created'] as jest.Mock).mockRejectedValueOnce(
        new CrmSyncError(`contact ${CONTACT_ID} jane@example.com rejected`),
      );

      // Act
      await expect(
        processRecord(makeRecord(makeEnvelope('contact.created', SAMPLE_DATA['contact.created'])), deps),
      ).rejects.toThrow(HandlerFailedError);

      // Assess
      expect(ledger.finishCalls).toEqual([
        { eventId: EVENT_ID, status: EVENT_STATUS.failed, error: 'CrmSyncError' },
      ]);
      expect(ledger.rows.get(EVENT_ID)?.lastError).toBe('CrmSyncError');
    });

    it('keeps the handler error as the cause of HandlerFailedError', async () => {
      // Prepare
      const { deps, handlers } = setup();
      const original = new Error('boom');
      (handlers['contact.created'] as jest.Mock).mockRejectedValueOnce(original);

      // Act
      const error = await processRecord(
        makeRecord(makeEnvelope('contact.created', SAMPLE_DATA['contact.created'])),
        deps,
      ).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(HandlerFailedError);
      expect((error as HandlerFailedError).cause).toBe(original);
      expect((error as HandlerFailedError).eventId).toBe(EVENT_ID);
    });

    it('fails a catalog event whose data does not match its type without running the handler', async () => {
      // Prepare
      const { deps, handlers, ledger } = setup();
      const envelope = makeEnvelope('contact.status_changed', { contactId: '9876', newStatusId: 3 });

      // Act
      const act = processRecord(makeRecord(envelope), deps);

      // Assess
      await expect(act).rejects.toBeInstanceOf(HandlerFailedError);
      expect(handlers['contact.status_changed']).not.toHaveBeenCalled();
      expect(ledger.rows.get(EVENT_ID)).toMatchObject({
        status: EVENT_STATUS.failed,
        lastError: 'EnvelopeValidationError',
      });
    });

    it('still succeeds, with a warning, when the lease was lost before success was recorded', async () => {
      // Prepare
      const { deps, ledger, metrics } = setup();
      ledger.loseLease = true;
      const warn = jest.spyOn(Logger.prototype, 'warn');

      // Act
      const outcome = await processRecord(
        makeRecord(makeEnvelope('contact.created', SAMPLE_DATA['contact.created'])),
        deps,
      );

      // Assess
      expect(outcome).toBe('processed');
      expect(metrics.named(METRIC.processed)).toHaveLength(1);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('lease lost'));
      warn.mockRestore();
    });
  });

  describe('poison messages', () => {
    it('throws EnvelopeValidationError without touching the ledger when the body is not JSON', async () => {
      // Prepare
      const { deps, ledger, handlers } = setup();
      const startSpy = jest.spyOn(ledger, 'startProcessing');
      const record = makeRecord(makeEnvelope('contact.created', SAMPLE_DATA['contact.created']), {
        body: '{"eventId": "not json',
      });

      // Act
      const act = processRecord(record, deps);

      // Assess
      await expect(act).rejects.toThrow(EnvelopeValidationError);
      expect(startSpy).not.toHaveBeenCalled();
      expect(handlers['contact.created']).not.toHaveBeenCalled();
    });

    it.each([
      ['eventId', 'fpt-event-id'],
      ['subscription', 'fpt-subscription'],
      ['eventType', 'fpt-event-type'],
      ['receivedAt', 'fpt-received-at'],
    ] as const)('throws when the %s message attribute is missing', async (key, attributeName) => {
      // Prepare
      const { deps } = setup();
      const record = makeRecord(makeEnvelope('contact.created', SAMPLE_DATA['contact.created']), {
        attributes: { [key]: undefined },
      });

      // Act
      const error = await processRecord(record, deps).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(EnvelopeValidationError);
      expect((error as EnvelopeValidationError).problems.join(' ')).toContain(attributeName);
    });

    it.each([
      ['the body is an array', '[]', 'body is not a JSON object'],
      ['eventTimestamp is missing', { eventTimestamp: undefined }, 'body.eventTimestamp'],
      ['locationId is a string', { locationId: '1234' }, 'body.locationId'],
      ['data is missing', { data: undefined }, 'body.data'],
      ['the body eventId differs from the attribute', { eventId: 'b'.repeat(32) }, 'body.eventId'],
    ] as const)('throws naming the field when %s', async (_case, change, problem) => {
      // Prepare
      const { deps } = setup();
      const envelope = makeEnvelope('contact.created', SAMPLE_DATA['contact.created']);
      const body = typeof change === 'string' ? change : JSON.stringify({ ...envelope, ...change });

      // Act
      const error = await processRecord(makeRecord(envelope, { body }), deps).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(EnvelopeValidationError);
      expect((error as EnvelopeValidationError).problems.join('; ')).toContain(problem);
    });

    it('throws when the body event type does not match the attribute', async () => {
      // Prepare
      const { deps } = setup();
      const record = makeRecord(makeEnvelope('contact.created', SAMPLE_DATA['contact.created']), {
        attributes: { eventType: 'contact.deleted' },
      });

      // Act
      const act = processRecord(record, deps);

      // Assess
      await expect(act).rejects.toThrow(EnvelopeValidationError);
    });
  });

  describe('ordering guard', () => {
    it('marks an event older than the high-water mark as stale, counts StaleEvent and keeps the mark', async () => {
      // Prepare
      const { deps, handlers, ledger, metrics } = setup();
      const newer = T0 + 60_000;
      ledger.highWaterMarks.set(HWM_KEY, newer);

      // Act
      await processRecord(
        makeRecord(makeEnvelope('contact.status_changed', SAMPLE_DATA['contact.status_changed'])),
        deps,
      );

      // Assess
      const ctx = ctxOf(handlers['contact.status_changed']);
      expect(ctx.isStale).toBe(true);
      expect(ctx.highWaterMark).toBe(new Date(newer).toISOString());
      expect(metrics.named(METRIC.staleEvent)).toHaveLength(1);
      expect(ledger.highWaterMarks.get(HWM_KEY)).toBe(newer);
    });

    it('marks an event newer than the high-water mark as fresh and raises the mark', async () => {
      // Prepare
      const { deps, handlers, ledger, metrics } = setup();
      const older = T0 - 60_000;
      ledger.highWaterMarks.set(HWM_KEY, older);

      // Act
      await processRecord(makeRecord(makeEnvelope('contact.updated', SAMPLE_DATA['contact.updated'])), deps);

      // Assess
      const ctx = ctxOf(handlers['contact.updated']);
      expect(ctx.isStale).toBe(false);
      expect(ctx.highWaterMark).toBe(new Date(older).toISOString());
      expect(metrics.named(METRIC.staleEvent)).toHaveLength(0);
      expect(ledger.highWaterMarks.get(HWM_KEY)).toBe(T0);
    });

    it('sets the first high-water mark for a contact and reports no mark to the handler', async () => {
      // Prepare
      const { deps, handlers, ledger } = setup();

      // Act
      await processRecord(makeRecord(makeEnvelope('contact.created', SAMPLE_DATA['contact.created'])), deps);

      // Assess
      const ctx = ctxOf(handlers['contact.created']);
      expect(ctx.isStale).toBe(false);
      expect(ctx).not.toHaveProperty('highWaterMark');
      expect(ledger.highWaterMarks.get(HWM_KEY)).toBe(T0);
    });

    it('raises the mark before the handler, so a retry of a failed event is not stale against itself', async () => {
      // Prepare
      const { deps, handlers, ledger } = setup();
      (handlers['contact.updated'] as jest.Mock).mockRejectedValueOnce(new Error('boom'));
      const record = makeRecord(makeEnvelope('contact.updated', SAMPLE_DATA['contact.updated']));
      await expect(processRecord(record, deps)).rejects.toThrow(HandlerFailedError);
      ledger.seed(EVENT_ID, { ...(ledger.rows.get(EVENT_ID) as FakeRow), processingExpiresAt: 0 });

      // Act
      await processRecord(record, deps);

      // Assess
      expect(ledger.highWaterMarks.get(HWM_KEY)).toBe(T0);
      expect(ctxOf(handlers['contact.updated']).isStale).toBe(false);
      expect(handlers['contact.updated']).toHaveBeenCalledTimes(2);
    });

    it('judges and raises the mark in one ledger call, never with a separate read', async () => {
      // Prepare
      const { deps, ledger } = setup();
      const readSpy = jest.spyOn(ledger, 'getHighWaterMark');
      const guardSpy = jest.spyOn(ledger, 'guardOrdering');

      // Act
      await processRecord(makeRecord(makeEnvelope('contact.updated', SAMPLE_DATA['contact.updated'])), deps);

      // Assess
      expect(readSpy).not.toHaveBeenCalled();
      expect(guardSpy).toHaveBeenCalledTimes(1);
      expect(guardSpy).toHaveBeenCalledWith(expect.any(Number), CONTACT_ID, T0, expect.any(Number));
    });

    it('applies the guard to unknown event types whose data has a numeric contactId', async () => {
      // Prepare
      const { deps, defaultHandler, ledger } = setup();
      ledger.highWaterMarks.set(HWM_KEY, T0 + 1);

      // Act
      await processRecord(makeRecord(makeEnvelope('membership.started', { contactId: CONTACT_ID })), deps);

      // Assess
      expect(ctxOf(defaultHandler).isStale).toBe(true);
    });

    it.each([
      ['far in the future', '9999-12-31T23:59:59.999Z'],
      ['before FPT webhooks existed', '0000-01-01T00:00:00Z'],
    ])(
      'handles an event dated %s (queued before the verifier judged it) without moving the mark',
      async (_, eventTimestamp) => {
        // Prepare
        const { deps, handlers, ledger } = setup();
        ledger.highWaterMarks.set(HWM_KEY, T0);
        const guardSpy = jest.spyOn(ledger, 'guardOrdering');
        const envelope = makeEnvelope('contact.updated', SAMPLE_DATA['contact.updated'], { eventTimestamp });

        // Act
        const outcome = await processRecord(makeRecord(envelope), deps);

        // Assess
        expect(outcome).toBe('processed');
        expect(guardSpy).not.toHaveBeenCalled();
        expect(ledger.highWaterMarks.get(HWM_KEY)).toBe(T0);
        expect(ctxOf(handlers['contact.updated']).isStale).toBe(false);
      },
    );

    it('still guards an event dated within the largest tolerance a configuration allows', async () => {
      // Prepare
      const { deps, ledger } = setup();
      const guardSpy = jest.spyOn(ledger, 'guardOrdering');
      const ahead = new Date(T0 + 2_000 + 3_600_000).toISOString();
      const envelope = makeEnvelope('contact.updated', SAMPLE_DATA['contact.updated'], {
        eventTimestamp: ahead,
      });

      // Act
      await processRecord(makeRecord(envelope), deps);

      // Assess
      expect(guardSpy).toHaveBeenCalledTimes(1);
    });

    it('skips the guard for events without a numeric contactId', async () => {
      // Prepare
      const { deps, defaultHandler, ledger } = setup();
      const guardSpy = jest.spyOn(ledger, 'guardOrdering');

      // Act
      await processRecord(makeRecord(makeEnvelope('payment.refunded', { paymentId: 7 })), deps);

      // Assess
      expect(guardSpy).not.toHaveBeenCalled();
      expect(ctxOf(defaultHandler).isStale).toBe(false);
    });
  });

  describe('test events', () => {
    const testEnvelope = (eventType = 'contact.updated' as const) => ({
      ...makeEnvelope(eventType, SAMPLE_DATA[eventType]),
      [TEST_EVENT_MARKER]: true,
    });

    it('tells the handler it is a test event when the body carries the marker', async () => {
      // Prepare
      const { deps, handlers, ledger } = setup();

      // Act
      const outcome = await processRecord(makeRecord(testEnvelope()), deps);

      // Assess
      expect(outcome).toBe('processed');
      expect(ctxOf(handlers['contact.updated']).isTest).toBe(true);
      expect(ledger.rows.get(EVENT_ID)?.status).toBe(EVENT_STATUS.processed);
    });

    it.each([
      ['the string "true"', 'true'],
      ['1', 1],
      ['an object', { test: true }],
    ])('does not treat a marker whose value is %s as a test event', async (_label, value) => {
      // Prepare
      const { deps, handlers } = setup();
      const envelope = {
        ...makeEnvelope('contact.updated', SAMPLE_DATA['contact.updated']),
        [TEST_EVENT_MARKER]: value,
      };

      // Act
      await processRecord(makeRecord(envelope), deps);

      // Assess
      expect(ctxOf(handlers['contact.updated']).isTest).toBe(false);
    });

    it('neither reads nor moves the high-water mark of the contact it names', async () => {
      // Prepare
      const { deps, handlers, ledger, metrics } = setup();
      const real = T0 - 60_000;
      ledger.highWaterMarks.set(HWM_KEY, real);
      const guardSpy = jest.spyOn(ledger, 'guardOrdering');

      // Act
      await processRecord(makeRecord(testEnvelope()), deps);

      // Assess
      expect(guardSpy).not.toHaveBeenCalled();
      expect(ledger.highWaterMarks.get(HWM_KEY)).toBe(real);
      const ctx = ctxOf(handlers['contact.updated']);
      expect(ctx.isStale).toBe(false);
      expect(ctx).not.toHaveProperty('highWaterMark');
      expect(metrics.named(METRIC.staleEvent)).toHaveLength(0);
    });

    it('is deduplicated like any event: a second delivery does not run the handler', async () => {
      // Prepare
      const { deps, handlers } = setup();
      await processRecord(makeRecord(testEnvelope()), deps);

      // Act
      const outcome = await processRecord(makeRecord(testEnvelope()), deps);

      // Assess
      expect(outcome).toBe('duplicate');
      expect(handlers['contact.updated']).toHaveBeenCalledTimes(1);
    });
  });

  describe('ledger writes around the handler', () => {
    it('takes the lease, then the ordering guard, runs the handler, and records PROCESSED last', async () => {
      const { deps, ledger, handlers } = setup();
      const order: string[] = [];
      for (const method of ['startProcessing', 'guardOrdering', 'finishProcessing'] as const) {
        const real = (ledger[method] as (...args: unknown[]) => Promise<unknown>).bind(ledger);
        jest.spyOn(ledger, method).mockImplementation((async (...args: unknown[]) => {
          order.push(method);
          return real(...args);
        }) as never);
      }
      (handlers['contact.updated'] as jest.Mock).mockImplementationOnce(async () => {
        order.push('handler');
      });

      await processRecord(makeRecord(makeEnvelope('contact.updated', SAMPLE_DATA['contact.updated'])), deps);

      expect(order).toEqual(['startProcessing', 'guardOrdering', 'handler', 'finishProcessing']);
    });

    it('fails the record without running the handler when the ordering guard cannot be written', async () => {
      const { deps, ledger, handlers } = setup();
      ledger.failNext.guardOrdering = new Error('throttled');
      const record = makeRecord(makeEnvelope('contact.updated', SAMPLE_DATA['contact.updated']));

      await expect(processRecord(record, deps)).rejects.toThrow(HandlerFailedError);

      expect(handlers['contact.updated']).not.toHaveBeenCalled();
      expect(ledger.rows.get(EVENT_ID)?.status).toBe(EVENT_STATUS.failed);
    });
  });

  describe('metrics', () => {
    it('measures HandlerDuration and EndToEndLatency with the injected clock', async () => {
      // Prepare: every clock read advances 250 ms, starting 5 s after the event happened.
      const { deps, metrics } = setup({ now: steppingClock(T0 + 5_000, 250) });

      // Act
      await processRecord(makeRecord(makeEnvelope('contact.created', SAMPLE_DATA['contact.created'])), deps);

      // Assess: reads are startProcessing (5000), the ordering guard (5250), handler start (5500),
      // handler end (5750), then finish (6000).
      expect(metrics.named(METRIC.handlerDuration)).toEqual([
        { name: METRIC.handlerDuration, unit: 'Milliseconds', value: 250 },
      ]);
      expect(metrics.named(METRIC.endToEndLatency)).toEqual([
        { name: METRIC.endToEndLatency, unit: 'Milliseconds', value: 6_000 },
      ]);
    });

    it('measures HandlerDuration for a failing handler too', async () => {
      // Prepare
      const { deps, handlers, metrics } = setup();
      (handlers['contact.created'] as jest.Mock).mockRejectedValueOnce(new Error('boom'));

      // Act
      await expect(
        processRecord(makeRecord(makeEnvelope('contact.created', SAMPLE_DATA['contact.created'])), deps),
      ).rejects.toThrow(HandlerFailedError);

      // Assess
      expect(metrics.named(METRIC.handlerDuration)).toHaveLength(1);
      expect(metrics.named(METRIC.endToEndLatency)).toHaveLength(0);
    });
  });

  describe('logging', () => {
    it('never writes payload values, handler error messages or the raw body to the logs', async () => {
      // Prepare: values that must not leak, in data fields, the error message and a poison body.
      const secretish = ['jane@example.com', '+15550100', 'SECRET-NOTE-4242'];
      const output = captureOutput();
      const { deps, handlers, defaultHandler } = setup({
        logger: new Logger({ serviceName: 'processor-test', logLevel: 'DEBUG' }),
      });
      (handlers['contact.updated'] as jest.Mock).mockRejectedValueOnce(
        new Error(`could not sync ${secretish[0]} / ${secretish[1]}`),
      );
      (defaultHandler as jest.Mock).mockImplementationOnce(async (event, ctx) => {
        // The example default handler's behaviour: log the type, never the data.
        ctx.logger.info('acknowledged', { eventType: event.eventType });
      });
      const failing = makeEnvelope('contact.updated', {
        ...SAMPLE_DATA['contact.updated'],
        email: secretish[0],
      });
      const unknown = makeEnvelope(
        'message.sms_received',
        { phone: secretish[1], text: secretish[2] },
        { eventId: 'a'.repeat(32) },
      );
      const poison = makeRecord(unknown, { body: `{"note":"${secretish[2]}"`, messageId: 'poison-1' });

      // Act
      try {
        await processRecord(makeRecord(failing), deps).catch(() => undefined);
        await processRecord(makeRecord(unknown), deps);
        await processRecord(poison, deps).catch(() => undefined);
      } finally {
        output.restore();
      }

      // Assess
      const lines = output.lines();
      expect(lines.length).toBeGreaterThan(0);
      const joined = lines.join('\n');
      for (const value of secretish) expect(joined).not.toContain(value);
      expect(joined).not.toContain('could not sync');
      expect(joined).toContain('poison-1');
      const logs = jsonLines(lines);
      expect(logs.find((log) => log.errorName === 'Error')).toMatchObject({
        eventId: EVENT_ID,
        subscription: 'default',
      });
    });
  });
});
