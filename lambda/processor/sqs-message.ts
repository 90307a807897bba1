import type { Message } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';

export interface ToSqsEventOptions {
  /** ARN of the queue the messages came from (informational for the processor). */
  readonly queueArn: string;
  /** @default 'us-east-1' */
  readonly region?: string;
}

/**
 * Turns messages from the SQS `ReceiveMessage` API into the event Lambda's SQS event source would
 * deliver, so a local poller can call the processor's `handler` unchanged. Receive with
 * `MessageAttributeNames: ['All']` and `MessageSystemAttributeNames: ['All']`: the processor needs the
 * verifier's attributes and `ApproximateReceiveCount`.
 *
 * @example
 * const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }));
 * const { batchItemFailures } = await handler(toSqsEvent(Messages, { queueArn }));
 */
export function toSqsEvent(messages: readonly Message[], options: ToSqsEventOptions): SQSEvent {
  return { Records: messages.map((message) => toSqsRecord(message, options)) };
}

export function toSqsRecord(message: Message, options: ToSqsEventOptions): SQSRecord {
  const system = message.Attributes ?? {};
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      dataType: value.DataType ?? 'String',
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined
        ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }
        : {}),
      stringListValues: [],
      binaryListValues: [],
    };
  }
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: system.ApproximateReceiveCount ?? '1',
      SentTimestamp: system.SentTimestamp ?? '',
      SenderId: system.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: system.ApproximateFirstReceiveTimestamp ?? '',
    },
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes !== undefined
      ? { md5OfMessageAttributes: message.MD5OfMessageAttributes }
      : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: options.queueArn,
    awsRegion: options.region ?? 'us-east-1',
  };
}
