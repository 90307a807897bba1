import crypto from 'node:crypto';
import fc from 'fast-check';
import { SignatureVerificationError } from '../../../lambda/shared/errors';
import {
  checkSignatureHeader,
  computeSignature,
  matchesSignature,
  parseSignatureHeader,
  verifySignature,
} from '../../../lambda/verifier/signature';
import {
  badTimestampText,
  badV1,
  hex64,
  hmacHex,
  ignorableItem,
  padding,
  runs,
  timestampDigits,
} from './arbitraries';

/**
 * Properties of the X-FPT-Signature parser and checks, beyond the examples in
 * test/unit/verifier/signature.test.ts: generated well-formed headers round-trip, every single defect
 * is refused, the fast path agrees with the general parser, the tolerance holds in both directions for
 * any clock, nothing is computed for a stale request, and the comparison never exits early.
 */

const SECRET = 'prop-secret-0123456789-abcdefghijklmnopqrstu';

function failureOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof SignatureVerificationError) return error.failure;
    throw error;
  }
  return undefined;
}

interface HeaderParts {
  /** The `t` digits, as sent. */
  t: string;
  /** Valid v1 values, as sent (mixed case). */
  v1s: string[];
  /** Items the parser must skip (bad v1 values, other schemes, junk). */
  ignored: string[];
}

/** Builds a header from parts in a given order, with trimmable characters around keys and values. */
const headerFromParts = (): fc.Arbitrary<{ parts: HeaderParts; header: string }> =>
  fc
    .record({
      t: timestampDigits(),
      v1s: fc.array(hex64(), { minLength: 1, maxLength: 6 }),
      badV1s: fc.array(badV1(), { maxLength: 3 }),
      others: fc.array(ignorableItem(), { maxLength: 4 }),
      seed: fc.nat(),
      pads: fc.array(fc.tuple(padding(), padding(), padding(), padding()), { minLength: 20, maxLength: 20 }),
    })
    .map(({ t, v1s, badV1s, others, seed, pads }) => {
      const items: Array<{ key: string; value: string } | string> = [
        { key: 't', value: t },
        ...v1s.map((value) => ({ key: 'v1', value })),
        ...badV1s.map((value) => ({ key: 'v1', value })),
        ...others,
      ];
      // A deterministic shuffle from the seed, keeping the relative order of the valid v1 values.
      const order = items
        .map((_, i) => i)
        .sort((a, b) => ((a * 7919 + seed) % 101) - ((b * 7919 + seed) % 101));
      const validOrder = order.filter((i) => i >= 1 && i <= v1s.length).map((i) => v1s[i - 1] as string);
      const header = order
        .map((i, position) => {
          const item = items[i];
          if (typeof item === 'string') return item;
          const [a, b, c, d] = pads[position % pads.length] as [string, string, string, string];
          return `${a}${item?.key}${b}=${c}${item?.value}${d}`;
        })
        .join(',');
      return { parts: { t, v1s: validOrder, ignored: [...badV1s, ...others] }, header };
    });

describe('parseSignatureHeader (properties)', () => {
  it('reads back t and every valid v1, in order, from any well-formed header with padding and extra items', () => {
    fc.assert(
      fc.property(headerFromParts(), ({ parts, header }) => {
        fc.pre(header.length <= 4096);
        const parsed = parseSignatureHeader(header);
        expect(parsed.timestampText).toBe(parts.t);
        expect(parsed.timestamp).toBe(Number(parts.t));
        expect(parsed.signatures.map((s) => s.toString('hex'))).toEqual(
          parts.v1s.map((v) => v.toLowerCase()),
        );
      }),
      { numRuns: runs(1500) },
    );
  });

  it('refuses a header with a duplicated t, whatever its value and position', () => {
    fc.assert(
      fc.property(headerFromParts(), timestampDigits(), fc.boolean(), ({ header }, t2, atEnd) => {
        const doubled = atEnd ? `${header},t=${t2}` : `t=${t2},${header}`;
        expect(failureOf(() => parseSignatureHeader(doubled))).toBe('malformed_header');
      }),
      { numRuns: runs(500) },
    );
  });

  it('refuses a t that is not 1 to 12 ASCII digits (signs, decimals, exponents, other scripts, too long)', () => {
    fc.assert(
      fc.property(badTimestampText(), hex64(), (t, v1) => {
        expect(failureOf(() => parseSignatureHeader(`t=${t},v1=${v1}`))).toBe('malformed_header');
        expect(failureOf(() => parseSignatureHeader(`v1=${v1}, t=${t}`))).toBe('malformed_header');
      }),
      { numRuns: runs(800) },
    );
  });

  it('refuses a header without t, or without any v1 that is 64 hex characters', () => {
    fc.assert(
      fc.property(
        timestampDigits(),
        fc.array(badV1(), { maxLength: 4 }),
        fc.array(ignorableItem(), { maxLength: 3 }),
        fc.array(hex64(), { minLength: 1, maxLength: 3 }),
        (t, bad, others, good) => {
          const noValidV1 = [`t=${t}`, ...bad.map((v) => `v1=${v}`), ...others].join(',');
          const noT = [...good.map((v) => `v1=${v}`), ...others].join(',');
          expect(failureOf(() => parseSignatureHeader(noValidV1))).toBe('malformed_header');
          expect(failureOf(() => parseSignatureHeader(noT))).toBe('malformed_header');
        },
      ),
      { numRuns: runs(800) },
    );
  });

  it('gives the same result on the canonical fast path as on the general path', () => {
    fc.assert(
      fc.property(timestampDigits(), hex64(), padding(), (t, v1, pad) => {
        const canonical = parseSignatureHeader(`t=${t},v1=${v1}`);
        // A space, or any trimmable character, forces the general parser.
        const general = parseSignatureHeader(`t=${t},${pad || ' '}v1=${v1}`);
        expect(general).toEqual(canonical);
      }),
      { numRuns: runs(1000) },
    );
  });

  it('decides a canonical header with any one character changed as the general parser does', () => {
    const outcome = (header: string) => {
      try {
        return parseSignatureHeader(header);
      } catch (error) {
        if (error instanceof SignatureVerificationError) return error.failure;
        throw error;
      }
    };
    fc.assert(
      fc.property(
        timestampDigits(),
        hex64(),
        fc.nat(),
        fc.oneof(
          fc.constantFrom('0', '9', 'a', 'F', 'g', 'x', ' ', ',', '=', 't', 'v', '1', '-', '.'),
          fc.string({ minLength: 1, maxLength: 1 }),
        ),
        (t, v1, at, replacement) => {
          const canonical = `t=${t},v1=${v1}`;
          const i = at % canonical.length;
          const mutated = canonical.slice(0, i) + replacement + canonical.slice(i + 1);
          // An empty trailing item changes nothing for the general parser but keeps the fast path out.
          expect(outcome(mutated)).toEqual(outcome(`${mutated},`));
        },
      ),
      { numRuns: runs(5000) },
    );
  });

  it('refuses any non-canonical header over 4096 characters, even one holding a valid t and v1', () => {
    fc.assert(
      fc.property(timestampDigits(), hex64(), fc.integer({ min: 4097, max: 20_000 }), (t, v1, length) => {
        const head = `t=${t}, v1=${v1}`;
        const header = `${head},x=${'a'.repeat(Math.max(0, length - head.length - 3))}`;
        expect(header.length).toBeGreaterThan(4096);
        expect(failureOf(() => parseSignatureHeader(header))).toBe('malformed_header');
      }),
      { numRuns: runs(100) },
    );
  });

  it('either parses into digits and 32-byte signatures or throws malformed_header, for arbitrary text', () => {
    // Text drawn from the header's own alphabet reaches the parser's branches far more often than
    // arbitrary unicode; both are used.
    const headerAlphabet = fc.string({
      unit: fc.constantFrom('t', 'v', '1', '=', ',', ' ', '0', '9', 'a', 'F', 'g', '\t', '\u00a0', '-'),
      maxLength: 200,
    });
    const nearMiss = fc
      .tuple(timestampDigits(), hex64(), fc.string({ unit: 'binary', maxLength: 6 }), fc.nat({ max: 90 }))
      .map(([t, v1, noise, at]) => {
        const header = `t=${t},v1=${v1}`;
        return header.slice(0, at) + noise + header.slice(at);
      });
    fc.assert(
      fc.property(
        fc.oneof(headerAlphabet, fc.string({ unit: 'binary', maxLength: 300 }), nearMiss),
        (header) => {
          let parsed: ReturnType<typeof parseSignatureHeader>;
          try {
            parsed = parseSignatureHeader(header);
          } catch (error) {
            expect(error).toBeInstanceOf(SignatureVerificationError);
            expect((error as SignatureVerificationError).failure).toBe('malformed_header');
            return;
          }
          expect(parsed.timestampText).toMatch(/^\d{1,12}$/);
          expect(parsed.timestamp).toBe(Number(parsed.timestampText));
          expect(parsed.signatures.length).toBeGreaterThan(0);
          for (const signature of parsed.signatures) expect(signature).toHaveLength(32);
        },
      ),
      { numRuns: runs(3000) },
    );
  });
});

describe('checkSignatureHeader (properties)', () => {
  it('accepts exactly when |now - t| <= tolerance, and names the direction otherwise, for any clock', () => {
    const clock = fc.oneof(
      fc.integer({ min: 0, max: 4_102_444_800_000 }),
      fc.constantFrom(0, 999, 1000, Number.MAX_SAFE_INTEGER),
    );
    fc.assert(
      fc.property(
        clock,
        fc.integer({ min: 0, max: 86_400 }),
        fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -1e9, max: 1e9 })),
        hex64(),
        (nowMs, tolerance, skew, v1) => {
          const nowSeconds = Math.floor(nowMs / 1000);
          const t = nowSeconds + skew;
          fc.pre(t >= 0 && t < 1e12);
          const result = failureOf(() => checkSignatureHeader(`t=${t},v1=${v1}`, nowMs, tolerance));
          if (Math.abs(skew) <= tolerance) expect(result).toBeUndefined();
          else expect(result).toBe(skew < 0 ? 'stale_timestamp' : 'future_timestamp');
        },
      ),
      { numRuns: runs(3000) },
    );
  });

  it('answers missing_header for an absent or empty header, whatever the clock', () => {
    fc.assert(
      fc.property(fc.constantFrom(undefined, ''), fc.integer({ min: 0 }), (header, nowMs) => {
        expect(failureOf(() => checkSignatureHeader(header, nowMs, 300))).toBe('missing_header');
      }),
    );
  });
});

describe('verifySignature (properties)', () => {
  let hmacSpy: jest.SpyInstance;
  let compareSpy: jest.SpyInstance;
  beforeEach(() => {
    hmacSpy = jest.spyOn(crypto, 'createHmac');
    compareSpy = jest.spyOn(crypto, 'timingSafeEqual');
  });
  afterEach(() => {
    hmacSpy.mockRestore();
    compareSpy.mockRestore();
  });

  const NOW_MS = 1_780_000_000_000;
  const NOW_S = NOW_MS / 1000;

  it('computes no HMAC at all for a timestamp outside the tolerance, whatever the body and the v1s', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 256 }),
        fc.oneof(fc.integer({ min: 301, max: 1e8 }), fc.integer({ min: -1e8, max: -301 })),
        fc.array(hex64(), { minLength: 1, maxLength: 5 }),
        (body, skew, v1s) => {
          hmacSpy.mockClear();
          const header = `t=${NOW_S + skew},${v1s.map((v) => `v1=${v}`).join(',')}`;
          const failure = failureOf(() =>
            verifySignature({
              rawBody: Buffer.from(body),
              header,
              secrets: [SECRET],
              nowMs: NOW_MS,
              toleranceSeconds: 300,
            }),
          );
          expect(failure).toBe(skew > 0 ? 'future_timestamp' : 'stale_timestamp');
          expect(hmacSpy).not.toHaveBeenCalled();
        },
      ),
      { numRuns: runs(300) },
    );
  });

  it('compares every v1 in constant time, never stopping at the first match, and matches iff one is right', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 128 }),
        fc.array(hex64(), { minLength: 1, maxLength: 12 }),
        fc.option(fc.nat({ max: 12 })),
        (bytes, decoys, goodAt) => {
          const body = Buffer.from(bytes);
          const good = hmacHex(SECRET, String(NOW_S), body);
          const candidates = decoys.filter((d) => d.toLowerCase() !== good);
          if (goodAt !== null) candidates.splice(Math.min(goodAt, candidates.length), 0, good);
          fc.pre(candidates.length > 0);
          const parsed = parseSignatureHeader(`t=${NOW_S},${candidates.map((c) => `v1=${c}`).join(',')}`);
          compareSpy.mockClear();
          const matched = matchesSignature(parsed, body, SECRET);
          expect(matched).toBe(goodAt !== null);
          expect(compareSpy).toHaveBeenCalledTimes(candidates.length);
          // Equal lengths on every call: timingSafeEqual never throws early on a length mismatch.
          for (const [a, b] of compareSpy.mock.calls as [Buffer, Buffer][]) {
            expect(a).toHaveLength(32);
            expect(b).toHaveLength(32);
          }
        },
      ),
      { numRuns: runs(500) },
    );
  });

  it('accepts an independent signature under any secret and body, and refuses any one-byte change', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 64 }),
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.integer({ min: -300, max: 300 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (secret, bytes, skew, where, flip) => {
          const body = Buffer.from(bytes);
          const t = String(NOW_S + skew);
          const v1 = hmacHex(secret, t, body);
          const verify = (header: string, rawBody: Buffer = body) =>
            failureOf(() =>
              verifySignature({ rawBody, header, secrets: [secret], nowMs: NOW_MS, toleranceSeconds: 300 }),
            );
          expect(verify(`t=${t},v1=${v1}`)).toBeUndefined();

          const tampered = Buffer.from(body);
          const index = where % tampered.length;
          tampered[index] = (tampered[index] as number) ^ flip;
          expect(verify(`t=${t},v1=${v1}`, tampered)).toBe('bad_signature');

          const hexIndex = where % 64;
          const otherHex = ((Number.parseInt(v1[hexIndex] as string, 16) + (flip % 15) + 1) % 16).toString(
            16,
          );
          expect(verify(`t=${t},v1=${v1.slice(0, hexIndex)}${otherHex}${v1.slice(hexIndex + 1)}`)).toBe(
            'bad_signature',
          );

          // The same digits with a leading zero are a different signed string.
          expect(verify(`t=0${t},v1=${v1}`)).toBe('bad_signature');
        },
      ),
      { numRuns: runs(500) },
    );
  });

  // HMAC zero-pads keys shorter than its block (RFC 2104), so a secret and the same secret followed by
  // NUL bytes are one key; FPT secrets are 32+ printable characters, so only printable variants count.
  it('refuses a signature made with any other secret, including one that differs only in case or length', () => {
    const secrets = fc.string({ unit: 'grapheme-ascii', minLength: 32, maxLength: 64 });
    const related = secrets.chain((secret) =>
      fc.tuple(
        fc.constant(secret),
        fc.oneof(
          fc.constant(secret.toUpperCase()),
          fc.constant(secret.slice(0, -1)),
          fc.constant(`${secret} `),
          fc.constant(`\u0000${secret}`),
          secrets,
        ),
      ),
    );
    fc.assert(
      fc.property(related, fc.uint8Array({ maxLength: 100 }), ([secret, other], bytes) => {
        fc.pre(!Buffer.from(secret, 'utf8').equals(Buffer.from(other, 'utf8')));
        const body = Buffer.from(bytes);
        const header = `t=${NOW_S},v1=${hmacHex(other, String(NOW_S), body)}`;
        const failure = failureOf(() =>
          verifySignature({ rawBody: body, header, secrets: [secret], nowMs: NOW_MS, toleranceSeconds: 300 }),
        );
        expect(failure).toBe('bad_signature');
      }),
      { numRuns: runs(500) },
    );
  });

  it('computes the documented HMAC for any sequence of secrets, past the imported-key cache size', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), {
          minLength: 17,
          maxLength: 40,
        }),
        fc.array(fc.nat(), { minLength: 40, maxLength: 120 }),
        fc.uint8Array({ maxLength: 64 }),
        (secrets, picks, bytes) => {
          const body = Buffer.from(bytes);
          for (const pick of picks) {
            const secret = secrets[pick % secrets.length] as string;
            expect(computeSignature(secret, '1717023600', body).toString('hex')).toBe(
              hmacHex(secret, '1717023600', body),
            );
          }
        },
      ),
      { numRuns: runs(100) },
    );
  });
});
