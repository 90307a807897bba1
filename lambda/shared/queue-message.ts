import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { EnvelopeValidationError } from './errors';
import { MESSAGE_ATTRIBUTES } from './ledger-schema';

/**
 * How an FPT body travels through SQS, and back.
 *
 * SQS accepts only XML's character set in a message body and in String attribute values: #x9, #xA, #xD,
 * #x20-#xD7FF, #xE000-#xFFFD and #x10000-#x10FFFF. JSON allows U+FFFE and U+FFFF raw inside strings, so
 * a valid, signed FPT body can hold characters SQS refuses (InvalidMessageContents) or, in some versions,
 * silently replaces with U+FFFD. Such a body goes as base64 of its bytes, flagged by the
 * `fpt-body-encoding` attribute; every other body goes as is, at no cost. A message without the
 * attribute is plain text, which is also what every message sent before the attribute existed is.
 */

/** SQS's largest message: body plus every attribute's name, type and value, in bytes. */
export const SQS_MAX_MESSAGE_BYTES = 1024 * 1024;

/** Values of the `fpt-body-encoding` attribute. */
export const BODY_ENCODING = { base64: 'base64' } as const;

// Anything outside SQS's set, lone surrogates included (the `u` flag matches them as code points).
const OUTSIDE_SQS_CHARACTER_SET = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/**
 * The body hash the ledger keeps and the message carries: hex SHA-256 of the signed bytes. The verifier
 * computes it and the processor checks against it, so both must use this one definition.
 */
export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Whether SQS takes `text` as a body or String attribute value unchanged. */
export function isSqsText(text: string): boolean {
  return !OUTSIDE_SQS_CHARACTER_SET.test(text);
}

/** A String or Number message attribute as the SDK's SendMessage takes it. */
export interface StringAttribute {
  readonly DataType: 'String' | 'Number';
  readonly StringValue: string;
}

export interface QueueMessage {
  readonly body: string;
  readonly attributes: Record<string, StringAttribute>;
}

/**
 * The SQS message for a verified body.
 * @param text the body as text: the exact UTF-8 decoding of the signed bytes
 * @param bodySha256 hex SHA-256 of the signed bytes; the processor checks the body it decodes against it
 */
export function encodeMessageBody(text: string, bodySha256: string): QueueMessage {
  const attributes: Record<string, StringAttribute> = {
    [MESSAGE_ATTRIBUTES.bodySha256]: { DataType: 'String', StringValue: bodySha256 },
  };
  if (isSqsText(text)) return { body: text, attributes };
  attributes[MESSAGE_ATTRIBUTES.bodyEncoding] = { DataType: 'String', StringValue: BODY_ENCODING.base64 };
  return { body: Buffer.from(text, 'utf8').toString('base64'), attributes };
}

/** What the processor needs to know of a queued event besides its body, sent as message attributes. */
export interface EventMessageInput {
  /** The body as text: the exact UTF-8 decoding of the signed bytes. */
  readonly text: string;
  /** Hex SHA-256 of the signed bytes. */
  readonly bodySha256: string;
  readonly subscription: string;
  readonly eventId: string;
  readonly eventType: string;
  /** Epoch ms at which the verifier accepted the delivery. */
  readonly receivedAtMs: number;
}

/**
 * The work queue's message for an authentic event: its body as {@link encodeMessageBody} sends it, and
 * the routing facts as attributes. The verifier's enqueue and a replay (lambda/shared/ledger/replay.ts)
 * both build their message here, so a replayed event reaches the processor exactly as it first did.
 */
export function eventMessage(input: EventMessageInput): QueueMessage {
  const message = encodeMessageBody(input.text, input.bodySha256);
  return {
    body: message.body,
    attributes: {
      ...message.attributes,
      [MESSAGE_ATTRIBUTES.subscription]: { DataType: 'String', StringValue: input.subscription },
      [MESSAGE_ATTRIBUTES.eventId]: { DataType: 'String', StringValue: input.eventId },
      [MESSAGE_ATTRIBUTES.eventType]: { DataType: 'String', StringValue: input.eventType },
      [MESSAGE_ATTRIBUTES.receivedAt]: { DataType: 'Number', StringValue: String(input.receivedAtMs) },
    },
  };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The FPT body a message carries, exactly as it was signed.
 * @param encoding the `fpt-body-encoding` attribute; absent for a plain-text body
 * @param bodySha256 the `fpt-body-sha256` attribute; absent on messages queued before it existed
 * @throws EnvelopeValidationError when the encoding is unknown, the body does not decode, or it is not
 *   the body that was signed. Problems name attributes, never values.
 */
export function decodeMessageBody(
  body: string,
  encoding: string | undefined,
  bodySha256: string | undefined,
): string {
  let text: string;
  let bytes: Buffer | undefined;
  if (encoding === undefined) {
    text = body;
  } else if (encoding === BODY_ENCODING.base64) {
    // Buffer.from skips what is not base64; a damaged body must fail here, not decode to other bytes.
    if (!BASE64.test(body)) {
      throw new EnvelopeValidationError([
        `body is not base64 as attribute ${MESSAGE_ATTRIBUTES.bodyEncoding} says`,
      ]);
    }
    bytes = Buffer.from(body, 'base64');
    if (!isUtf8(bytes)) throw new EnvelopeValidationError(['body is not valid UTF-8']);
    text = bytes.toString('utf8');
  } else {
    throw new EnvelopeValidationError([
      `attribute ${MESSAGE_ATTRIBUTES.bodyEncoding} names an unknown encoding`,
    ]);
  }
  if (bodySha256 !== undefined) {
    if (sha256Hex(bytes ?? Buffer.from(text, 'utf8')) !== bodySha256) {
      throw new EnvelopeValidationError([`body does not match attribute ${MESSAGE_ATTRIBUTES.bodySha256}`]);
    }
  }
  return text;
}

/**
 * A message's size as SQS counts it against its limit: the body's UTF-8 bytes plus, for every
 * attribute, the bytes of its name, data type and value.
 */
export function sqsMessageBytes(message: QueueMessage): number {
  let size = Buffer.byteLength(message.body, 'utf8');
  for (const [name, value] of Object.entries(message.attributes)) {
    size += Buffer.byteLength(name, 'utf8');
    size += Buffer.byteLength(value.DataType, 'utf8');
    size += Buffer.byteLength(value.StringValue, 'utf8');
  }
  return size;
}
