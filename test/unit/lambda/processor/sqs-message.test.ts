import type { Message } from '@aws-sdk/client-sqs';
import { parseRecord } from '../../../../lambda/processor/parse-record';
import { toSqsEvent } from '../../../../lambda/processor/sqs-message';
import { MESSAGE_ATTRIBUTES } from '../../../../lambda/shared/ledger-schema';
import { toSqsRecord as toLocalPollerRecord } from '../../../../local/poller';
import { EVENT_ID, makeEnvelope, SAMPLE_DATA, T0 } from './helpers';

describe('toSqsEvent', () => {
  it('turns ReceiveMessage output into records the processor reads like Lambda-delivered ones', () => {
    // Prepare
    const envelope = makeEnvelope('contact.created', SAMPLE_DATA['contact.created']);
    const stringAttribute = (value: string) => ({ DataType: 'String', StringValue: value });
    const message: Message = {
      MessageId: 'm-1',
      ReceiptHandle: 'rh-1',
      Body: JSON.stringify(envelope),
      MD5OfBody: 'md5',
      Attributes: { ApproximateReceiveCount: '3', SentTimestamp: String(T0) },
      MessageAttributes: {
        [MESSAGE_ATTRIBUTES.eventId]: stringAttribute(EVENT_ID),
        [MESSAGE_ATTRIBUTES.subscription]: stringAttribute('gym-a'),
        [MESSAGE_ATTRIBUTES.eventType]: stringAttribute('contact.created'),
        [MESSAGE_ATTRIBUTES.receivedAt]: stringAttribute(String(T0)),
      },
    };

    // Act
    const event = toSqsEvent([message], { queueArn: 'arn:aws:sqs:us-east-1:000000000000:events' });

    // Assess
    const record = event.Records[0];
    expect(record).toMatchObject({ messageId: 'm-1', receiptHandle: 'rh-1', eventSource: 'aws:sqs' });
    expect(parseRecord(record as NonNullable<typeof record>)).toMatchObject({
      eventId: EVENT_ID,
      subscription: 'gym-a',
      eventType: 'contact.created',
      receivedAt: T0,
      receiveCount: 3,
    });
  });

  it('passes the replay attribute through, so a replay message read from a queue parses as a replay', () => {
    const envelope = makeEnvelope('contact.created', SAMPLE_DATA['contact.created']);
    const stringAttribute = (value: string) => ({ DataType: 'String', StringValue: value });
    const message: Message = {
      MessageId: 'm-2',
      ReceiptHandle: 'rh-2',
      Body: JSON.stringify(envelope),
      Attributes: { ApproximateReceiveCount: '1' },
      MessageAttributes: {
        [MESSAGE_ATTRIBUTES.eventId]: stringAttribute(EVENT_ID),
        [MESSAGE_ATTRIBUTES.subscription]: stringAttribute('default'),
        [MESSAGE_ATTRIBUTES.eventType]: stringAttribute('contact.created'),
        [MESSAGE_ATTRIBUTES.receivedAt]: { DataType: 'Number', StringValue: String(T0) },
        [MESSAGE_ATTRIBUTES.replay]: stringAttribute('3'),
      },
    };
    const queue = { queueArn: 'arn:aws:sqs:us-east-1:000000000000:events' };

    const fromEventSource = toSqsEvent([message], queue).Records[0];
    const fromLocalPoller = toLocalPollerRecord(message, queue.queueArn);

    expect(parseRecord(fromEventSource as NonNullable<typeof fromEventSource>).replay).toBe(3);
    expect(parseRecord(fromLocalPoller).replay).toBe(3);
  });
});
