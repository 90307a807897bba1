import { createHash } from 'node:crypto';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { REPLAY_REASON_MAX_CHARS, replayMessage, replayReasonProblem } from '../../../lambda/shared/ledger';
import { EVENT_STATUS, type EventRow, MESSAGE_ATTRIBUTES } from '../../../lambda/shared/ledger-schema';
import {
  decodeMessageBody,
  SQS_MAX_MESSAGE_BYTES,
  sqsMessageBytes,
} from '../../../lambda/shared/queue-message';
import { sqsEnqueue } from '../../../lambda/verifier/create-handler';
import { buildEnvelope } from '../../../local/testkit/envelopes';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

function rowFor(text: string, extra: Partial<EventRow> = {}): EventRow {
  const envelope = JSON.parse(text) as { eventId: string; eventType: string };
  return {
    pk: envelope.eventId,
    status: EVENT_STATUS.processed,
    subscription: 'default',
    eventType: envelope.eventType,
    receivedAt: 1_700_000_000_000,
    expiresAt: 4_000_000_000,
    bodySha256: sha256(Buffer.from(text, 'utf8')),
    rawBody: text,
    ...extra,
  };
}

/** What the verifier's real enqueue sends for `text`, captured from its SendMessage. */
async function verifierMessage(text: string, row: EventRow) {
  const sent: Array<{ MessageBody?: string; MessageAttributes?: Record<string, unknown> }> = [];
  const client = {
    send: async (command: { input: (typeof sent)[number] }) => {
      sent.push(command.input);
      return { MessageId: 'm-1' };
    },
  } as unknown as SQSClient;
  const envelope = JSON.parse(text);
  await sqsEnqueue(
    client,
    'https://queue',
  )({
    envelope,
    rawBody: text,
    bodySha256: row.bodySha256 as string,
    subscription: row.subscription,
    receivedAtMs: row.receivedAt,
  });
  return sent[0];
}

describe('replayMessage', () => {
  it.each([
    ['a plain body', JSON.stringify(buildEnvelope('contact.updated'))],
    // U+FFFF is valid JSON but outside SQS's character set: the verifier sends it as base64.
    [
      'a body SQS takes only as base64',
      JSON.stringify({ ...buildEnvelope('contact.created'), note: '\uFFFF' }),
    ],
  ])('sends %s exactly as the verifier sent it, plus fpt-replay = n', async (_name, text) => {
    const row = rowFor(text);

    const built = replayMessage(row, 3);
    const verifier = await verifierMessage(text, row);

    if (!('message' in built)) throw new Error(built.problem);
    expect(built.message.body).toBe(verifier?.MessageBody);
    expect(built.message.attributes).toEqual({
      ...verifier?.MessageAttributes,
      [MESSAGE_ATTRIBUTES.replay]: { DataType: 'String', StringValue: '3' },
    });
    const encoding = built.message.attributes[MESSAGE_ATTRIBUTES.bodyEncoding]?.StringValue;
    expect(decodeMessageBody(built.message.body, encoding, row.bodySha256)).toBe(text);
  });

  it('fits SQS at the largest body the verifier accepts, even as base64', () => {
    const envelope = buildEnvelope('contact.updated');
    const skeleton = JSON.stringify({ ...envelope, pad: '' });
    // 256 KiB of bytes, every pad character outside SQS's set (3 bytes each in UTF-8): base64 is forced.
    const pad = '\uFFFF'.repeat(Math.floor((256 * 1024 - Buffer.byteLength(skeleton)) / 3));
    const text = JSON.stringify({ ...envelope, pad });
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(256 * 1024);

    const built = replayMessage(rowFor(text), 1);

    if (!('message' in built)) throw new Error(built.problem);
    expect(built.message.attributes[MESSAGE_ATTRIBUTES.bodyEncoding]?.StringValue).toBe('base64');
    expect(sqsMessageBytes(built.message)).toBeLessThan(SQS_MAX_MESSAGE_BYTES);
  });

  it("refuses, saying so, a message over SQS's limit", () => {
    const envelope = buildEnvelope('contact.updated');
    const text = JSON.stringify({ ...envelope, pad: 'a'.repeat(SQS_MAX_MESSAGE_BYTES) });

    const built = replayMessage(rowFor(text), 1);

    expect(built).toEqual({
      problem: expect.stringMatching(/over SQS's limit of 1048576 \(body and attributes\)/),
    });
  });

  it('refuses a stored body that does not match the row hash', () => {
    const text = JSON.stringify(buildEnvelope('contact.updated'));

    const built = replayMessage(rowFor(text, { bodySha256: '0'.repeat(64) }), 1);

    expect(built).toEqual({ problem: "the stored body does not match the row's bodySha256" });
  });

  it('refuses stored bytes that are not UTF-8 (the verifier never queues them)', () => {
    const text = JSON.stringify(buildEnvelope('contact.updated'));
    const row = rowFor(text, {
      rawBody: undefined,
      rawBodyBase64: Buffer.from([0x7b, 0xff]).toString('base64'),
    });

    expect(replayMessage({ ...row, bodySha256: undefined }, 1)).toEqual({
      problem: 'the stored body is not UTF-8 text, so no verifier queued it',
    });
  });

  it('uses the request time as receivedAt on a row that has none', () => {
    const text = JSON.stringify(buildEnvelope('contact.updated'));
    const row = {
      ...rowFor(text),
      receivedAt: undefined,
      lastReplayAt: 1_800_000_000_000,
    } as unknown as EventRow;

    const built = replayMessage(row, 1);

    if (!('message' in built)) throw new Error(built.problem);
    expect(built.message.attributes[MESSAGE_ATTRIBUTES.receivedAt]?.StringValue).toBe('1800000000000');
  });
});

describe('replayReasonProblem', () => {
  it.each([
    ['one line of text', 'contact.updated handler fix (PR 123)'],
    ['exactly the longest reason, counted in characters', '🏋'.repeat(REPLAY_REASON_MAX_CHARS)],
  ])('accepts %s', (_name, reason) => {
    expect(replayReasonProblem(reason)).toBeUndefined();
  });

  it.each([
    ['an empty reason', '  ', 'the reason is empty'],
    ['a reason one character too long', 'a'.repeat(REPLAY_REASON_MAX_CHARS + 1), 'at most 200'],
    ['a line break', 'fix\nmore', 'control character or a line break'],
    ['an escape sequence', 'fix \u001b[31m', 'control character'],
  ])('refuses %s', (_name, reason, message) => {
    expect(replayReasonProblem(reason)).toContain(message);
  });
});
