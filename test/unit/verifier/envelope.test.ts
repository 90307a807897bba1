import fc from 'fast-check';
import { EnvelopeValidationError } from '../../../lambda/shared/errors';
import { parseEnvelope, validateEnvelope } from '../../../lambda/verifier/envelope';

const valid = {
  eventId: '9f1c7e2a8c4d4b1b9e3f5a6d7c8b9a0e',
  eventType: 'contact.sub_group_changed',
  eventTimestamp: '2026-06-10T23:45:00.123Z',
  locationId: 1234,
  organizationId: 0,
  apiVersion: 'v1',
  data: { contactId: 9876, previousSubGroupId: null, newSubGroupId: 7 },
};

function problemsOf(value: unknown): readonly string[] {
  try {
    validateEnvelope(value);
  } catch (error) {
    if (error instanceof EnvelopeValidationError) return error.problems;
    throw error;
  }
  return [];
}

describe('validateEnvelope', () => {
  it('accepts the documented example envelope', () => {
    expect(validateEnvelope(valid)).toEqual(valid);
  });

  it('accepts organizationId 0, a roadmap event type and extra top-level fields', () => {
    expect(validateEnvelope({ ...valid, eventType: 'payment.succeeded', extra: true }).eventType).toBe(
      'payment.succeeded',
    );
  });

  it('lowercases the eventId so case variants dedupe together', () => {
    expect(validateEnvelope({ ...valid, eventId: valid.eventId.toUpperCase() }).eventId).toBe(valid.eventId);
  });

  it('accepts a timestamp without milliseconds', () => {
    expect(problemsOf({ ...valid, eventTimestamp: '2026-06-10T23:45:00Z' })).toEqual([]);
  });

  it.each([
    ['eventId', { eventId: '9f1c7e2a-8c4d-4b1b-9e3f-5a6d7c8b9a0e' }],
    ['eventId', { eventId: 'g'.repeat(32) }],
    ['eventType', { eventType: 'contact' }],
    ['eventType', { eventType: 'Contact.Updated' }],
    ['eventType', { eventType: 'contact-sub-group-changed' }],
    ['eventTimestamp', { eventTimestamp: '2026-06-10 23:45:00' }],
    ['eventTimestamp', { eventTimestamp: '2026-06-10T23:45:00.123+02:00' }],
    ['eventTimestamp', { eventTimestamp: 1717023600 }],
    ['locationId', { locationId: 1.5 }],
    ['locationId', { locationId: -1 }],
    ['organizationId', { organizationId: '0' }],
    ['organizationId', { organizationId: 2 ** 60 }],
    ['apiVersion', { apiVersion: 1 }],
    ['data', { data: null }],
    ['data', { data: 'x' }],
  ])('reports a problem with %s for %j', (field, override) => {
    const problems = problemsOf({ ...valid, ...override });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(field);
  });

  it('reports every problem at once', () => {
    expect(problemsOf({ data: {} })).toHaveLength(6);
  });

  it('names fields but never echoes values in its problems', () => {
    const problems = problemsOf({ ...valid, eventType: 'secret-looking-value' });
    expect(problems.join(' ')).not.toContain('secret-looking-value');
  });
});

describe('parseEnvelope', () => {
  it('refuses a body that is not valid UTF-8 rather than decoding it with replacement characters', () => {
    const body = Buffer.concat([Buffer.from('{"eventId":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    expect(() => parseEnvelope(body)).toThrow(EnvelopeValidationError);
    expect(() => parseEnvelope(body)).toThrow(
      expect.objectContaining({ problems: ['body is not valid UTF-8'] }),
    );
  });

  it('reports invalid JSON as an envelope problem', () => {
    expect(() => parseEnvelope(Buffer.from('{'))).toThrow(EnvelopeValidationError);
  });

  it('throws only EnvelopeValidationError for arbitrary bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
          fc.json().map((j) => Buffer.from(j)),
        ),
        (body) => {
          try {
            parseEnvelope(body);
          } catch (error) {
            expect(error).toBeInstanceOf(EnvelopeValidationError);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
