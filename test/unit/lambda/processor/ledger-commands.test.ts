import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { processRecord } from '../../../../lambda/processor/process-record';
import { DEFAULT_PROCESSING_LEASE_SECONDS } from '../../../../lambda/shared/defaults';
import { HandlerFailedError, ProcessingInProgressError } from '../../../../lambda/shared/errors';
import { EventLedger } from '../../../../lambda/shared/ledger';
import { EVENT_STATUS } from '../../../../lambda/shared/ledger-schema';
import { RecordingMetrics } from '../../../support/metrics';
import {
  CONTACT_ID,
  EVENT_ID,
  LOCATION_ID,
  makeEnvelope,
  makeRecord,
  mockHandlers,
  SAMPLE_DATA,
  silentLogger,
  T0,
} from './helpers';

const NOW = T0 + 5_000;
/** The deployed processing lease (the processor timeout + 30 s). */
const LEASE_MS = DEFAULT_PROCESSING_LEASE_SECONDS * 1000;
const ddb = mockClient(DynamoDBDocumentClient);

const isStart = (input: UpdateCommandInput) =>
  input.UpdateExpression?.startsWith('SET #status = :processing') ?? false;
const isFinish = (input: UpdateCommandInput) =>
  input.ConditionExpression === '#processingToken = :token AND #status = :processing';
const isAdvance = (input: UpdateCommandInput) => String(input.Key?.pk ?? '').startsWith('order#');

function conditionFailed(status: string): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    Item: { status: { S: status } },
  });
}

function setup(options: { maxReceiveCount?: number } = {}) {
  const ledger = new EventLedger({
    client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    tableName: 'ledger-test',
    retentionDays: 30,
    processingLeaseMs: LEASE_MS,
  });
  const { handlers, defaultHandler } = mockHandlers();
  const deps = {
    ledger,
    handlers,
    defaultHandler,
    now: () => NOW,
    maxReceiveCount: options.maxReceiveCount ?? 5,
    metrics: new RecordingMetrics(),
    logger: silentLogger(),
  };
  return { deps, handlers };
}

const updates = (): UpdateCommandInput[] => ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);

describe('processRecord with the real EventLedger', () => {
  beforeEach(() => {
    ddb.reset();
    ddb.on(UpdateCommand).resolves({ Attributes: { status: EVENT_STATUS.enqueued } });
    ddb.on(GetCommand).resolves({});
  });

  it('takes the lease with a condition that excludes PROCESSED events and live leases', async () => {
    // Prepare
    const { deps } = setup();

    // Act
    await processRecord(makeRecord(makeEnvelope('contact.created', SAMPLE_DATA['contact.created'])), deps);

    // Assess
    const start = updates().find(isStart);
    expect(start).toMatchObject({
      TableName: 'ledger-test',
      Key: { pk: EVENT_ID },
      ConditionExpression:
        'attribute_not_exists(#pk) OR (#status <> :processed AND (#status <> :processing OR #processingExpiresAt < :nowMs))',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(start?.ExpressionAttributeValues).toMatchObject({
      ':processed': EVENT_STATUS.processed,
      ':processing': EVENT_STATUS.processing,
      ':nowMs': NOW,
      ':leaseEnd': NOW + LEASE_MS,
    });
  });

  it('records success conditioned on the processing token it was given', async () => {
    // Prepare
    const { deps } = setup();

    // Act
    await processRecord(makeRecord(makeEnvelope('contact.created', SAMPLE_DATA['contact.created'])), deps);

    // Assess
    const start = updates().find(isStart);
    const finish = updates().find(isFinish);
    expect(finish).toMatchObject({
      Key: { pk: EVENT_ID },
      ConditionExpression: '#processingToken = :token AND #status = :processing',
      ExpressionAttributeValues: {
        ':status': EVENT_STATUS.processed,
        ':token': start?.ExpressionAttributeValues?.[':token'],
      },
    });
    expect(typeof start?.ExpressionAttributeValues?.[':token']).toBe('string');
  });

  it('judges and raises the per-contact high-water mark in one never-lower conditional write, no read', async () => {
    // Prepare
    const { deps, handlers } = setup();
    ddb.on(UpdateCommand).resolves({ Attributes: { highWaterMark: T0 - 1 } });

    // Act
    await processRecord(makeRecord(makeEnvelope('contact.updated', SAMPLE_DATA['contact.updated'])), deps);

    // Assess
    expect(ddb.commandCalls(GetCommand)).toEqual([]);
    expect(updates().filter(isAdvance)).toHaveLength(1);
    expect(updates().find(isAdvance)).toMatchObject({
      Key: { pk: `order#${LOCATION_ID}#${CONTACT_ID}` },
      ConditionExpression: 'attribute_not_exists(#hwm) OR #hwm <= :ts',
      ExpressionAttributeValues: { ':ts': T0 },
      ReturnValues: 'ALL_OLD',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect((handlers['contact.updated'] as jest.Mock).mock.calls[0][1]).toMatchObject({
      isStale: false,
      highWaterMark: new Date(T0 - 1).toISOString(),
    });
  });

  it('reads a stale verdict and the newer mark off the failed condition, without a read', async () => {
    // Prepare
    const { deps, handlers } = setup();
    ddb.on(UpdateCommand, { Key: { pk: `order#${LOCATION_ID}#${CONTACT_ID}` } }).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: { highWaterMark: { N: String(T0 + 1) } },
      }),
    );

    // Act
    await processRecord(makeRecord(makeEnvelope('contact.updated', SAMPLE_DATA['contact.updated'])), deps);

    // Assess
    expect(ddb.commandCalls(GetCommand)).toEqual([]);
    expect((handlers['contact.updated'] as jest.Mock).mock.calls[0][1]).toMatchObject({
      isStale: true,
      highWaterMark: new Date(T0 + 1).toISOString(),
    });
  });

  it('skips the handler and writes nothing more when the condition fails on a PROCESSED row', async () => {
    // Prepare
    const { deps, handlers } = setup();
    ddb.on(UpdateCommand).rejects(conditionFailed(EVENT_STATUS.processed));

    // Act
    const outcome = await processRecord(
      makeRecord(makeEnvelope('contact.created', SAMPLE_DATA['contact.created'])),
      deps,
    );

    // Assess
    expect(outcome).toBe('duplicate');
    expect(handlers['contact.created']).not.toHaveBeenCalled();
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
  });

  it('throws ProcessingInProgressError when the condition fails on a row with a live lease', async () => {
    // Prepare
    const { deps } = setup();
    ddb.on(UpdateCommand).rejects(conditionFailed(EVENT_STATUS.processing));

    // Act
    const act = processRecord(
      makeRecord(makeEnvelope('contact.created', SAMPLE_DATA['contact.created'])),
      deps,
    );

    // Assess
    await expect(act).rejects.toBeInstanceOf(ProcessingInProgressError);
  });

  it('writes DEAD_LETTERED with only the error name on the last receive', async () => {
    // Prepare
    const { deps, handlers } = setup({ maxReceiveCount: 2 });
    (handlers['contact.created'] as jest.Mock).mockRejectedValueOnce(
      new RangeError(`contact ${CONTACT_ID} invalid`),
    );

    // Act
    await expect(
      processRecord(
        makeRecord(makeEnvelope('contact.created', SAMPLE_DATA['contact.created']), { receiveCount: 2 }),
        deps,
      ),
    ).rejects.toThrow(HandlerFailedError);

    // Assess
    const finish = updates().find(isFinish);
    expect(finish?.ExpressionAttributeValues).toMatchObject({
      ':status': EVENT_STATUS.deadLettered,
      ':error': 'RangeError',
    });
    expect(JSON.stringify(updates())).not.toContain('invalid');
  });

  describe('a replay message', () => {
    const replayRecord = (n: number) =>
      makeRecord(makeEnvelope('contact.created', SAMPLE_DATA['contact.created']), {
        attributes: { replay: String(n) },
      });
    const refusedWith = (item: Record<string, AttributeValue> | undefined) =>
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        ...(item !== undefined ? { Item: item } : {}),
      });

    it('takes the lease only on an existing row holding the request and not done, and records replayDone from ALL_OLD', async () => {
      const { deps } = setup();
      ddb
        .on(UpdateCommand)
        .resolves({ Attributes: { status: EVENT_STATUS.processed, replayCount: 3, attempts: 1 } });

      await processRecord(replayRecord(2), deps);

      const start = updates().find(isStart);
      expect(start).toMatchObject({
        ConditionExpression:
          'attribute_exists(#pk) AND attribute_exists(#replayCount) AND #replayCount >= :replay AND ' +
          '(attribute_not_exists(#replayDone) OR #replayDone < :replay) AND ' +
          '(#status <> :processing OR #processingExpiresAt < :nowMs)',
        ExpressionAttributeValues: expect.objectContaining({ ':replay': 2 }),
        ReturnValues: 'ALL_OLD',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
      expect(updates().find(isFinish)?.UpdateExpression).toContain('#replayDone = :replayDone');
      expect(updates().find(isFinish)?.ExpressionAttributeValues).toMatchObject({ ':replayDone': 3 });
    });

    it('answers a done replay and an unrequested one from the old row the failed condition returns, with no read', async () => {
      const { deps, handlers } = setup();
      ddb
        .on(UpdateCommand)
        .rejectsOnce(
          refusedWith({
            status: { S: EVENT_STATUS.processed },
            replayCount: { N: '2' },
            replayDone: { N: '2' },
          }),
        )
        .rejectsOnce(refusedWith({ status: { S: EVENT_STATUS.processed }, replayCount: { N: '1' } }));

      const done = await processRecord(replayRecord(2), deps);
      const unrequested = processRecord(replayRecord(2), deps);

      expect(done).toBe('duplicate');
      await expect(unrequested).rejects.toMatchObject({
        name: 'ReplayRefusedError',
        reason: 'not_requested',
      });
      expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
      expect(handlers['contact.created']).not.toHaveBeenCalled();
    });

    it('reads the row when the failed condition returns none, and refuses a replay whose row is gone', async () => {
      const { deps } = setup();
      ddb.on(UpdateCommand).rejects(refusedWith(undefined));
      ddb.on(GetCommand).resolves({});

      await expect(processRecord(replayRecord(1), deps)).rejects.toMatchObject({ reason: 'row_missing' });
      expect(ddb.commandCalls(GetCommand)).toHaveLength(1);
    });
  });
});
