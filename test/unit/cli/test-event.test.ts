import { buildTestEvent, CATALOG_EVENT_TYPES } from '../../../cli/test-event';
import { catalogDataProblems } from '../../../lambda/processor/parse-record';
import { isTestEvent, TEST_EVENT_MARKER } from '../../../lambda/shared/test-event-marker';
import { validateEnvelope } from '../../../lambda/verifier/envelope';

describe('buildTestEvent', () => {
  it.each(CATALOG_EVENT_TYPES)('marks a %s test event inside the body that gets signed', (eventType) => {
    const body = JSON.stringify(buildTestEvent(eventType));

    const parsed = JSON.parse(body) as Record<string, unknown>;
    expect(parsed[TEST_EVENT_MARKER]).toBe(true);
    expect(isTestEvent(parsed)).toBe(true);
  });

  it.each(CATALOG_EVENT_TYPES)(
    'builds a %s envelope the verifier and processor accept as is',
    (eventType) => {
      const envelope = validateEnvelope(JSON.parse(JSON.stringify(buildTestEvent(eventType))));

      expect(catalogDataProblems(eventType, envelope.data)).toEqual([]);
    },
  );

  it('marks events of a type outside the catalog too', () => {
    expect(isTestEvent({ ...buildTestEvent('payment.succeeded') })).toBe(true);
  });
});

describe('the test-event marker', () => {
  it('cannot be one of FPT camelCase field names', () => {
    expect(TEST_EVENT_MARKER).not.toMatch(/^[a-z][A-Za-z0-9]*$/);
  });

  it('counts only the JSON value true', () => {
    expect(isTestEvent({ [TEST_EVENT_MARKER]: true })).toBe(true);
    for (const value of ['true', 1, {}, null, false]) {
      expect(isTestEvent({ [TEST_EVENT_MARKER]: value })).toBe(false);
    }
    expect(isTestEvent({ test: true, isTest: true })).toBe(false);
  });
});
