import type { SQSRecord } from 'aws-lambda';
import { EnvelopeValidationError } from '../shared/errors';
import type { CatalogEventType, FptEnvelope } from '../shared/fpt-events';
import { MESSAGE_ATTRIBUTES } from '../shared/ledger-schema';
import { decodeMessageBody } from '../shared/queue-message';
import { isTestEvent } from '../shared/test-event-marker';

/** What the processor needs from one SQS record, checked. */
export interface ParsedRecord {
  /** Lowercase, from the message attribute: the ledger key. The body may spell it in another case. */
  readonly eventId: string;
  readonly subscription: string;
  readonly eventType: string;
  /** Epoch ms at which the verifier accepted the delivery. */
  readonly receivedAt: number;
  /** SQS `ApproximateReceiveCount`, 1 on the first receive. */
  readonly receiveCount: number;
  /** The body as FPT sent it, except `eventId`, which is the normalised attribute value. */
  readonly envelope: FptEnvelope;
  readonly eventTimestampMs: number;
  /** The body carries the test-event marker (lambda/shared/test-event-marker.ts). */
  readonly isTest: boolean;
  /**
   * Hex SHA-256 of the signed bytes (`fpt-body-sha256`), checked against the decoded body; absent on a
   * message queued before the attribute existed.
   */
  readonly bodySha256?: string;
  /** The body exactly as signed (decoded from the message), for the ledger row the processor may create. */
  readonly text: string;
  /**
   * On a replay message (`fpt-replay`), the replay number n it carries; absent on a delivery from the
   * verifier.
   */
  readonly replay?: number;
}

const EVENT_ID = /^[0-9a-f]{32}$/;
/** A positive decimal integer without sign, leading zeros or exponent: the only form `fpt-replay` takes. */
const REPLAY_NUMBER = /^[1-9][0-9]{0,15}$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function attribute(record: SQSRecord, name: string): string | undefined {
  const value = record.messageAttributes?.[name]?.stringValue;
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Reads the verifier's message attributes and the FPT body, decoded by `fpt-body-encoding` and checked
 * against `fpt-body-sha256` when the message has them. A record that fails here is a poison
 * message: it did not come from our verifier, or it was damaged, and retrying will not fix it.
 * Problems name attributes and fields, never values, because they reach logs and the ledger.
 * @throws EnvelopeValidationError
 */
export function parseRecord(record: SQSRecord): ParsedRecord {
  const problems: string[] = [];
  const eventId = attribute(record, MESSAGE_ATTRIBUTES.eventId);
  const subscription = attribute(record, MESSAGE_ATTRIBUTES.subscription);
  const eventType = attribute(record, MESSAGE_ATTRIBUTES.eventType);
  const receivedAtRaw = attribute(record, MESSAGE_ATTRIBUTES.receivedAt);
  const receivedAt = Number(receivedAtRaw);
  if (eventId === undefined || !EVENT_ID.test(eventId)) {
    problems.push(`attribute ${MESSAGE_ATTRIBUTES.eventId} must be 32 lowercase hex characters`);
  }
  if (subscription === undefined) problems.push(`attribute ${MESSAGE_ATTRIBUTES.subscription} is missing`);
  if (eventType === undefined) problems.push(`attribute ${MESSAGE_ATTRIBUTES.eventType} is missing`);
  if (receivedAtRaw === undefined || !Number.isSafeInteger(receivedAt)) {
    problems.push(`attribute ${MESSAGE_ATTRIBUTES.receivedAt} must be epoch milliseconds`);
  }
  // Present at all makes it a replay: a value of any other form or type is a damaged or foreign message.
  const replayAttribute = record.messageAttributes?.[MESSAGE_ATTRIBUTES.replay];
  let replay: number | undefined;
  if (replayAttribute !== undefined) {
    const raw = replayAttribute.stringValue ?? '';
    replay = Number(raw);
    if (!REPLAY_NUMBER.test(raw) || !Number.isSafeInteger(replay)) {
      problems.push(`attribute ${MESSAGE_ATTRIBUTES.replay} must be a positive integer`);
    }
  }

  const bodySha256 = attribute(record, MESSAGE_ATTRIBUTES.bodySha256);
  let text: string | undefined;
  try {
    text = decodeMessageBody(record.body, attribute(record, MESSAGE_ATTRIBUTES.bodyEncoding), bodySha256);
  } catch (error) {
    if (!(error instanceof EnvelopeValidationError)) throw error;
    problems.push(...error.problems);
  }
  let body: unknown;
  if (text !== undefined) {
    try {
      body = JSON.parse(text);
    } catch {
      // The SyntaxError's message quotes the body, so it is dropped, never logged or kept.
      problems.push('body is not valid JSON');
    }
  }
  let eventTimestampMs = Number.NaN;
  if (body !== undefined) {
    if (!isPlainObject(body)) {
      problems.push('body is not a JSON object');
    } else {
      eventTimestampMs =
        typeof body.eventTimestamp === 'string' ? Date.parse(body.eventTimestamp) : Number.NaN;
      if (Number.isNaN(eventTimestampMs)) problems.push('body.eventTimestamp must be an ISO-8601 timestamp');
      if (!Number.isSafeInteger(body.locationId)) problems.push('body.locationId must be an integer');
      if (!isPlainObject(body.data)) problems.push('body.data must be an object');
      if (eventType !== undefined && body.eventType !== eventType) {
        problems.push(`body.eventType does not match attribute ${MESSAGE_ATTRIBUTES.eventType}`);
      }
      if (
        eventId !== undefined &&
        (typeof body.eventId !== 'string' || body.eventId.toLowerCase() !== eventId)
      ) {
        problems.push(`body.eventId does not match attribute ${MESSAGE_ATTRIBUTES.eventId}`);
      }
    }
  }
  if (problems.length > 0) throw new EnvelopeValidationError(problems);

  const receiveCount = Number(record.attributes?.ApproximateReceiveCount);
  return {
    eventId: eventId as string,
    subscription: subscription as string,
    eventType: eventType as string,
    receivedAt,
    receiveCount: Number.isSafeInteger(receiveCount) && receiveCount > 0 ? receiveCount : 1,
    envelope: { ...(body as FptEnvelope), eventId: eventId as string },
    eventTimestampMs,
    isTest: isTestEvent(body as Record<string, unknown>),
    ...(bodySha256 !== undefined ? { bodySha256 } : {}),
    text: text as string,
    ...(replay !== undefined ? { replay } : {}),
  };
}

const isInteger = (value: unknown): boolean => Number.isSafeInteger(value);
const isIntegerOrNull = (value: unknown): boolean => value === null || Number.isSafeInteger(value);

/** The field checks behind each catalog type's `data` interface in lambda/shared/fpt-events.ts. */
const DATA_RULES: {
  readonly [K in CatalogEventType]: ReadonlyArray<readonly [string, (v: unknown) => boolean, string]>;
} = {
  'contact.created': [
    ['contactId', isInteger, 'an integer'],
    ['operation', (v) => v === 'create', '"create"'],
  ],
  'contact.updated': [
    ['contactId', isInteger, 'an integer'],
    ['operation', (v) => v === 'update', '"update"'],
  ],
  'contact.deleted': [
    ['contactId', isInteger, 'an integer'],
    ['operation', (v) => v === 'delete', '"delete"'],
  ],
  'contact.status_changed': [
    ['contactId', isInteger, 'an integer'],
    ['previousStatusId', isInteger, 'an integer'],
    ['newStatusId', isInteger, 'an integer'],
  ],
  'contact.sub_group_changed': [
    ['contactId', isInteger, 'an integer'],
    ['previousSubGroupId', isIntegerOrNull, 'an integer or null'],
    ['newSubGroupId', isIntegerOrNull, 'an integer or null'],
  ],
};

/**
 * Checks that a catalog event's `data` has the shape its typed handler is promised. Extra fields are
 * allowed (FPT adds fields without bumping apiVersion). Problems name fields, never values.
 */
export function catalogDataProblems(eventType: CatalogEventType, data: Record<string, unknown>): string[] {
  return DATA_RULES[eventType]
    .filter(([field, check]) => !check(data[field]))
    .map(([field, , expected]) => `data.${field} must be ${expected}`);
}
