import { createHash } from 'node:crypto';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { parseRecord } from '../../../lambda/processor/parse-record';
import type { FptEnvelope } from '../../../lambda/shared/fpt-events';
import { MESSAGE_ATTRIBUTES } from '../../../lambda/shared/ledger-schema';
import { decodeMessageBody, encodeMessageBody } from '../../../lambda/shared/queue-message';
import { sqsEnqueue } from '../../../lambda/verifier/create-handler';
import { runs, serialisation, validEnvelope } from './arbitraries';

/**
 * Properties of the way a verified body crosses SQS: whatever valid JSON FPT signs, the message holds
 * only characters SQS accepts, and the processor gets back exactly the signed text, so handlers see
 * exactly the data FPT signed.
 */

const sqs = mockClient(SQSClient);
beforeEach(() => sqs.reset());

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** SQS's character set, written out code point by code point (not with queue-message.ts's regex). */
function onlySqsCharacters(text: string): boolean {
  for (const char of text) {
    const cp = char.codePointAt(0) as number;
    const allowed =
      cp === 0x9 ||
      cp === 0xa ||
      cp === 0xd ||
      (cp >= 0x20 && cp <= 0xd7ff) ||
      (cp >= 0xe000 && cp <= 0xfffd) ||
      (cp >= 0x10000 && cp <= 0x10ffff);
    if (!allowed) return false;
  }
  return true;
}

/** Text that JSON may carry raw in a string, biased towards what SQS refuses. */
const awkwardText = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.string({ unit: fc.constantFrom('\uFFFE', '\uFFFF', '\uFFFD', '\uD7FF', '\uE000', 'a'), maxLength: 8 }),
    fc.string({ unit: 'grapheme', maxLength: 10 }),
  );

/** Any JSON text FPT could sign: any JSON value, with any characters in its strings, in any layout. */
const anyJsonText = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.json({ stringUnit: 'binary' }),
    fc.tuple(fc.jsonValue({ stringUnit: 'binary' }), serialisation()).map(([value, write]) => write(value)),
  );

/** A valid envelope whose data holds awkward strings, serialised as FPT might. */
const awkwardEnvelopeBody = (): fc.Arbitrary<string> =>
  fc
    .tuple(
      validEnvelope(),
      fc.dictionary(fc.string({ maxLength: 5 }), awkwardText(), { maxKeys: 4 }),
      serialisation(),
    )
    .map(([envelope, extra, write]) => write({ ...envelope, data: { ...envelope.data, ...extra } }));

function asRecord(input: SendMessageCommand['input']): SQSRecord {
  const messageAttributes: SQSRecord['messageAttributes'] = {};
  for (const [name, value] of Object.entries(input.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      dataType: value.DataType ?? 'String',
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
    };
  }
  return {
    messageId: 'm-1',
    receiptHandle: 'r',
    body: input.MessageBody ?? '',
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'verifier',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes,
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:q',
    awsRegion: 'us-east-1',
  };
}

describe('properties: a verified body crossing SQS', () => {
  it('round-trips any JSON text exactly, and the message holds only characters SQS accepts', () => {
    fc.assert(
      fc.property(anyJsonText(), (text) => {
        const message = encodeMessageBody(text, sha256(text));

        expect(onlySqsCharacters(message.body)).toBe(true);
        for (const value of Object.values(message.attributes)) {
          expect(onlySqsCharacters(value.StringValue)).toBe(true);
        }
        const encoding = message.attributes[MESSAGE_ATTRIBUTES.bodyEncoding]?.StringValue;
        expect(decodeMessageBody(message.body, encoding, sha256(text))).toBe(text);
        // Plain text costs nothing: only bodies SQS would refuse are encoded.
        expect(encoding === undefined).toBe(onlySqsCharacters(text));
      }),
      { numRuns: runs(500) },
    );
  });

  it('gives the processor exactly the data of any valid envelope the verifier queues', async () => {
    await fc.assert(
      fc.asyncProperty(awkwardEnvelopeBody(), async (body) => {
        sqs.reset();
        sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
        const parsed = JSON.parse(body) as FptEnvelope;
        const enqueue = sqsEnqueue(new SQSClient({}), 'https://sqs.example/queue');

        await enqueue({
          envelope: { ...parsed, eventId: parsed.eventId.toLowerCase() },
          rawBody: body,
          bodySha256: sha256(body),
          subscription: 'default',
          receivedAtMs: 1,
        });
        const input = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input as SendMessageCommand['input'];
        const record = parseRecord(asRecord(input));

        expect(onlySqsCharacters(input.MessageBody ?? '')).toBe(true);
        expect(record.envelope.data).toEqual(parsed.data);
        expect(JSON.stringify(record.envelope.data)).toBe(JSON.stringify(parsed.data));
      }),
      { numRuns: runs(200) },
    );
  });
});
