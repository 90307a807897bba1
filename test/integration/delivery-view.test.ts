import type { SQSRecord } from 'aws-lambda';
import type { EventRow } from '../../lambda/shared/ledger-schema';
import { DeliveryView } from '../../local/delivery-view';

const EVENT_ID = 'ab12cd34ef56ab12cd34ef56ab12cd34';

function record(receiveCount: number, replay?: number): SQSRecord {
  const base = recordOf(receiveCount);
  if (replay === undefined) return base;
  return {
    ...base,
    messageAttributes: {
      ...base.messageAttributes,
      'fpt-replay': {
        stringValue: String(replay),
        dataType: 'String',
        stringListValues: [],
        binaryListValues: [],
      },
    },
  };
}

function recordOf(receiveCount: number): SQSRecord {
  return {
    messageId: `m-${receiveCount}`,
    receiptHandle: 'r',
    body: '{"secret-looking":"body"}',
    attributes: { ApproximateReceiveCount: String(receiveCount) } as SQSRecord['attributes'],
    messageAttributes: {
      'fpt-event-id': {
        stringValue: EVENT_ID,
        dataType: 'String',
        stringListValues: [],
        binaryListValues: [],
      },
      'fpt-event-type': {
        stringValue: 'contact.updated',
        dataType: 'String',
        stringListValues: [],
        binaryListValues: [],
      },
      'fpt-subscription': {
        stringValue: 'default',
        dataType: 'String',
        stringListValues: [],
        binaryListValues: [],
      },
    },
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn',
    awsRegion: 'us-east-1',
  };
}

describe('DeliveryView (the npm start terminal)', () => {
  const t0 = Date.parse('2026-01-01T10:00:00.000Z');
  let rows: Record<string, Partial<EventRow>>;
  let lines: string[];
  let view: DeliveryView;

  beforeEach(() => {
    rows = {};
    lines = [];
    view = new DeliveryView({
      write: (line) => lines.push(line),
      readRow: async (id) => rows[id] as EventRow | undefined,
      holdMs: 50,
    });
  });

  it('prints one line with every stage once the processor is done', async () => {
    rows[EVENT_ID] = {
      status: 'ENQUEUED',
      eventType: 'contact.updated',
      receivedAt: t0 + 3,
      enqueuedAt: t0 + 12,
    };
    await view.verifierDone({
      arrivedAt: t0,
      subscription: 'default',
      statusCode: 202,
      responseBody: JSON.stringify({ status: 'accepted', eventId: EVENT_ID }),
      logs: [],
    });
    expect(lines).toEqual([]);

    rows[EVENT_ID] = { ...rows[EVENT_ID], status: 'PROCESSED', attempts: 1, processedAt: t0 + 1250 };
    await view.batchDone({
      records: [record(1)],
      failedMessageIds: new Set(),
      startedAt: t0 + 20,
      endedAt: t0 + 1260,
    });

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /ab12cd34 {2}contact\.updated +default +received → verified \+3ms → queued \+12ms → processed \+1\.3s$/,
    );
  });

  it('prints rejections with the logged reason and nothing from the request', async () => {
    await view.verifierDone({
      arrivedAt: t0,
      subscription: 'default',
      statusCode: 401,
      responseBody: '{"message":"Unauthorized"}',
      logs: [{ level: 'WARN', message: 'delivery rejected', reason: 'bad_signature', statusCode: 401 }],
    });

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/-------- {2}- +default +rejected 401 \(bad_signature\)$/);
  });

  it('escapes control characters in an error name it prints, so they cannot run on the terminal', async () => {
    await view.verifierDone({
      arrivedAt: t0,
      subscription: 'default',
      statusCode: 500,
      logs: [],
      error: Object.assign(new Error('x'), { name: 'Boom\u001b]52;c;ZXZpbA==\u0007\u009b2J' }),
    });

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/error 500 \(Boom\\u001b\]52;c;ZXZpbA==\\u0007\\u009b2J\)$/);
  });

  it('prints retries and the move to the DLQ as their own lines', async () => {
    rows[EVENT_ID] = { status: 'FAILED', eventType: 'contact.updated', attempts: 2 };
    await view.batchDone({
      records: [record(2)],
      failedMessageIds: new Set(['m-2']),
      startedAt: t0,
      endedAt: t0,
    });
    rows[EVENT_ID] = { status: 'DEAD_LETTERED', eventType: 'contact.updated', attempts: 5 };
    await view.batchDone({
      records: [record(5)],
      failedMessageIds: new Set(['m-5']),
      startedAt: t0,
      endedAt: t0,
    });

    expect(lines[0]).toMatch(/failed \(attempt 2\)$/);
    expect(lines[1]).toMatch(/dead-lettered \(attempt 5\)$/);
    expect(lines.join('\n')).not.toContain('secret-looking');
  });

  it('prints a replay (events replay) as its own line, and a copy of it as a duplicate', async () => {
    rows[EVENT_ID] = { status: 'PROCESSED', eventType: 'contact.updated', attempts: 2, processedAt: t0 + 5 };
    await view.batchDone({
      records: [record(1, 1)],
      failedMessageIds: new Set(),
      startedAt: t0,
      endedAt: t0 + 6,
    });
    await view.batchDone({
      records: [record(2, 1)],
      failedMessageIds: new Set(),
      startedAt: t0 + 10,
      endedAt: t0 + 11,
    });
    rows[EVENT_ID] = { status: 'FAILED', eventType: 'contact.updated', attempts: 3, replayCount: 2 };
    await view.batchDone({
      records: [record(1, 2)],
      failedMessageIds: new Set(['m-1']),
      startedAt: t0 + 20,
      endedAt: t0 + 21,
    });

    expect(lines[0]).toMatch(/contact\.updated.*replay 1 processed$/);
    expect(lines[1]).toMatch(/replay 1: duplicate \(already run\)$/);
    expect(lines[2]).toMatch(/replay 2: failed \(attempt 3\)$/);
  });

  it('prints a replay the ledger does not hold as refused, and an unreadable replay number as ? (a poison message)', async () => {
    rows[EVENT_ID] = { status: 'PROCESSED', eventType: 'contact.updated', attempts: 1, replayCount: 1 };
    const malformed = record(1, 1);
    malformed.messageAttributes['fpt-replay'] = {
      stringValue: '1\u001b[2J',
      dataType: 'String',
      stringListValues: [],
      binaryListValues: [],
    };
    await view.batchDone({
      records: [
        { ...record(1, 3), messageId: 'refused' },
        { ...malformed, messageId: 'bad' },
      ],
      failedMessageIds: new Set(['refused', 'bad']),
      startedAt: t0,
      endedAt: t0,
    });

    expect(lines[0]).toMatch(/replay 3: refused \(not in the ledger\)$/);
    expect(lines[1]).toMatch(/replay \?: failed \(attempt 1\)$/);
    expect(lines.join('\n')).not.toContain('\u001b');
  });

  it('prints a held line without the processor stage when the processor is slow', async () => {
    rows[EVENT_ID] = {
      status: 'ENQUEUED',
      eventType: 'contact.updated',
      receivedAt: t0 + 1,
      enqueuedAt: t0 + 2,
    };
    await view.verifierDone({
      arrivedAt: t0,
      subscription: 'default',
      statusCode: 202,
      responseBody: JSON.stringify({ status: 'accepted', eventId: EVENT_ID }),
      logs: [],
    });

    await new Promise((resolve) => setTimeout(resolve, 150));

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/queued \+2ms → waiting for the processor$/);
  });
});
