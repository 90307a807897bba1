import { isUtf8 } from 'node:buffer';
import { EnvelopeValidationError } from '../shared/errors';
import type { FptEnvelope } from '../shared/fpt-events';

const EVENT_ID = /^[0-9a-fA-F]{32}$/;
const EVENT_TYPE = /^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/;
// UTC only: a trailing Z, optional fractional seconds. FPT documents milliseconds; be liberal in digits.
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

/** The number written by the two ASCII digits at `index`; the caller knows they are digits. */
function twoDigits(text: string, index: number): number {
  return (text.charCodeAt(index) - 0x30) * 10 + (text.charCodeAt(index + 1) - 0x30);
}

/**
 * Whether a string that matches ISO_UTC names a real instant: Date.parse is not NaN.
 *
 * Date.parse is the most expensive step of validation, so it is skipped where ECMAScript itself
 * guarantees the answer: the standard format (no fraction, or exactly 3 digits) with month 01-12, a day
 * that every month has (01-28), hour 00-23, minute and second 00-59. FPT's documented form, e.g.
 * `2026-06-10T23:45:00.123Z`, lands there. Everything else, including the lenient cases an engine may
 * accept (`02-30`, `24:00:00`, 1 or 9 fraction digits), is still decided by Date.parse.
 */
function isRealInstant(timestamp: string): boolean {
  if (timestamp.length === 20 || timestamp.length === 24) {
    const month = twoDigits(timestamp, 5);
    const day = twoDigits(timestamp, 8);
    if (
      month >= 1 &&
      month <= 12 &&
      day >= 1 &&
      day <= 28 &&
      twoDigits(timestamp, 11) <= 23 &&
      twoDigits(timestamp, 14) <= 59 &&
      twoDigits(timestamp, 17) <= 59
    ) {
      return true;
    }
  }
  return !Number.isNaN(Date.parse(timestamp));
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Validates the envelope of an already-authenticated body. Collects every problem; the messages name
 * fields, never values, because they reach logs.
 * @throws EnvelopeValidationError
 */
export function validateEnvelope(parsed: unknown): FptEnvelope {
  if (!isPlainObject(parsed)) throw new EnvelopeValidationError(['body is not a JSON object']);
  const problems: string[] = [];
  const { eventId, eventType, eventTimestamp, locationId, organizationId, apiVersion, data } = parsed;
  if (typeof eventId !== 'string' || !EVENT_ID.test(eventId))
    problems.push('eventId must be 32 hex characters');
  if (typeof eventType !== 'string' || !EVENT_TYPE.test(eventType)) {
    problems.push('eventType must look like <resource>.<verb>');
  }
  if (typeof eventTimestamp !== 'string' || !ISO_UTC.test(eventTimestamp) || !isRealInstant(eventTimestamp)) {
    problems.push('eventTimestamp must be an ISO-8601 UTC timestamp');
  }
  if (!isNonNegativeInteger(locationId)) problems.push('locationId must be an integer >= 0');
  if (!isNonNegativeInteger(organizationId)) problems.push('organizationId must be an integer >= 0');
  if (typeof apiVersion !== 'string' || apiVersion.length === 0) problems.push('apiVersion must be a string');
  if (!isPlainObject(data)) problems.push('data must be an object');
  if (problems.length > 0) throw new EnvelopeValidationError(problems);
  // Normalised so that `9F1C...` and `9f1c...` dedupe as one event. In place: the object is the caller's
  // fresh JSON.parse result, and copying it would cost every request.
  const normalisedId = (eventId as string).toLowerCase();
  if (normalisedId !== eventId) parsed.eventId = normalisedId;
  return parsed as unknown as FptEnvelope;
}

/**
 * Whether a string has no lone surrogates, so that it is exactly the UTF-8 decoding of its own UTF-8
 * bytes (`String.prototype.isWellFormed`, ES2024; Node 20 and every Lambda Node.js runtime have it).
 */
export function isWellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

/**
 * Parses JSON and validates; a body that is not JSON is an envelope problem, not a crash.
 * @param text the UTF-8 decoding of rawBody when the caller already has it (saves decoding it again)
 */
export function parseEnvelope(rawBody: Buffer, text?: string): FptEnvelope {
  // Decoding would turn invalid bytes into U+FFFD and queue data FPT never sent; parked instead, intact.
  if (text === undefined && !isUtf8(rawBody)) throw new EnvelopeValidationError(['body is not valid UTF-8']);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? rawBody.toString('utf8'));
  } catch {
    throw new EnvelopeValidationError(['body is not valid JSON']);
  }
  return validateEnvelope(parsed);
}
