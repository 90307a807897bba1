import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import { SignatureVerificationError } from '../shared/errors';

export const SIGNATURE_HEADER = 'x-fpt-signature';

export interface ParsedSignatureHeader {
  /** Unix seconds, as sent. */
  readonly timestamp: number;
  /** The digits of `t` exactly as sent; the signed content uses them verbatim. */
  readonly timestampText: string;
  /** Every `v1` value, lowercased hex of 64 characters. */
  readonly signatures: readonly Buffer[];
}

const DIGITS = /^\d{1,12}$/;
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;
const MAX_HEADER_LENGTH = 4096;

const CANONICAL_SIGNATURE_MARK = ',v1=';
const CANONICAL_SIGNATURE_LENGTH = CANONICAL_SIGNATURE_MARK.length + 64;

/**
 * The one form FPT sends, `t=<1-12 digits>,v1=<64 hex>`, read with character checks: about a third of
 * the cost of an anchored regex with captures, on a path every request takes. It returns what the general
 * parser below returns for the same header, or undefined for anything else (spaces, several v1, unknown
 * schemes, bad syntax), which the general parser then decides.
 */
function parseCanonicalHeader(header: string): ParsedSignatureHeader | undefined {
  const mark = header.length - CANONICAL_SIGNATURE_LENGTH;
  if (
    mark < 3 ||
    mark > 14 ||
    header.charCodeAt(0) !== 0x74 || // t
    header.charCodeAt(1) !== 0x3d || // =
    !header.startsWith(CANONICAL_SIGNATURE_MARK, mark)
  ) {
    return undefined;
  }
  let timestamp = 0;
  for (let i = 2; i < mark; i++) {
    const digit = header.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    timestamp = timestamp * 10 + digit;
  }
  // Node's hex decoder stops at the first character that is not hex, so 32 bytes means 64 hex digits.
  const signature = Buffer.from(header.slice(mark + CANONICAL_SIGNATURE_MARK.length), 'hex');
  if (signature.length !== 32) return undefined;
  return { timestamp, timestampText: header.slice(2, mark), signatures: [signature] };
}

/**
 * Parses `t=<unix>,v1=<hex>[,v1=<hex>...]` strictly.
 *
 * Stricter than stripe-node on purpose: `t` must be digits only and appear exactly once (stripe-node's
 * parseInt lets `t=123abc` through and lets a later `t` override an earlier one). Unknown schemes are
 * ignored so FPT can add `v2` later. A `v1` that is not 64 hex characters can never match, so it is
 * dropped rather than compared.
 * @throws SignatureVerificationError('malformed_header') when the header cannot be trusted
 */
export function parseSignatureHeader(header: string): ParsedSignatureHeader {
  const canonical = parseCanonicalHeader(header);
  if (canonical !== undefined) return canonical;
  if (header.length > MAX_HEADER_LENGTH) throw new SignatureVerificationError('malformed_header');
  let timestampText: string | undefined;
  const signatures: Buffer[] = [];
  for (const item of header.split(',')) {
    const eq = item.indexOf('=');
    if (eq <= 0) continue;
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (key === 't') {
      if (timestampText !== undefined || !DIGITS.test(value)) {
        throw new SignatureVerificationError('malformed_header');
      }
      timestampText = value;
    } else if (key === 'v1') {
      if (HEX_SHA256.test(value)) signatures.push(Buffer.from(value, 'hex'));
    }
  }
  if (timestampText === undefined || signatures.length === 0) {
    throw new SignatureVerificationError('malformed_header');
  }
  return { timestamp: Number(timestampText), timestampText, signatures };
}

/**
 * Imported HMAC keys by secret value. `createHmac` with a string imports the key on every call, which
 * for a small body is about a tenth of the whole HMAC; a KeyObject imported once does not. A container
 * only ever sees a few secrets (AWSCURRENT and AWSPREVIOUS per subscription), so a small map, oldest
 * out first, holds them all; it keeps nothing the secret store does not already hold.
 */
const hmacKeys = new Map<string, KeyObject>();
const MAX_HMAC_KEYS = 16;

function hmacKey(secret: string): KeyObject {
  let key = hmacKeys.get(secret);
  if (key === undefined) {
    const bytes = Buffer.from(secret, 'utf8');
    key = createSecretKey(bytes);
    bytes.fill(0);
    if (hmacKeys.size >= MAX_HMAC_KEYS) hmacKeys.delete(hmacKeys.keys().next().value as string);
    hmacKeys.set(secret, key);
  }
  return key;
}

/** hex(HMAC-SHA256(secret, `${t}.${rawBody}`)) over the exact bytes. */
export function computeSignature(secret: string, timestampText: string, rawBody: Buffer): Buffer {
  return createHmac('sha256', hmacKey(secret)).update(`${timestampText}.`).update(rawBody).digest();
}

/** Signs like FPT does; used by the CLI, tests and benchmarks. */
export function signPayload(secret: string, timestamp: number, rawBody: string | Buffer): string {
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  const v1 = computeSignature(secret, String(timestamp), body).toString('hex');
  return `t=${timestamp},v1=${v1}`;
}

/**
 * Checks presence, syntax and freshness of the header: everything that needs no secret.
 *
 * The timestamp is checked before any HMAC so that stale and future requests cost nothing, in both
 * directions (FPT documents only the past; clock skew and pre-signed replays make the future matter too).
 * @throws SignatureVerificationError with the failure reason
 */
export function checkSignatureHeader(
  header: string | undefined,
  nowMs: number,
  toleranceSeconds: number,
): ParsedSignatureHeader {
  if (header === undefined || header === '') throw new SignatureVerificationError('missing_header');
  const parsed = parseSignatureHeader(header);
  const age = Math.floor(nowMs / 1000) - parsed.timestamp;
  // A clock or tolerance that is not a number would make both comparisons false: fail closed instead.
  if (!Number.isFinite(age) || !Number.isFinite(toleranceSeconds)) {
    throw new SignatureVerificationError('stale_timestamp');
  }
  if (age > toleranceSeconds) throw new SignatureVerificationError('stale_timestamp');
  if (-age > toleranceSeconds) throw new SignatureVerificationError('future_timestamp');
  return parsed;
}

/**
 * True when any `v1` value is the HMAC of the body under `secret`. Every candidate is compared in
 * constant time, and the loop does not stop early, so timing does not reveal which one matched.
 */
export function matchesSignature(parsed: ParsedSignatureHeader, rawBody: Buffer, secret: string): boolean {
  const expected = computeSignature(secret, parsed.timestampText, rawBody);
  let matched = false;
  for (const candidate of parsed.signatures) {
    if (timingSafeEqual(expected, candidate)) matched = true;
  }
  return matched;
}

export interface VerifySignatureInput {
  readonly rawBody: Buffer;
  /** The `X-FPT-Signature` value, or undefined when absent. */
  readonly header: string | undefined;
  /** Candidate secrets in order of preference (AWSCURRENT, then AWSPREVIOUS). */
  readonly secrets: readonly string[];
  readonly nowMs: number;
  readonly toleranceSeconds: number;
}

export interface VerifiedSignature {
  /** Index into `secrets` of the first secret that matched. */
  readonly secretIndex: number;
  readonly timestamp: number;
}

/**
 * Verifies an FPT signature against one or more secrets. Pure: no I/O, the clock is an argument.
 * @throws SignatureVerificationError with the failure reason
 */
export function verifySignature(input: VerifySignatureInput): VerifiedSignature {
  const parsed = checkSignatureHeader(input.header, input.nowMs, input.toleranceSeconds);
  const secretIndex = input.secrets.findIndex((secret) => matchesSignature(parsed, input.rawBody, secret));
  if (secretIndex === -1) throw new SignatureVerificationError('bad_signature');
  return { secretIndex, timestamp: parsed.timestamp };
}
