import {
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  type MessageSystemAttributeName,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { LOCAL_REGION } from './aws';
import { createLambdaContext, withTimeout } from './lambda-context';

export type ProcessorLikeHandler = (
  event: SQSEvent,
  context: Context,
) => Promise<SQSBatchResponse | undefined>;

/** Environment variable that shortens the visibility timeout the local poller receives with. */
export const VISIBILITY_OVERRIDE_ENV = 'FPT_LOCAL_VISIBILITY_TIMEOUT_SECONDS';

export interface PollerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Becomes `eventSourceARN` of every record. */
  readonly queueArn: string;
  /** The processor handler (the real one, or a wrapper around it). */
  readonly handler: ProcessorLikeHandler;
  /** Records per invocation, as the event source mapping's `BatchSize`. */
  readonly batchSize: number;
  /** As `MaximumBatchingWindowInSeconds`: how long to keep gathering records for one batch. */
  readonly batchingWindowSeconds: number;
  /** The processor's Lambda timeout; an invocation running longer fails the whole batch. */
  readonly timeoutSeconds: number;
  /**
   * Long-poll wait of each ReceiveMessage.
   * @default 20 (what Lambda's pollers use)
   */
  readonly waitTimeSeconds?: number;
  /**
   * Visibility timeout to receive with instead of the queue's own (Lambda always uses the queue's).
   * Lets local runs and tests see a failed message again in seconds rather than after 6x the timeout.
   * @default - the queue's visibility timeout
   */
  readonly visibilityTimeoutSeconds?: number;
  /** @default 'fpt-webhooks-local-processor' */
  readonly functionName?: string;
  /** Called after every invocation, e.g. to print what happened. */
  readonly onBatch?: (result: BatchResult) => void | Promise<void>;
  /** Called when receiving or deleting fails; the poller backs off and carries on. */
  readonly onError?: (error: unknown) => void;
}

export interface BatchResult {
  readonly records: readonly SQSRecord[];
  /** messageIds that were not deleted and will be received again after the visibility timeout. */
  readonly failedMessageIds: ReadonlySet<string>;
  /** Set when the invocation itself failed (threw, timed out, or answered with an invalid response). */
  readonly invocationError?: unknown;
  readonly startedAt: number;
  readonly endedAt: number;
}

export interface Poller {
  /** Stops polling, lets an invocation in flight finish, and resolves when the loop has ended. */
  stop(): Promise<void>;
}

/** The record attributes Lambda passes on (the FIFO and tracing ones only when SQS returns them). */
const RECORD_ATTRIBUTES = [
  'ApproximateReceiveCount',
  'SentTimestamp',
  'SenderId',
  'ApproximateFirstReceiveTimestamp',
  'AWSTraceHeader',
  'SequenceNumber',
  'MessageGroupId',
  'MessageDeduplicationId',
  'DeadLetterQueueSourceArn',
] as const;

function toRecordAttributes(message: Message): SQSRecord['attributes'] {
  const out: Record<string, string> = {};
  for (const name of RECORD_ATTRIBUTES) {
    const value = message.Attributes?.[name as MessageSystemAttributeName];
    if (value !== undefined) out[name] = value;
  }
  return out as unknown as SQSRecord['attributes'];
}

function toMessageAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): SQSMessageAttributes {
  const out: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    out[name] = {
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined
        ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }
        : {}),
      stringListValues: [],
      binaryListValues: [],
      dataType: value.DataType ?? 'String',
    };
  }
  return out;
}

/** One SQS message as a Lambda SQS event record. */
export function toSqsRecord(message: Message, queueArn: string, region: string = LOCAL_REGION): SQSRecord {
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: toRecordAttributes(message),
    messageAttributes: toMessageAttributes(message.MessageAttributes),
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes !== undefined
      ? { md5OfMessageAttributes: message.MD5OfMessageAttributes }
      : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/**
 * Which messages failed, read from a `ReportBatchItemFailures` response the way Lambda reads it: no
 * response or no list means all succeeded; an empty, missing or unknown `itemIdentifier` fails the batch.
 * @throws Error when the response fails the whole batch
 */
export function failedIdsFromResponse(
  response: SQSBatchResponse | undefined,
  records: readonly SQSRecord[],
): Set<string> {
  const failures = response?.batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) throw new Error('batchItemFailures is not a list; the whole batch fails');
  const known = new Set(records.map((r) => r.messageId));
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = failure?.itemIdentifier;
    if (typeof id !== 'string' || id === '' || !known.has(id)) {
      throw new Error('batchItemFailures holds an empty or unknown itemIdentifier; the whole batch fails');
    }
    failed.add(id);
  }
  return failed;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

const isAbort = (error: unknown, signal: AbortSignal) =>
  signal.aborted || (error as { name?: string } | null)?.name === 'AbortError';

/**
 * Reproduces the Lambda SQS event source mapping (with `ReportBatchItemFailures`) for a handler running
 * in this process: long-poll, gather a batch within the batching window, invoke, delete the records that
 * succeeded. Failed records are left alone: they reappear after the visibility timeout, and the queue's
 * RedrivePolicy moves them to the DLQ after `maxReceiveCount` receives (the emulator implements redrive).
 */
export function startPoller(options: PollerOptions): Poller {
  const controller = new AbortController();
  const { signal } = controller;
  const waitTimeSeconds = options.waitTimeSeconds ?? 20;
  const functionName = options.functionName ?? 'fpt-webhooks-local-processor';

  const receive = async (max: number, wait: number): Promise<Message[]> => {
    const out = await options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: wait,
        ...(options.visibilityTimeoutSeconds !== undefined
          ? { VisibilityTimeout: options.visibilityTimeoutSeconds }
          : {}),
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: signal },
    );
    return out.Messages ?? [];
  };

  /** A batch: the first receive long-polls; then, within the batching window, top up to batchSize. */
  const gatherBatch = async (): Promise<Message[]> => {
    const batch = await receive(Math.min(options.batchSize, 10), waitTimeSeconds);
    if (batch.length === 0 || options.batchingWindowSeconds <= 0) return batch;
    const windowEnds = Date.now() + options.batchingWindowSeconds * 1000;
    while (batch.length < options.batchSize && !signal.aborted) {
      const remaining = windowEnds - Date.now();
      if (remaining <= 0) break;
      const more = await receive(
        Math.min(options.batchSize - batch.length, 10),
        Math.min(Math.floor(remaining / 1000), 20),
      );
      batch.push(...more);
      if (more.length === 0 && remaining < 1000) await sleep(remaining, signal);
    }
    return batch;
  };

  const deleteSucceeded = async (records: readonly SQSRecord[], failed: ReadonlySet<string>) => {
    const succeeded = records.filter((r) => !failed.has(r.messageId));
    for (let i = 0; i < succeeded.length; i += 10) {
      const chunk = succeeded.slice(i, i + 10);
      const out = await options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: chunk.map((r, index) => ({ Id: String(index), ReceiptHandle: r.receiptHandle })),
        }),
      );
      if (out.Failed !== undefined && out.Failed.length > 0) {
        options.onError?.(
          new Error(
            `could not delete ${out.Failed.length} processed message(s); they will be received again`,
          ),
        );
      }
    }
  };

  const loop = async (): Promise<void> => {
    let backoffMs = 250;
    while (!signal.aborted) {
      let messages: Message[];
      try {
        messages = await gatherBatch();
        backoffMs = 250;
      } catch (error) {
        if (isAbort(error, signal)) break;
        options.onError?.(error);
        await sleep(backoffMs, signal);
        backoffMs = Math.min(backoffMs * 2, 5000);
        continue;
      }
      if (messages.length === 0) continue;

      const records = messages.map((m) => toSqsRecord(m, options.queueArn));
      const startedAt = Date.now();
      let failed: Set<string>;
      let invocationError: unknown;
      try {
        const context = createLambdaContext({ functionName, timeoutSeconds: options.timeoutSeconds });
        const response = await withTimeout(functionName, options.timeoutSeconds, () =>
          options.handler({ Records: records }, context),
        );
        failed = failedIdsFromResponse(response, records);
      } catch (error) {
        invocationError = error;
        failed = new Set(records.map((r) => r.messageId));
      }
      try {
        await deleteSucceeded(records, failed);
      } catch (error) {
        options.onError?.(error);
      }
      try {
        await options.onBatch?.({
          records,
          failedMessageIds: failed,
          ...(invocationError !== undefined ? { invocationError } : {}),
          startedAt,
          endedAt: Date.now(),
        });
      } catch (error) {
        options.onError?.(error);
      }
    }
  };

  const running = loop();
  return {
    stop: async () => {
      controller.abort();
      await running;
    },
  };
}
