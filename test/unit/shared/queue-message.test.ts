import { createHash } from 'node:crypto';
import { MESSAGE_ATTRIBUTES } from '../../../lambda/shared/ledger-schema';
import {
  decodeMessageBody,
  encodeMessageBody,
  isSqsText,
  SQS_MAX_MESSAGE_BYTES,
  sqsMessageBytes,
} from '../../../lambda/shared/queue-message';
import { problemsOf } from '../../support/problems';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

describe('isSqsText', () => {
  it.each([
    ['tab', '\t'],
    ['line feed', '\n'],
    ['carriage return', '\r'],
    ['space', ' '],
    ['U+D7FF, the last character before the surrogates', '\uD7FF'],
    ['U+E000, the first character after them', '\uE000'],
    ['U+FFFD, the replacement character', '\uFFFD'],
    ['U+FEFF, the byte order mark', '\uFEFF'],
    ['U+007F to U+009F, controls SQS allows', '\u007F\u0080\u009F'],
    ['U+10000, the first supplementary character', '\u{10000}'],
    ['U+10FFFF, the last code point', '\u{10FFFF}'],
    ['an emoji (a surrogate pair)', '\u{1F600}'],
  ])('accepts %s', (_name, text) => {
    expect(isSqsText(`a${text}b`)).toBe(true);
  });

  it.each([
    ['U+0000', '\u0000'],
    ['U+0001', '\u0001'],
    ['U+0008', '\u0008'],
    ['U+000B (vertical tab)', '\u000B'],
    ['U+000C (form feed)', '\u000C'],
    ['U+001F', '\u001F'],
    ['U+FFFE', '\uFFFE'],
    ['U+FFFF', '\uFFFF'],
    ['a lone high surrogate', '\uD800'],
    ['a lone low surrogate', '\uDFFF'],
  ])('refuses %s', (_name, text) => {
    expect(isSqsText(`a${text}b`)).toBe(false);
  });
});

describe('encodeMessageBody', () => {
  it('sends a body within SQS character set as it is, with its hash', () => {
    const body = '{"data":{"name":"Zoë \u{1F600}"}}';

    const message = encodeMessageBody(body, sha256(body));

    expect(message.body).toBe(body);
    expect(message.attributes).toEqual({
      [MESSAGE_ATTRIBUTES.bodySha256]: { DataType: 'String', StringValue: sha256(body) },
    });
  });

  it.each([
    ['U+FFFE', '\uFFFE'],
    ['U+FFFF', '\uFFFF'],
  ])('sends a body holding %s as base64 of its UTF-8 bytes, flagged', (_name, char) => {
    const body = `{"data":{"note":"a${char}b"}}`;

    const message = encodeMessageBody(body, sha256(body));

    expect(message.body).toBe(Buffer.from(body, 'utf8').toString('base64'));
    expect(isSqsText(message.body)).toBe(true);
    expect(message.attributes[MESSAGE_ATTRIBUTES.bodyEncoding]).toEqual({
      DataType: 'String',
      StringValue: 'base64',
    });
  });
});

describe('decodeMessageBody', () => {
  it('returns a body without an encoding attribute as it is (messages queued before the attribute existed)', () => {
    expect(decodeMessageBody('{"a":1}', undefined, undefined)).toBe('{"a":1}');
  });

  it('decodes a base64 body back to the exact text that was signed', () => {
    const body = '{"data":{"note":"\uFFFF\uFFFE \u{10FFFF}"}}';
    const message = encodeMessageBody(body, sha256(body));

    const text = decodeMessageBody(
      message.body,
      message.attributes[MESSAGE_ATTRIBUTES.bodyEncoding]?.StringValue,
      sha256(body),
    );

    expect(text).toBe(body);
  });

  it('refuses an encoding it does not know, naming the attribute only', () => {
    expect(problemsOf(() => decodeMessageBody('e30=', 'gzip', undefined))).toEqual([
      `attribute ${MESSAGE_ATTRIBUTES.bodyEncoding} names an unknown encoding`,
    ]);
  });

  it('refuses a base64 body with characters base64 does not have, instead of skipping them', () => {
    expect(problemsOf(() => decodeMessageBody('e30=\uFFFD', 'base64', undefined))).toEqual([
      `body is not base64 as attribute ${MESSAGE_ATTRIBUTES.bodyEncoding} says`,
    ]);
  });

  it('refuses base64 of bytes that are not UTF-8', () => {
    const bytes = Buffer.from([0x7b, 0xff, 0x7d]).toString('base64');
    expect(problemsOf(() => decodeMessageBody(bytes, 'base64', undefined))).toEqual([
      'body is not valid UTF-8',
    ]);
  });

  it('refuses a body that is not the one signed, e.g. one SQS changed to U+FFFD', () => {
    const signed = '{"note":"\uFFFF"}';
    const altered = '{"note":"\uFFFD"}';

    expect(problemsOf(() => decodeMessageBody(altered, undefined, sha256(signed)))).toEqual([
      `body does not match attribute ${MESSAGE_ATTRIBUTES.bodySha256}`,
    ]);
  });
});

describe('sqsMessageBytes', () => {
  it('counts the body and every attribute name, data type and value in UTF-8 bytes', () => {
    const size = sqsMessageBytes({
      body: 'é',
      attributes: { ab: { DataType: 'Number', StringValue: '12' } },
    });

    expect(size).toBe(2 + 2 + 6 + 2);
  });

  it('keeps the largest message the verifier can send under SQS 1 MiB', () => {
    // 256 KiB of U+FFFF (3 bytes each in UTF-8) is the worst case: it goes as base64, 4/3 larger.
    const maxBodyBytes = 256 * 1024;
    const body = '\uFFFF'.repeat(Math.floor(maxBodyBytes / 3));
    const message = encodeMessageBody(body, sha256(body));
    const attributes = {
      ...message.attributes,
      // The verifier copies eventType from the body, so it can at most be as large as the body.
      [MESSAGE_ATTRIBUTES.eventType]: { DataType: 'String' as const, StringValue: 'a'.repeat(maxBodyBytes) },
      [MESSAGE_ATTRIBUTES.eventId]: { DataType: 'String' as const, StringValue: 'a'.repeat(32) },
      [MESSAGE_ATTRIBUTES.subscription]: { DataType: 'String' as const, StringValue: 's'.repeat(64) },
      [MESSAGE_ATTRIBUTES.receivedAt]: { DataType: 'Number' as const, StringValue: String(2 ** 53) },
    };

    expect(sqsMessageBytes({ body: message.body, attributes })).toBeLessThan(SQS_MAX_MESSAGE_BYTES);
  });
});
