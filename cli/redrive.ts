/**
 * Moving dead-lettered messages back to the work queue: with SQS's own message move task where the
 * endpoint has it, else by hand (receive, send, delete) in a way that cannot lose a message.
 */
import {
  DeleteMessageBatchCommand,
  ListMessageMoveTasksCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { queueCounts } from '../local/testkit/queue-depth';

export interface QueueFacts {
  readonly arn: string;
  /** Visible messages (ApproximateNumberOfMessages). */
  readonly visible: number;
  /** Received and not yet deleted (ApproximateNumberOfMessagesNotVisible). */
  readonly inFlight: number;
}

export async function queueFacts(sqs: SQSClient, queueUrl: string): Promise<QueueFacts> {
  const counts = await queueCounts(sqs, queueUrl, ['QueueArn']);
  return { arn: counts.attributes.QueueArn ?? '', visible: counts.visible, inFlight: counts.inFlight };
}

const UNSUPPORTED_NAMES = new Set([
  'UnsupportedOperation',
  'AWS.SimpleQueueService.UnsupportedOperation',
  'UnknownOperationException',
  'UnknownOperation',
  'InvalidAction',
  'NotImplemented',
]);

/**
 * True when the endpoint does not offer message move tasks: SQS says UnsupportedOperation, or the
 * endpoint (an emulator such as moto) answers 501, or a 5xx page that is not an AWS error at all.
 */
export function isMoveTaskUnsupported(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  const status = e?.$metadata?.httpStatusCode;
  if (e?.name !== undefined && UNSUPPORTED_NAMES.has(e.name)) return true;
  if (status === 501) return true;
  return status !== undefined && status >= 500 && e?.name === 'SyntaxError';
}

export interface RedriveResult {
  readonly method: 'move-task' | 'receive-send-delete';
  readonly moved: number;
  /** Messages whose send failed; they stay in the DLQ (visible again after the visibility timeout). */
  readonly notMoved: number;
  /** Sent but not deleted from the DLQ: they may be moved again later (the processor dedupes them). */
  readonly notDeleted: number;
}

export interface RedriveOptions {
  readonly sqs: SQSClient;
  readonly source: { readonly url: string; readonly arn: string };
  readonly destination: { readonly url: string; readonly arn: string };
  /** Move at most this many (forces receive-send-delete: a move task cannot be capped). */
  readonly max?: number;
  /** Messages expected, for progress. */
  readonly expected: number;
  readonly progress: (line: string) => void;
  /** @default 2000 */
  readonly pollIntervalMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** SQS's message move task: the service moves the messages; we watch its progress until it ends. */
async function moveWithTask(options: RedriveOptions, handle: string | undefined): Promise<RedriveResult> {
  const { sqs, source, progress } = options;
  const sleep = options.sleep ?? defaultSleep;
  progress(
    `SQS message move task started${handle ? ` (${handle.slice(0, 16)}...)` : ''}; Ctrl-C stops watching, not the move`,
  );
  let last = '';
  for (;;) {
    const out = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: source.arn, MaxResults: 1 }));
    const task = out.Results?.[0];
    const moved = Number(task?.ApproximateNumberOfMessagesMoved ?? 0);
    const toMove = task?.ApproximateNumberOfMessagesToMove ?? options.expected;
    const line = `  ${task?.Status ?? 'STARTING'}: moved ${moved} of ~${toMove}`;
    if (line !== last) {
      progress(line);
      last = line;
    }
    if (task?.Status === 'COMPLETED') return { method: 'move-task', moved, notMoved: 0, notDeleted: 0 };
    if (task?.Status === 'FAILED' || task?.Status === 'CANCELLED') {
      throw new Error(
        `the message move task ${task.Status.toLowerCase()} after moving ${moved}: ${task.FailureReason ?? 'no reason given'}`,
      );
    }
    await sleep(options.pollIntervalMs ?? 2000);
  }
}

function copyAttributes(message: Message): Record<string, MessageAttributeValue> | undefined {
  const attributes = message.MessageAttributes;
  if (attributes === undefined || Object.keys(attributes).length === 0) return undefined;
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      {
        DataType: value.DataType,
        ...(value.StringValue !== undefined ? { StringValue: value.StringValue } : {}),
        ...(value.BinaryValue !== undefined ? { BinaryValue: value.BinaryValue } : {}),
      },
    ]),
  );
}

/**
 * Receive, send, delete, ten at a time. A message is deleted from the DLQ only after its copy was
 * accepted by the work queue, so a crash or an error can duplicate a message, never lose one; the
 * processor's ledger makes a duplicate harmless.
 */
async function moveByHand(options: RedriveOptions): Promise<RedriveResult> {
  const { sqs, source, destination, progress } = options;
  const max = options.max ?? Number.POSITIVE_INFINITY;
  let moved = 0;
  let notMoved = 0;
  let notDeleted = 0;
  let emptyReceives = 0;
  const of = options.max !== undefined ? Math.min(options.max, options.expected) : options.expected;
  while (moved + notMoved < max && emptyReceives < 2) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: source.url,
        MaxNumberOfMessages: Math.min(10, max - moved - notMoved),
        // Long enough to send and delete ten messages; long polling so an empty answer means empty.
        VisibilityTimeout: 60,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) {
      emptyReceives++;
      continue;
    }
    emptyReceives = 0;
    const sent = await Promise.all(
      messages.map(async (message) => {
        try {
          const attributes = copyAttributes(message);
          await sqs.send(
            new SendMessageCommand({
              QueueUrl: destination.url,
              MessageBody: message.Body ?? '',
              ...(attributes !== undefined ? { MessageAttributes: attributes } : {}),
            }),
          );
          return message;
        } catch {
          return undefined;
        }
      }),
    );
    const toDelete = sent.filter((m): m is Message => m !== undefined);
    notMoved += messages.length - toDelete.length;
    if (toDelete.length > 0) {
      try {
        const deleted = await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: source.url,
            Entries: toDelete.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
          }),
        );
        notDeleted += deleted.Failed?.length ?? 0;
      } catch {
        notDeleted += toDelete.length;
      }
    }
    moved += toDelete.length;
    progress(`  moved ${moved} of ~${of}${notMoved > 0 ? `, ${notMoved} not moved` : ''}`);
  }
  return { method: 'receive-send-delete', moved, notMoved, notDeleted };
}

/**
 * Moves dead-lettered messages back to the work queue. Uses StartMessageMoveTask (and watches it) unless
 * `max` is set or the endpoint lacks it, in which case it falls back to receive-send-delete.
 */
export async function redrive(options: RedriveOptions): Promise<RedriveResult> {
  if (options.max !== undefined) {
    options.progress('moving by receive, send, delete (--max caps the count; a move task cannot)');
    return moveByHand(options);
  }
  let handle: string | undefined;
  try {
    const out = await options.sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: options.source.arn,
        DestinationArn: options.destination.arn,
      }),
    );
    handle = out.TaskHandle;
  } catch (error) {
    if (!isMoveTaskUnsupported(error)) throw error;
    options.progress('this endpoint has no message move tasks; moving by receive, send, delete');
    return moveByHand(options);
  }
  return moveWithTask(options, handle);
}
