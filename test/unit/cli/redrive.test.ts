import {
  DeleteMessageBatchCommand,
  ListMessageMoveTasksCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { isMoveTaskUnsupported, redrive } from '../../../cli/redrive';

const sqsMock = mockClient(SQSClient);
const SOURCE = { url: 'https://sqs/dlq', arn: 'arn:aws:sqs:us-east-1:123456789012:dlq' };
const DESTINATION = { url: 'https://sqs/q', arn: 'arn:aws:sqs:us-east-1:123456789012:q' };

/** A DLQ holding `count` messages; receive hands them out ten at a time, delete removes them. */
function fakeDlq(count: number) {
  const waiting: Message[] = Array.from({ length: count }, (_, i) => ({
    MessageId: `m${i}`,
    ReceiptHandle: `r${i}`,
    Body: `{"n":${i}}`,
    MessageAttributes: { 'fpt-event-id': { DataType: 'String', StringValue: `e${i}` } },
  }));
  const inFlight = new Map<string, Message>();
  sqsMock.on(ReceiveMessageCommand).callsFake(async (input: { MaxNumberOfMessages: number }) => {
    const batch = waiting.splice(0, input.MaxNumberOfMessages);
    for (const m of batch) inFlight.set(m.ReceiptHandle as string, m);
    return { Messages: batch };
  });
  sqsMock.on(DeleteMessageBatchCommand).callsFake(async (input: { Entries: { ReceiptHandle: string }[] }) => {
    for (const e of input.Entries) inFlight.delete(e.ReceiptHandle);
    return { Successful: input.Entries.map((_, i) => ({ Id: String(i) })), Failed: [] };
  });
  return { waiting, inFlight };
}

const unsupported = () =>
  Object.assign(new Error('Unexpected token <'), { name: 'SyntaxError', $metadata: { httpStatusCode: 500 } });

beforeEach(() => sqsMock.reset());

describe('isMoveTaskUnsupported', () => {
  it.each([
    [{ name: 'UnsupportedOperation' }, true],
    [{ name: 'UnknownOperationException' }, true],
    [{ name: 'Whatever', $metadata: { httpStatusCode: 501 } }, true],
    [{ name: 'SyntaxError', $metadata: { httpStatusCode: 500 } }, true],
    [{ name: 'InternalError', $metadata: { httpStatusCode: 500 } }, false],
    [{ name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }, false],
  ])('%j -> %p', (error, expected) => {
    expect(isMoveTaskUnsupported(error)).toBe(expected);
  });
});

describe('redrive', () => {
  it('uses an SQS message move task where it exists and reports its progress until it completes', async () => {
    // Prepare
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'handle-123' });
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({
        Results: [
          { Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 7 },
        ],
      })
      .resolves({
        Results: [
          { Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 7, ApproximateNumberOfMessagesToMove: 7 },
        ],
      });
    const progress: string[] = [];

    // Act
    const result = await redrive({
      sqs: new SQSClient({}),
      source: SOURCE,
      destination: DESTINATION,
      expected: 7,
      progress: (l) => progress.push(l),
      sleep: async () => {},
    });

    // Assess
    expect(sqsMock.commandCalls(StartMessageMoveTaskCommand)[0]?.args[0].input).toEqual({
      SourceArn: SOURCE.arn,
      DestinationArn: DESTINATION.arn,
    });
    expect(result).toEqual({ method: 'move-task', moved: 7, notMoved: 0, notDeleted: 0 });
    expect(progress).toEqual(
      expect.arrayContaining(['  RUNNING: moved 3 of ~7', '  COMPLETED: moved 7 of ~7']),
    );
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
  });

  it('fails when the move task fails, saying why', async () => {
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'h' });
    sqsMock.on(ListMessageMoveTasksCommand).resolves({
      Results: [{ Status: 'FAILED', ApproximateNumberOfMessagesMoved: 2, FailureReason: 'AccessDenied' }],
    });

    await expect(
      redrive({
        sqs: new SQSClient({}),
        source: SOURCE,
        destination: DESTINATION,
        expected: 5,
        progress: () => {},
        sleep: async () => {},
      }),
    ).rejects.toThrow('the message move task failed after moving 2: AccessDenied');
  });

  it('falls back to receive-send-delete when the endpoint has no move tasks, moving every message once', async () => {
    // Prepare
    sqsMock.on(StartMessageMoveTaskCommand).rejects(unsupported());
    const dlq = fakeDlq(23);
    const sent: { MessageBody?: string; MessageAttributes?: unknown }[] = [];
    sqsMock.on(SendMessageCommand).callsFake(async (input) => {
      sent.push(input);
      return { MessageId: `s${sent.length}` };
    });
    const progress: string[] = [];

    // Act
    const result = await redrive({
      sqs: new SQSClient({}),
      source: SOURCE,
      destination: DESTINATION,
      expected: 23,
      progress: (l) => progress.push(l),
    });

    // Assess: all 23 sent to the work queue with their attributes, then deleted from the DLQ.
    expect(result).toEqual({ method: 'receive-send-delete', moved: 23, notMoved: 0, notDeleted: 0 });
    expect(sent.map((s) => s.MessageBody).sort()).toEqual(
      Array.from({ length: 23 }, (_, i) => `{"n":${i}}`).sort(),
    );
    expect(sent[0]?.MessageAttributes).toEqual({ 'fpt-event-id': { DataType: 'String', StringValue: 'e0' } });
    expect(dlq.waiting).toHaveLength(0);
    expect(dlq.inFlight.size).toBe(0);
    expect(progress).toContain('  moved 23 of ~23');
  });

  it('never deletes a message whose send failed', async () => {
    sqsMock.on(StartMessageMoveTaskCommand).rejects(unsupported());
    const dlq = fakeDlq(10);
    sqsMock.on(SendMessageCommand).callsFake(async (input: { MessageBody: string }) => {
      if (input.MessageBody === '{"n":4}') throw new Error('throttled');
      return { MessageId: 'ok' };
    });

    const result = await redrive({
      sqs: new SQSClient({}),
      source: SOURCE,
      destination: DESTINATION,
      expected: 10,
      progress: () => {},
    });

    expect(result).toMatchObject({ moved: 9, notMoved: 1 });
    const deleted = sqsMock
      .commandCalls(DeleteMessageBatchCommand)
      .flatMap((c) => c.args[0].input.Entries?.map((e) => e.ReceiptHandle) ?? []);
    expect(deleted).not.toContain('r4');
    expect(deleted).toHaveLength(9);
    expect([...dlq.inFlight.keys()]).toEqual(['r4']);
  });

  it('moves at most --max messages, by hand, without starting a move task', async () => {
    const dlq = fakeDlq(30);
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'ok' });

    const result = await redrive({
      sqs: new SQSClient({}),
      source: SOURCE,
      destination: DESTINATION,
      max: 12,
      expected: 30,
      progress: () => {},
    });

    expect(result.moved).toBe(12);
    expect(dlq.waiting).toHaveLength(18);
    expect(sqsMock.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
  });

  it('rethrows an error of the move task that is not "unsupported"', async () => {
    sqsMock
      .on(StartMessageMoveTaskCommand)
      .rejects(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));

    await expect(
      redrive({
        sqs: new SQSClient({}),
        source: SOURCE,
        destination: DESTINATION,
        expected: 1,
        progress: () => {},
      }),
    ).rejects.toThrow('not allowed');
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
  });
});
