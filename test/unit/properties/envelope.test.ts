import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { EnvelopeValidationError } from '../../../lambda/shared/errors';
import { parseEnvelope, validateEnvelope } from '../../../lambda/verifier/envelope';
import { ENVELOPE_FIELDS, eventIdHex, runs, serialisation, validEnvelope } from './arbitraries';

/**
 * Properties of the envelope validator, beyond the examples in test/unit/verifier/envelope.test.ts:
 * every valid envelope passes unchanged but for the eventId's case, in any serialisation; any single
 * defect is reported once and by field name only; arbitrary values never crash it; duplicate keys,
 * prototype keys and numbers JavaScript cannot hold are handled; and the timestamp fast path agrees
 * with Date.parse.
 */

function problemsOf(value: unknown): readonly string[] {
  try {
    validateEnvelope(value);
  } catch (error) {
    if (error instanceof EnvelopeValidationError) return error.problems;
    throw error;
  }
  return [];
}

/** Values each field must refuse. `undefined` stands for "field absent". */
const INVALID: Record<string, fc.Arbitrary<unknown>> = {
  eventId: fc.oneof(
    eventIdHex().map((id) => id.slice(1)),
    eventIdHex().map((id) => `${id}0`),
    eventIdHex().map(
      (id) =>
        `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 31)}`,
    ),
    fc
      .tuple(eventIdHex(), fc.nat({ max: 31 }), fc.constantFrom('g', 'G', ' ', '\u0660', '\uff10', '\u00e9'))
      .map(([id, i, c]) => `${id.slice(0, i)}${c}${id.slice(i + 1)}`),
    eventIdHex().map((id) => `${id}\n`),
    eventIdHex().map((id) => ` ${id}`),
    fc.constantFrom(undefined, null, 0, 123, true, [], {}),
  ),
  eventType: fc.oneof(
    fc.constantFrom(
      'contact',
      'Contact.Updated',
      'contact.Updated',
      'contact-updated',
      'contact..updated',
      'contact.updated.now',
      '.updated',
      'contact.',
      '1contact.updated',
      'contact.1updated',
      'contact.updated\n',
      ' contact.updated',
      'contact.créé',
      'contact.updatеd', // Cyrillic "е"
      '',
    ),
    fc.constantFrom(undefined, null, 1, ['contact.updated'], { type: 'contact.updated' }),
  ),
  eventTimestamp: fc.oneof(
    fc.constantFrom(
      '2026-06-10T23:45:00.123+00:00',
      '2026-06-10T23:45:00.123+02:00',
      '2026-06-10T23:45:00.123z',
      '2026-06-10 23:45:00.123Z',
      '2026-06-10T23:45Z',
      '2026-06-10T23:45:00.1234567890Z',
      '2026-06-10T23:45:00.Z',
      '2026-06-10',
      '2026-13-10T23:45:00Z',
      '2026-06-32T23:45:00Z',
      '2026-00-10T23:45:00Z',
      '2026-06-10T25:45:00Z',
      '2026-06-10T23:60:00Z',
      '2026-06-10T24:00:01Z',
      '+2026-06-10T23:45:00Z',
      '20260610T234500Z',
      '2026-06-10T23:45:00.123Z\n',
      'Wed, 10 Jun 2026 23:45:00 GMT',
      '',
    ),
    fc.constantFrom(undefined, null, 1781135100123, true, {}),
  ),
  locationId: fc.oneof(
    fc.constantFrom(-1, -0.5, 1.5, 2 ** 53, Number.MAX_VALUE, Number.POSITIVE_INFINITY, Number.NaN),
    fc.integer({ max: -1 }),
    fc.double({ min: 0, max: 1e6, noInteger: true, noNaN: true }),
    fc.constantFrom(undefined, null, '1234', true, [1234], { id: 1 }),
  ),
  organizationId: fc.oneof(
    fc.constantFrom(-1, 0.5, 2 ** 60, Number.NEGATIVE_INFINITY),
    fc.integer({ max: -1 }),
    fc.constantFrom(undefined, null, '0', false),
  ),
  apiVersion: fc.constantFrom(undefined, null, '', 1, ['v1'], { v: 1 }, true),
  data: fc.constantFrom(undefined, null, [], [1, 2], 'x', 0, true),
};

describe('validateEnvelope (properties)', () => {
  it('accepts every valid envelope and returns it unchanged but for a lowercased eventId', () => {
    fc.assert(
      fc.property(validEnvelope(), (envelope) => {
        const result = validateEnvelope(envelope);
        expect(result).toEqual({ ...envelope, eventId: envelope.eventId.toLowerCase() });
        expect(result.eventId).toMatch(/^[0-9a-f]{32}$/);
      }),
      { numRuns: runs(1000) },
    );
  });

  it('gives the same result whatever the whitespace, indentation, line endings or \\u escapes of the JSON', () => {
    fc.assert(
      fc.property(validEnvelope(), serialisation(), (envelope, serialise) => {
        // Compared with the JSON round trip of the value, which is what any serialisation can carry (-0 is 0).
        const roundTrip = JSON.parse(JSON.stringify(envelope)) as unknown;
        expect(parseEnvelope(Buffer.from(serialise(envelope)))).toEqual(validateEnvelope(roundTrip));
      }),
      { numRuns: runs(500) },
    );
  });

  it('reports exactly one problem, naming the field, when exactly one field is wrong or missing', () => {
    const oneBadField = fc
      .constantFrom(...ENVELOPE_FIELDS)
      .chain((field) => fc.tuple(fc.constant(field), INVALID[field] as fc.Arbitrary<unknown>));
    fc.assert(
      fc.property(validEnvelope(), oneBadField, (envelope, [field, bad]) => {
        const broken: Record<string, unknown> = { ...envelope };
        if (bad === undefined) delete broken[field];
        else broken[field] = bad;
        const problems = problemsOf(broken);
        expect(problems).toHaveLength(1);
        expect(problems[0]).toContain(field);
      }),
      { numRuns: runs(1500) },
    );
  });

  it('never echoes a value in its problems, only field names', () => {
    const SENTINEL = 'zq-sentinel-7f3a';
    const tainted = fc.oneof(
      fc.string({ maxLength: 10 }).map((s) => `${SENTINEL}${s}`),
      fc.string({ maxLength: 10 }).map((s) => ({ [SENTINEL]: s })),
      fc.constant([SENTINEL]),
    );
    fc.assert(
      fc.property(
        validEnvelope(),
        fc.subarray([...ENVELOPE_FIELDS], { minLength: 1 }),
        tainted,
        (envelope, fields, value) => {
          const broken: Record<string, unknown> = { ...envelope };
          for (const field of fields) broken[field] = value;
          for (const problem of problemsOf(broken)) expect(problem).not.toContain(SENTINEL);
        },
      ),
      { numRuns: runs(500) },
    );
  });

  it('either returns an envelope that meets every rule or throws EnvelopeValidationError, for any value', () => {
    const nearlyValid = fc
      .tuple(
        validEnvelope(),
        fc.dictionary(fc.constantFrom(...ENVELOPE_FIELDS), fc.anything(), { maxKeys: 3 }),
      )
      .map(([envelope, overrides]) => ({ ...envelope, ...overrides }));
    fc.assert(
      fc.property(fc.oneof(fc.anything(), nearlyValid), (value) => {
        let result: ReturnType<typeof validateEnvelope>;
        try {
          result = validateEnvelope(value);
        } catch (error) {
          expect(error).toBeInstanceOf(EnvelopeValidationError);
          expect((error as EnvelopeValidationError).problems.length).toBeGreaterThan(0);
          return;
        }
        expect(result.eventId).toMatch(/^[0-9a-f]{32}$/);
        expect(result.eventType).toMatch(/^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/);
        expect(Number.isNaN(Date.parse(result.eventTimestamp))).toBe(false);
        expect(result.eventTimestamp.endsWith('Z')).toBe(true);
        expect(Number.isSafeInteger(result.locationId) && result.locationId >= 0).toBe(true);
        expect(Number.isSafeInteger(result.organizationId) && result.organizationId >= 0).toBe(true);
        expect(typeof result.apiVersion === 'string' && result.apiVersion.length > 0).toBe(true);
        expect(typeof result.data === 'object' && result.data !== null && !Array.isArray(result.data)).toBe(
          true,
        );
      }),
      { numRuns: runs(2000) },
    );
  });

  it('decides a timestamp of the right shape exactly as Date.parse does (the fast path is only a shortcut)', () => {
    const twoDigits = fc.integer({ min: 0, max: 99 }).map((n) => String(n).padStart(2, '0'));
    const shaped = fc
      .record({
        year: fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, '0')),
        month: twoDigits,
        day: twoDigits,
        hour: twoDigits,
        minute: twoDigits,
        second: twoDigits,
        fraction: fc.option(fc.stringMatching(/^\d{1,9}$/), { nil: undefined }),
      })
      .map(
        (p) =>
          `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}${p.fraction === undefined ? '' : `.${p.fraction}`}Z`,
      );
    // Half of the cases in the ranges where real dates live, so both answers are well covered.
    const plausible = fc
      .record({
        month: fc.integer({ min: 1, max: 12 }),
        day: fc.integer({ min: 1, max: 31 }),
        hour: fc.integer({ min: 0, max: 24 }),
        minute: fc.integer({ min: 0, max: 60 }),
        second: fc.integer({ min: 0, max: 60 }),
        fraction: fc.constantFrom('', '.1', '.123', '.123456789'),
      })
      .map((p) => {
        const two = (n: number) => String(n).padStart(2, '0');
        return `2026-${two(p.month)}-${two(p.day)}T${two(p.hour)}:${two(p.minute)}:${two(p.second)}${p.fraction}Z`;
      });
    fc.assert(
      fc.property(validEnvelope(), fc.oneof(shaped, plausible), (envelope, timestamp) => {
        const accepted = problemsOf({ ...envelope, eventTimestamp: timestamp }).length === 0;
        expect(accepted).toBe(!Number.isNaN(Date.parse(timestamp)));
      }),
      { numRuns: runs(3000) },
    );
  });
});

describe('parseEnvelope (properties)', () => {
  const rest = (id: string) =>
    `"eventType":"contact.updated","eventTimestamp":"2026-06-10T23:45:00.123Z","locationId":1,` +
    `"organizationId":0,"apiVersion":"v1","data":{"contactId":9876,"operation":"update"},"eventId":"${id}"`;

  it('keeps the last of duplicate keys, as JSON.parse does everywhere downstream (the processor too)', () => {
    fc.assert(
      fc.property(fc.array(fc.mixedCase(eventIdHex()), { minLength: 2, maxLength: 4 }), (ids) => {
        const body = `{${ids
          .slice(0, -1)
          .map((id) => `"eventId":"${id}",`)
          .join('')}${rest(ids.at(-1) as string)}}`;
        const envelope = parseEnvelope(Buffer.from(body));
        expect(envelope.eventId).toBe((ids.at(-1) as string).toLowerCase());
        expect((JSON.parse(body) as { eventId: string }).eventId.toLowerCase()).toBe(envelope.eventId);
      }),
      { numRuns: runs(300) },
    );
  });

  it('treats __proto__ and constructor keys as plain data and never touches Object.prototype', () => {
    fc.assert(
      fc.property(eventIdHex(), fc.jsonValue({ maxDepth: 2 }), (id, value) => {
        const json = JSON.stringify(value);
        const body = `{"__proto__":{"polluted":${json}},"constructor":{"prototype":{"polluted":1}},${rest(id)}}`;
        const envelope = parseEnvelope(Buffer.from(body)) as unknown as Record<string, unknown>;
        expect(envelope.eventId).toBe(id);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(Object.getPrototypeOf(envelope)).toBe(Object.prototype);
      }),
      { numRuns: runs(200) },
    );
  });

  it('refuses ids that JSON can write but JavaScript cannot hold exactly, and accepts -0 and 1.0 as 0 and 1', () => {
    const unsafe = fc.oneof(
      fc.bigInt({ min: 2n ** 53n, max: 10n ** 40n }).map(String),
      fc.constantFrom('1e400', '-1e400', '1e16', '-1'),
      fc.bigInt({ min: 1n, max: 10n ** 20n }).map((n) => `-${n}`),
    );
    fc.assert(
      fc.property(
        eventIdHex(),
        unsafe,
        fc.constantFrom('locationId', 'organizationId'),
        (id, literal, field) => {
          const body = rest(id).replace(
            `"${field}":${field === 'locationId' ? 1 : 0}`,
            `"${field}":${literal}`,
          );
          const problems = (() => {
            try {
              parseEnvelope(Buffer.from(`{${body}}`));
              return [];
            } catch (error) {
              return (error as EnvelopeValidationError).problems;
            }
          })();
          expect(problems).toEqual([`${field} must be an integer >= 0`]);
        },
      ),
      { numRuns: runs(300) },
    );
    for (const literal of ['-0', '1.0', '0e0', '1E0']) {
      expect(() =>
        parseEnvelope(
          Buffer.from(
            `{${rest('9f1c7e2a8c4d4b1b9e3f5a6d7c8b9a0e').replace('"locationId":1', `"locationId":${literal}`)}}`,
          ),
        ),
      ).not.toThrow();
    }
  });

  /** The problems parseEnvelope reports for some bytes; fails the test when it returns normally. */
  const refusal = (bytes: Buffer): readonly string[] => {
    try {
      parseEnvelope(bytes);
    } catch (error) {
      expect(error).toBeInstanceOf(EnvelopeValidationError);
      return (error as EnvelopeValidationError).problems;
    }
    throw new Error(`parseEnvelope accepted ${bytes.toString('hex').slice(0, 80)}`);
  };

  it('refuses bytes that are not valid UTF-8 as such, before any decoding', () => {
    const notUtf8 = fc
      .uint8Array({ minLength: 1, maxLength: 300 })
      .map((b) => Buffer.from(b))
      .filter((b) => !isUtf8(b));
    const envelopeWithBadByte = fc
      .tuple(validEnvelope(), fc.constantFrom(0x80, 0xc0, 0xf5, 0xff))
      .map(([e, byte]) => {
        const json = Buffer.from(JSON.stringify(e));
        return Buffer.concat([json.subarray(0, -1), Buffer.from([byte]), json.subarray(-1)]);
      });
    fc.assert(
      fc.property(fc.oneof(notUtf8, envelopeWithBadByte), (bytes) => {
        expect(refusal(bytes)).toEqual(['body is not valid UTF-8']);
      }),
      { numRuns: runs(1000) },
    );
  });

  it('refuses a valid envelope behind a UTF-8 BOM, in UTF-16 or cut short, naming the defect of the body', () => {
    fc.assert(
      fc.property(validEnvelope(), fc.constantFrom('bom', 'utf16le', 'truncated'), (envelope, defect) => {
        const json = JSON.stringify(envelope);
        const bytes =
          defect === 'bom'
            ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)])
            : defect === 'utf16le'
              ? Buffer.from(json, 'utf16le')
              : Buffer.from(json).subarray(0, -1);
        // The same envelope without the defect is accepted: only the defect is refused.
        expect(parseEnvelope(Buffer.from(json)).eventId).toBe(envelope.eventId.toLowerCase());
        // UTF-16 of non-ASCII text is usually not valid UTF-8 either; either way it is one body problem.
        const expected =
          defect === 'utf16le' && !isUtf8(bytes) ? 'body is not valid UTF-8' : 'body is not valid JSON';
        expect(refusal(bytes)).toEqual([expected]);
      }),
      { numRuns: runs(600) },
    );
  });

  it('answers arbitrary bytes with an envelope problem, never with another error', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
        (bytes) => {
          expect(refusal(bytes).length).toBeGreaterThan(0);
        },
      ),
      { numRuns: runs(1000) },
    );
  });
});
