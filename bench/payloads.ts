/**
 * The payloads every benchmark runs on: the same bytes, the same secret, the same header for every
 * implementation measured.
 *
 * - small: the `contact.sub_group_changed` envelope from FPT's envelope page (the longest of the five
 *   documented v1.1 shapes), serialised compactly as FPT sends it.
 * - 64k: a `contact.updated` envelope of exactly 64 KiB whose `data` carries a realistic contact
 *   record (profile, preferences, tags, custom fields, an activity log), including some non-ASCII
 *   names. FPT documents only ids for v1.1, but the PII categories suggest richer payloads will come,
 *   and 64 KiB is a quarter of the receiver's 256 KiB limit.
 */
import { signPayload } from '../lambda/verifier/signature';
import { envelopeBody } from '../local/testkit/envelopes';
import { prng } from '../local/testkit/workload';

/** A benchmark-only secret, 48 characters like a generated FPT key. Not used anywhere else. */
export const BENCH_SECRET = 'fpt_bench_5f0c2a9d7e1b4c6a8f3e0d2b9c7a5e1f3d6b8a0c';
export const TOLERANCE_SECONDS = 300;
export const LARGE_PAYLOAD_BYTES = 64 * 1024;

export interface BenchPayload {
  /** `small` or `64k`: the suffix of the keys in latest.json. */
  readonly name: string;
  /** The exact bytes as they would arrive in the request body. */
  readonly body: Buffer;
}

export interface SignedPayload extends BenchPayload {
  /** `t=<unix seconds>,v1=<hex>`, the value of X-FPT-Signature (and of Stripe-Signature for stripe-node). */
  readonly header: string;
  readonly timestamp: number;
  /** The body as the string API Gateway would hand the Lambda (flat, decoded from the bytes). */
  readonly text: string;
  /** The v1 digest, decoded once; the raw-limit loop compares against it. */
  readonly signature: Buffer;
  /** `${timestamp}.`, the start of the signed content; the raw-limit loop needs no header parsing. */
  readonly prefix: string;
}

export function smallEnvelope(eventId: string): string {
  return envelopeBody('contact.sub_group_changed', {
    eventId,
    timestamp: new Date('2026-06-10T23:45:00.123Z'),
    contactId: 9876,
  });
}

const FIRST = ['Amelia', 'Zoë', 'Noah', 'José', 'Chloé', 'Liam', 'Søren', 'Mia', 'Ethan', 'Ana'];
const LAST = ['Smith', 'Müller', 'García', 'Nguyen', 'Okafor', 'Kowalski', 'Brennan', 'Rossi'];
const TAGS = ['trial', 'hiit', 'yoga', 'referral', 'vip', 'early-bird', 'pt-package', 'lapsed', 'family'];
const ACTIVITY = ['sms_out', 'sms_in', 'email_out', 'call_in', 'call_out', 'check_in', 'class_booked'];

function isoAt(ms: number): string {
  return new Date(ms).toISOString();
}

/** A `contact.updated` envelope padded with realistic contact data to exactly `targetBytes` bytes. */
export function largeEnvelope(targetBytes: number, eventId: string): string {
  const random = prng(42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const base = Date.UTC(2026, 5, 10, 23, 45, 0, 123);
  const first = pick(FIRST);
  const last = pick(LAST);
  const data: Record<string, unknown> = {
    contactId: 9876,
    operation: 'update',
    contact: {
      firstName: first,
      lastName: last,
      email: `${first.toLowerCase()}.${last.toLowerCase()}@example.com`,
      phone: '+15555550142',
      contactGroupId: 3,
      subGroupId: 7,
      isActive: true,
      canSms: true,
      canEmail: true,
      canCall: false,
      assignedStaffId: 311,
      createdAt: isoAt(base - 400 * 86_400_000),
      lastContactedAt: isoAt(base - 3_600_000),
      address: { line1: '42 Harbour Road', city: 'Dún Laoghaire', postcode: 'A96 X2Y4', country: 'IE' },
    },
    tags: TAGS.slice(0, 6),
    customFields: Array.from({ length: 40 }, (_, i) => ({
      id: 1000 + i,
      name: `Custom field ${i + 1}`,
      value: i % 3 === 0 ? random() > 0.5 : i % 3 === 1 ? Math.floor(random() * 10_000) : pick(TAGS),
    })),
    activity: [] as unknown[],
    notes: '',
  };
  const activity = data.activity as unknown[];
  const size = () => Buffer.byteLength(envelopeJson(eventId, base, data), 'utf8');
  for (let i = 0; size() < targetBytes - 400; i++) {
    activity.push({
      id: 500_000 + i,
      type: pick(ACTIVITY),
      at: isoAt(base - i * 7_321_000),
      staffId: 300 + Math.floor(random() * 40),
      locationId: 1234,
      summary: `${pick(ACTIVITY).replace('_', ' ')} with ${pick(FIRST)} about ${pick(TAGS)}`,
    });
  }
  // Top up with an ASCII note to land on the exact size.
  data.notes = 'x'.repeat(targetBytes - size());
  const json = envelopeJson(eventId, base, data);
  if (Buffer.byteLength(json, 'utf8') !== targetBytes) {
    throw new Error(`large payload is ${Buffer.byteLength(json, 'utf8')} bytes, not ${targetBytes}`);
  }
  return json;
}

function envelopeJson(eventId: string, base: number, data: Record<string, unknown>): string {
  return envelopeBody('contact.updated', { eventId, timestamp: new Date(base), data });
}

/** The `index`-th of a series of distinct 32-hex eventIds (the first is FPT's documented example). */
export function benchEventId(index: number): string {
  if (index === 0) return '9f1c7e2a8c4d4b1b9e3f5a6d7c8b9a0e';
  return `${index.toString(16).padStart(8, '0')}8c4d4b1b9e3f5a6d7c8b9a0e`;
}

/** The benchmark payloads; `eventIndex` varies the eventId (and so the bytes) without changing the size. */
export function benchPayloads(eventIndex = 0): BenchPayload[] {
  const eventId = benchEventId(eventIndex);
  // Built once; the eventId has a fixed length, so swapping it keeps the size exact.
  largeTemplate ??= largeEnvelope(LARGE_PAYLOAD_BYTES, benchEventId(0));
  return [
    { name: 'small', body: Buffer.from(smallEnvelope(eventId), 'utf8') },
    { name: '64k', body: Buffer.from(largeTemplate.replace(benchEventId(0), eventId), 'utf8') },
  ];
}

let largeTemplate: string | undefined;

/** Signs a payload as FPT does, at `timestamp` (unix seconds, default now). */
export function signBenchPayload(
  payload: BenchPayload,
  timestamp = Math.floor(Date.now() / 1000),
  secret = BENCH_SECRET,
): SignedPayload {
  // Through bytes and back, so the header is a flat string like one read from a request, not the
  // concatenation (rope) a template literal builds; V8 reads the two differently.
  const header = Buffer.from(signPayload(secret, timestamp, payload.body), 'latin1').toString('latin1');
  const hex = header.slice(header.indexOf('v1=') + 3);
  return {
    ...payload,
    header,
    timestamp,
    text: payload.body.toString('utf8'),
    signature: Buffer.from(hex, 'hex'),
    prefix: `${timestamp}.`,
  };
}
