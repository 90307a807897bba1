import fc from 'fast-check';
import { SignatureVerificationError } from '../../../lambda/shared/errors';
import {
  checkSignatureHeader,
  parseSignatureHeader,
  signPayload,
  verifySignature,
} from '../../../lambda/verifier/signature';
import { fptHeader, fptSign } from '../../support/independent-signer';

const SECRET = 'whsec-test-0123456789abcdefghijklmnopqrstuv';
const NOW_MS = 1_780_000_000_000;
const T = NOW_MS / 1000;
const BODY = Buffer.from('{"eventId":"9f1c7e2a8c4d4b1b9e3f5a6d7c8b9a0e","data":{}}');

function failureOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof SignatureVerificationError) return error.failure;
    throw error;
  }
  throw new Error('expected a SignatureVerificationError');
}

const verify = (header: string | undefined, overrides: Partial<Parameters<typeof verifySignature>[0]> = {}) =>
  verifySignature({
    rawBody: BODY,
    header,
    secrets: [SECRET],
    nowMs: NOW_MS,
    toleranceSeconds: 300,
    ...overrides,
  });

describe('parseSignatureHeader', () => {
  it('reads t and a single v1', () => {
    const parsed = parseSignatureHeader(`t=123,v1=${'a'.repeat(64)}`);
    expect(parsed.timestamp).toBe(123);
    expect(parsed.signatures).toHaveLength(1);
  });

  it('collects every v1 value', () => {
    const parsed = parseSignatureHeader(`t=1,v1=${'a'.repeat(64)},v1=${'b'.repeat(64)}`);
    expect(parsed.signatures).toHaveLength(2);
  });

  it('ignores unknown schemes such as v0 and v2', () => {
    const parsed = parseSignatureHeader(`t=1,v0=zz,v2=${'c'.repeat(64)},v1=${'a'.repeat(64)}`);
    expect(parsed.signatures).toHaveLength(1);
  });

  it('tolerates spaces around items', () => {
    expect(parseSignatureHeader(`t=1, v1=${'a'.repeat(64)}`).signatures).toHaveLength(1);
  });

  it.each([
    ['a missing t', `v1=${'a'.repeat(64)}`],
    ['a non-numeric t', `t=abc,v1=${'a'.repeat(64)}`],
    ['a t with trailing letters', `t=123abc,v1=${'a'.repeat(64)}`],
    ['a negative t', `t=-5,v1=${'a'.repeat(64)}`],
    ['a decimal t', `t=1.5,v1=${'a'.repeat(64)}`],
    ['an empty t', `t=,v1=${'a'.repeat(64)}`],
    ['two t values', `t=1,t=2,v1=${'a'.repeat(64)}`],
    ['no v1', 't=1'],
    ['only a v1 that is not hex', 't=1,v1=zzzz'],
    ['an oversized header', `t=1,v1=${'a'.repeat(5000)}`],
  ])('throws malformed_header for %s', (_name, header) => {
    expect(failureOf(() => parseSignatureHeader(header))).toBe('malformed_header');
  });
});

describe('verifySignature', () => {
  it('accepts a signature made by an independent signer', () => {
    expect(verify(fptHeader(SECRET, T, BODY)).secretIndex).toBe(0);
  });

  it('matches the signature produced by signPayload', () => {
    expect(signPayload(SECRET, T, BODY)).toBe(fptHeader(SECRET, T, BODY));
  });

  it('accepts when any of several v1 values matches', () => {
    const header = `t=${T},v1=${'0'.repeat(64)},v1=${fptSign(SECRET, T, BODY)}`;
    expect(verify(header).secretIndex).toBe(0);
  });

  it('accepts the second secret when only it matches', () => {
    expect(
      verify(fptHeader(SECRET, T, BODY), { secrets: ['another-secret-that-is-long-enough!!', SECRET] })
        .secretIndex,
    ).toBe(1);
  });

  it('accepts uppercase hex in v1', () => {
    expect(verify(`t=${T},v1=${fptSign(SECRET, T, BODY).toUpperCase()}`).timestamp).toBe(T);
  });

  it('returns missing_header when the header is absent or empty', () => {
    expect(failureOf(() => verify(undefined))).toBe('missing_header');
    expect(failureOf(() => verify(''))).toBe('missing_header');
  });

  it('returns bad_signature when the secret differs', () => {
    expect(failureOf(() => verify(fptHeader('not-the-secret-but-long-enough-0000', T, BODY)))).toBe(
      'bad_signature',
    );
  });

  it('returns bad_signature when one body byte changes', () => {
    const tampered = Buffer.from(BODY);
    tampered[5] = (tampered[5] ?? 0) ^ 1;
    expect(failureOf(() => verify(fptHeader(SECRET, T, BODY), { rawBody: tampered }))).toBe('bad_signature');
  });

  it('returns bad_signature when the body was re-serialised with different whitespace', () => {
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(BODY.toString()), null, 2));
    expect(failureOf(() => verify(fptHeader(SECRET, T, BODY), { rawBody: reserialised }))).toBe(
      'bad_signature',
    );
  });

  it('returns bad_signature when the signed t differs from the header t', () => {
    const header = `t=${T},v1=${fptSign(SECRET, T - 1, BODY)}`;
    expect(failureOf(() => verify(header))).toBe('bad_signature');
  });

  it('returns bad_signature when there are no secrets', () => {
    expect(failureOf(() => verify(fptHeader(SECRET, T, BODY), { secrets: [] }))).toBe('bad_signature');
  });

  it('accepts a timestamp exactly at the tolerance in the past and in the future', () => {
    expect(verify(fptHeader(SECRET, T - 300, BODY)).timestamp).toBe(T - 300);
    expect(verify(fptHeader(SECRET, T + 300, BODY)).timestamp).toBe(T + 300);
  });

  it('returns stale_timestamp when the timestamp is one second past the tolerance', () => {
    expect(failureOf(() => verify(fptHeader(SECRET, T - 301, BODY)))).toBe('stale_timestamp');
  });

  it('returns future_timestamp when the timestamp is one second ahead of the tolerance', () => {
    expect(failureOf(() => verify(fptHeader(SECRET, T + 301, BODY)))).toBe('future_timestamp');
  });

  it('checks the timestamp before the signature, so a stale forgery costs no HMAC', () => {
    expect(failureOf(() => verify(`t=${T - 10_000},v1=${'0'.repeat(64)}`))).toBe('stale_timestamp');
  });

  it('fails closed when the clock or the tolerance is not a number', () => {
    expect(failureOf(() => verify(fptHeader(SECRET, T, BODY), { nowMs: Number.NaN }))).toBe(
      'stale_timestamp',
    );
    expect(failureOf(() => verify(fptHeader(SECRET, T, BODY), { toleranceSeconds: Number.NaN }))).toBe(
      'stale_timestamp',
    );
  });

  it('honours a custom tolerance', () => {
    expect(failureOf(() => verify(fptHeader(SECRET, T - 11, BODY), { toleranceSeconds: 10 }))).toBe(
      'stale_timestamp',
    );
  });
});

describe('checkSignatureHeader (properties)', () => {
  it('never throws anything but a SignatureVerificationError for arbitrary header text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (header) => {
        try {
          checkSignatureHeader(header, NOW_MS, 300);
        } catch (error) {
          expect(error).toBeInstanceOf(SignatureVerificationError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('only ever verifies when the signature was made with the secret', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 512 }),
        fc.integer({ min: -1000, max: 1000 }),
        fc.string({ minLength: 32, maxLength: 64 }),
        (bytes, skew, otherSecret) => {
          const body = Buffer.from(bytes);
          const t = T + skew;
          const good = () => verify(fptHeader(SECRET, t, body), { rawBody: body });
          if (Math.abs(skew) <= 300) expect(good().timestamp).toBe(t);
          else expect(() => good()).toThrow(SignatureVerificationError);
          if (otherSecret !== SECRET) {
            expect(() => verify(fptHeader(otherSecret, t, body), { rawBody: body })).toThrow(
              SignatureVerificationError,
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
