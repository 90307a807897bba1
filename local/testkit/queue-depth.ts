import { GetQueueAttributesCommand, type QueueAttributeName, type SQSClient } from '@aws-sdk/client-sqs';

/** The three approximate counts SQS keeps for a queue. */
export interface QueueCounts {
  /** Visible messages (ApproximateNumberOfMessages). */
  readonly visible: number;
  /** Received and not yet deleted (ApproximateNumberOfMessagesNotVisible). */
  readonly inFlight: number;
  /** Sent with a delay that has not passed (ApproximateNumberOfMessagesDelayed). */
  readonly delayed: number;
}

const COUNT_ATTRIBUTES: readonly QueueAttributeName[] = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
];

/**
 * The queue's counts, plus any `extra` attributes read in the same call (e.g. `QueueArn`).
 * The counts are approximate, as SQS documents them.
 */
export async function queueCounts(
  sqs: SQSClient,
  queueUrl: string,
  extra: readonly QueueAttributeName[] = [],
): Promise<QueueCounts & { readonly attributes: Partial<Record<string, string>> }> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [...extra, ...COUNT_ATTRIBUTES] }),
  );
  const attributes = out.Attributes ?? {};
  return {
    visible: Number(attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(attributes.ApproximateNumberOfMessagesDelayed ?? 0),
    attributes,
  };
}

/** Every message the queue holds: visible + in flight + delayed. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const counts = await queueCounts(sqs, queueUrl);
  return counts.visible + counts.inFlight + counts.delayed;
}
