/**
 * Generators shared by the property tests. Everything here is written from FPT's documentation and
 * node:crypto, never from lambda/verifier, so a property never checks the verifier against itself.
 */
import fc from 'fast-check';
import { fptSign } from '../../support/independent-signer';

/** Characters String.prototype.trim removes; the parser trims keys and values with it. */
export const TRIMMABLE = [' ', '\t', '\n', '\r', '\v', '\f', '\u00a0', '\u2028', '\ufeff'] as const;

/** Up to three trimmable characters. */
export const padding = (): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...TRIMMABLE), { maxLength: 3 }).map((chars) => chars.join(''));

/** 64 hex characters (an HMAC-SHA256), in a random mix of upper and lower case. */
export const hex64 = (): fc.Arbitrary<string> =>
  fc.mixedCase(fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex')));

/** The digits of `t`: 1 to 12 ASCII digits, sometimes with leading zeros. */
export const timestampDigits = (): fc.Arbitrary<string> =>
  fc
    .tuple(fc.nat({ max: 3 }), fc.bigInt({ min: 0n, max: 10n ** 12n - 1n }))
    .map(([zeros, n]) => `${'0'.repeat(zeros)}${n}`)
    .filter((digits) => digits.length <= 12);

/**
 * Strings that look like a `t` value but must be refused: signs, decimals, exponents, hex, digits
 * from other scripts (the parser's \d is ASCII only), too many digits, empty.
 */
export const badTimestampText = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(
      '',
      '-1',
      '+1717023600',
      '1717023600.5',
      '1e9',
      '0x66',
      'NaN',
      'Infinity',
      '١٧١٧٠٢٣٦٠٠',
      '１７１７０２３６００',
      '1717023600abc',
      '1 717 023 600',
    ),
    fc.bigInt({ min: 10n ** 12n, max: 10n ** 30n }).map(String),
    fc
      .string({ minLength: 1, maxLength: 20 })
      .filter((s) => !s.includes(',') && !/^\d{1,12}$/.test(s.trim())),
  );

/** A `v1` value that can never be an HMAC-SHA256 in hex: wrong length or a non-hex character. */
export const badV1 = (): fc.Arbitrary<string> =>
  fc.oneof(
    hex64().map((h) => h.slice(0, 63)),
    hex64().map((h) => `${h}0`),
    fc
      .tuple(hex64(), fc.nat({ max: 63 }), fc.constantFrom('g', 'z', '-', '\u00e9', '\u0660'))
      .map(([h, i, c]) => `${h.slice(0, i)}${c}${h.slice(i + 1)}`),
    fc.constant(''),
  );

/**
 * Items a header may carry besides `t` and `v1`, which the parser must ignore: other schemes, keys that
 * differ from `t`/`v1` only by case or suffix, items without `=`, items with an empty key.
 */
export const ignorableItem = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc
      .tuple(
        fc.constantFrom('v0', 'v2', 'V1', 'T', 't1', 'tt', 'sig', 'v1x', 'x-t'),
        fc.string({ maxLength: 70 }).filter((v) => !v.includes(',')),
      )
      .map(([k, v]) => `${k}=${v}`),
    fc.string({ maxLength: 20 }).filter((s) => !s.includes('=') && !s.includes(',')),
    fc
      .string({ maxLength: 20 })
      .filter((s) => !s.includes(','))
      .map((s) => `=${s}`),
  );

/** hex(HMAC-SHA256(secret, `${t}.${body}`)), from the documentation. */
export function hmacHex(secret: string, t: string, body: Buffer): string {
  return fptSign(secret, t, body);
}

const HEX = '0123456789abcdef';

/** 32 hex characters: an FPT eventId. */
export const eventIdHex = (): fc.Arbitrary<string> =>
  fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('hex'));

/** `<resource>.<verb>` as the envelope requires: lowercase ASCII, digits and underscores. */
export const eventType = (): fc.Arbitrary<string> => {
  const word = fc
    .tuple(
      fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'),
      fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789_'), maxLength: 12 }),
    )
    .map(([first, rest]) => first + rest);
  return fc.oneof(
    fc.constantFrom(
      'contact.created',
      'contact.updated',
      'contact.deleted',
      'contact.status_changed',
      'contact.sub_group_changed',
      'payment.succeeded',
    ),
    fc.tuple(word, word).map(([a, b]) => `${a}.${b}`),
  );
};

/**
 * An ISO-8601 UTC timestamp as the envelope accepts it: any real instant from year 1000 to 9999, with
 * no fraction or 1 to 9 fraction digits, always with `Z`.
 */
export const isoUtc = (): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.date({
        min: new Date('1000-01-01T00:00:00.000Z'),
        max: new Date('9999-12-31T23:59:59.999Z'),
        noInvalidDate: true,
      }),
      fc.nat({ max: 9 }),
      fc.string({ unit: fc.constantFrom(...HEX.slice(0, 10)), minLength: 9, maxLength: 9 }),
    )
    .map(([date, digits, fraction]) => {
      const base = date.toISOString().slice(0, 19);
      return digits === 0 ? `${base}Z` : `${base}.${fraction.slice(0, digits)}Z`;
    });

/** JSON-compatible `data` objects, with unicode keys and values. */
export const dataObject = (): fc.Arbitrary<Record<string, unknown>> =>
  fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), {
    maxKeys: 5,
  }) as fc.Arbitrary<Record<string, unknown>>;

export interface EnvelopeValue {
  eventId: string;
  eventType: string;
  eventTimestamp: string;
  locationId: number;
  organizationId: number;
  apiVersion: string;
  data: Record<string, unknown>;
  [extra: string]: unknown;
}

/** A valid envelope: every field within the documented rules; eventId in any case; extra fields kept. */
export const validEnvelope = (): fc.Arbitrary<EnvelopeValue> =>
  fc
    .record({
      eventId: fc.mixedCase(eventIdHex()),
      eventType: eventType(),
      eventTimestamp: isoUtc(),
      locationId: fc.maxSafeNat(),
      organizationId: fc.oneof(fc.constant(0), fc.maxSafeNat()),
      apiVersion: fc.oneof(fc.constant('v1'), fc.string({ minLength: 1, maxLength: 5 })),
      data: dataObject(),
      extras: fc.dictionary(
        fc
          .string({ minLength: 1, maxLength: 6 })
          .filter((k) => !ENVELOPE_FIELDS.includes(k) && k !== '__proto__'),
        fc.jsonValue({ maxDepth: 1 }),
        { maxKeys: 2 },
      ),
    })
    .map(({ extras, ...envelope }) => ({ ...extras, ...envelope }) as EnvelopeValue);

export const ENVELOPE_FIELDS: readonly string[] = [
  'eventId',
  'eventType',
  'eventTimestamp',
  'locationId',
  'organizationId',
  'apiVersion',
  'data',
];

/**
 * Serialises an envelope the ways a sender might: compact, pretty-printed, with tabs and CRLF, with
 * `\u` escapes for every non-ASCII character. The parsed value is the same every time.
 */
export const serialisation = (): fc.Arbitrary<(value: unknown) => string> =>
  fc.constantFrom(
    (value: unknown) => JSON.stringify(value),
    (value: unknown) => JSON.stringify(value, null, 2),
    (value: unknown) => JSON.stringify(value, null, '\t').replaceAll('\n', '\r\n'),
    (value: unknown) => ` \n${JSON.stringify(value)}\n\t `,
    (value: unknown) =>
      JSON.stringify(value).replace(
        /[\u007f-\uffff]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      ),
  );

/**
 * Number of runs for a property: `base` in `npm test`, scaled by FPT_PROPERTY_RUNS (e.g. 10) for a
 * deeper search before a release: `FPT_PROPERTY_RUNS=10 npx jest --selectProjects unit -- properties`.
 */
export function runs(base: number): number {
  const factor = Number(process.env.FPT_PROPERTY_RUNS ?? '1');
  return Math.max(1, Math.round(base * (Number.isFinite(factor) && factor > 0 ? factor : 1)));
}
