import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import {
  createProcessorHandler,
  type ProcessorHandlerDeps,
} from '../../../../lambda/processor/create-handler';
import { EVENT_STATUS } from '../../../../lambda/shared/ledger-schema';
import { METRIC } from '../../../../lambda/shared/observability';
import { captureOutput, emfDocuments } from '../../../support/capture-output';
import { FakeLedger } from '../../../support/fake-ledger';
import { CONTACT_ID, makeEnvelope, makeRecord, mockHandlers, SAMPLE_DATA, silentLogger, T0 } from './helpers';

const id = (n: number): string => n.toString(16).padStart(32, '0');

function setup(overrides: Partial<ProcessorHandlerDeps> = {}) {
  const ledger = new FakeLedger();
  const { handlers, defaultHandler } = mockHandlers();
  const metrics = new Metrics({ namespace: 'ProcessorTest', serviceName: 'processor-test' });
  const handler = createProcessorHandler({
    ledger,
    logger: silentLogger(),
    metrics,
    maxReceiveCount: 5,
    handlers,
    defaultHandler,
    now: () => T0 + 5_000,
    ...overrides,
  });
  return { ledger, handlers, defaultHandler, handler };
}

const created = (n: number) =>
  makeEnvelope('contact.created', SAMPLE_DATA['contact.created'], { eventId: id(n) });

describe('createProcessorHandler', () => {
  let output: ReturnType<typeof captureOutput>;
  beforeEach(() => {
    output = captureOutput();
  });
  afterEach(() => {
    output.restore();
    delete process.env.FPT_DASHBOARD_METRICS;
  });

  it('reports only the failing record when the middle record of three fails', async () => {
    // Prepare
    const { handler, handlers, ledger } = setup();
    (handlers['contact.created'] as jest.Mock)
      .mockResolvedValueOnce(undefined)
      .mockRejectedValueOnce(new Error('boom'))
      .mockResolvedValueOnce(undefined);
    const records = [1, 2, 3].map((n) => makeRecord(created(n), { messageId: `m-${n}` }));

    // Act
    const response = await handler({ Records: records });

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }] });
    expect(ledger.rows.get(id(1))?.status).toBe(EVENT_STATUS.processed);
    expect(ledger.rows.get(id(2))?.status).toBe(EVENT_STATUS.failed);
    expect(ledger.rows.get(id(3))?.status).toBe(EVENT_STATUS.processed);
  });

  it('reports a record whose event is in progress elsewhere as a batch item failure', async () => {
    // Prepare
    const { handler, ledger } = setup();
    ledger.seed(id(1), {
      status: EVENT_STATUS.processing,
      processingToken: 'other',
      processingExpiresAt: T0 + 60_000,
      attempts: 1,
    });

    // Act
    const response = await handler({ Records: [makeRecord(created(1), { messageId: 'm-1' })] });

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
  });

  it('reports a poison message as a batch item failure and processes the rest', async () => {
    // Prepare
    const { handler, handlers } = setup();
    const records = [
      makeRecord(created(1), { messageId: 'poison', body: 'not json' }),
      makeRecord(created(2), { messageId: 'good' }),
    ];

    // Act
    const response = await handler({ Records: records });

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'poison' }]);
    expect(handlers['contact.created']).toHaveBeenCalledTimes(1);
  });

  it('returns every record as a failure instead of throwing when the whole batch fails', async () => {
    // Prepare
    const { handler, handlers } = setup();
    (handlers['contact.created'] as jest.Mock).mockRejectedValue(new Error('down'));

    // Act
    const response = await handler({
      Records: [1, 2].map((n) => makeRecord(created(n), { messageId: `m-${n}` })),
    });

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }, { itemIdentifier: 'm-2' }]);
  });

  it('treats an already processed record as a success without running its handler', async () => {
    // Prepare
    const { handler, handlers, ledger } = setup();
    ledger.seed(id(1), { status: EVENT_STATUS.processed, attempts: 1 });

    // Act
    const response = await handler({ Records: [makeRecord(created(1))] });

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(handlers['contact.created']).not.toHaveBeenCalled();
  });

  it('runs records in order, so an older event later in the same batch is stale', async () => {
    // Prepare
    const { handler, handlers } = setup();
    const newer = makeEnvelope('contact.updated', SAMPLE_DATA['contact.updated'], {
      eventId: id(1),
      eventTimestamp: new Date(T0 + 10_000).toISOString(),
    });
    const older = makeEnvelope('contact.updated', SAMPLE_DATA['contact.updated'], { eventId: id(2) });

    // Act
    await handler({ Records: [makeRecord(newer), makeRecord(older)] });

    // Assess
    const calls = (handlers['contact.updated'] as jest.Mock).mock.calls;
    expect(calls.map(([event, ctx]) => [event.eventId, ctx.isStale])).toEqual([
      [id(1), false],
      [id(2), true],
    ]);
    expect(calls[1]?.[0].data.contactId).toBe(CONTACT_ID);
  });

  it('publishes EMF metrics with bounded per-metric dimensions and flushes the rest once per invocation', async () => {
    // Prepare: deployed with the dashboard, so every series is published.
    process.env.FPT_DASHBOARD_METRICS = 'on';
    const { handler, ledger } = setup();
    ledger.seed(id(3), { status: EVENT_STATUS.processed, attempts: 1 });
    const records = [
      makeRecord(created(1)),
      makeRecord(makeEnvelope('class.attended', { classId: 5 }, { eventId: id(2) })),
      makeRecord(created(3)),
    ];

    // Act
    await handler({ Records: records }, { awsRequestId: 'req-1' } as Context);

    // Assess
    const docs = emfDocuments(output.lines());
    const processed = docs.filter((doc) => METRIC.processed in doc);
    expect(processed.map((doc) => doc.eventType)).toEqual(['contact.created', 'other']);
    expect(processed[0]?._aws).toMatchObject({
      CloudWatchMetrics: [{ Namespace: 'ProcessorTest', Dimensions: [['service', 'eventType']] }],
    });
    const duplicate = docs.find((doc) => METRIC.duplicate in doc);
    expect(duplicate).toMatchObject({ stage: 'processor', service: 'processor-test', [METRIC.duplicate]: 1 });
    const batched = docs.filter((doc) => METRIC.handlerDuration in doc);
    expect(batched).toHaveLength(1);
    expect(batched[0]?.[METRIC.handlerDuration]).toEqual([0, 0]);
    expect(batched[0]?.[METRIC.endToEndLatency]).toEqual([5_000, 5_000]);
    expect(batched[0]).not.toHaveProperty('eventType');
  });

  it('does not warn about empty metrics when a batch only held duplicates', async () => {
    // Prepare
    const { handler, ledger } = setup();
    ledger.seed(id(1), { status: EVENT_STATUS.processed, attempts: 1 });

    // Act
    await handler({ Records: [makeRecord(created(1))] });

    // Assess
    expect(output.lines().join('\n')).not.toContain('No application metrics');
  });

  it('accepts a call without a Lambda context, as a local poller makes', async () => {
    // Prepare
    const { handler, handlers } = setup();

    // Act
    const response = await handler({ Records: [makeRecord(created(1))] });

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(handlers['contact.created']).toHaveBeenCalledTimes(1);
  });
});
