import { isCatalogEventType } from '../../../lambda/shared/fpt-events';
import { buildEnvelope, envelopeBody, sampleData } from '../../../local/testkit/envelopes';
import { isValidPollerCount, MAX_POLLERS } from '../../../local/testkit/pollers';
import { fptSignatureHeader } from '../../../local/testkit/signer';
import { pollUntil, waitUntilProcessed } from '../../../local/testkit/wait';
import { fptHeader } from '../../support/independent-signer';

describe('the testkit signer', () => {
  it('signs exactly as the independent signer written from FPT documentation does', () => {
    const body = envelopeBody('contact.updated', { eventId: 'a'.repeat(32) });

    expect(fptSignatureHeader('testkit-secret-0123456789-abcdefghij', body, 1_780_000_000)).toBe(
      fptHeader('testkit-secret-0123456789-abcdefghij', 1_780_000_000, body),
    );
  });
});

describe('the testkit envelopes', () => {
  it('builds the v1 envelope in the field order FPT sends, with the documented example ids', () => {
    const body = envelopeBody('contact.sub_group_changed', {
      eventId: '9f1c7e2a8c4d4b1b9e3f5a6d7c8b9a0e',
      timestamp: new Date('2026-06-10T23:45:00.123Z'),
      contactId: 9876,
    });

    expect(body).toBe(
      '{"eventId":"9f1c7e2a8c4d4b1b9e3f5a6d7c8b9a0e","eventType":"contact.sub_group_changed",' +
        '"eventTimestamp":"2026-06-10T23:45:00.123Z","locationId":1234,"organizationId":5678,' +
        '"apiVersion":"v1","data":{"contactId":9876,"previousSubGroupId":3,"newSubGroupId":7}}',
    );
  });

  it('gives types outside the catalog the fallback data, and a fresh 32-hex eventId each time', () => {
    const first = buildEnvelope('payment.succeeded');
    const second = buildEnvelope('payment.succeeded');

    expect(isCatalogEventType('payment.succeeded')).toBe(false);
    expect(first.data).toEqual({ sample: true });
    expect(sampleData('payment.succeeded', 1, { paymentId: 1 })).toEqual({ paymentId: 1 });
    expect(first.eventId).toMatch(/^[0-9a-f]{32}$/);
    expect(second.eventId).not.toBe(first.eventId);
  });
});

describe('the testkit waits', () => {
  it('stops at the deadline and reports the last value when the condition never holds', async () => {
    let reads = 0;
    const started = Date.now();

    const result = await pollUntil(
      () => ++reads,
      () => false,
      { deadline: started + 60, intervalMs: 10 },
    );

    expect(result.done).toBe(false);
    expect(result.value).toBe(reads);
    expect(reads).toBeGreaterThan(1);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('reports every id processed as soon as the last one is', async () => {
    const processed = new Set<string>(['a']);
    setTimeout(() => processed.add('b'), 20);

    const done = await waitUntilProcessed(['a', 'b'], (id) => processed.has(id), {
      deadline: Date.now() + 2_000,
      intervalMs: 5,
    });

    expect(done).toBe(true);
  });
});

describe('the poller cap', () => {
  it('accepts 1 to MAX_POLLERS pollers and nothing else', () => {
    expect(MAX_POLLERS).toBe(100);
    expect([1, MAX_POLLERS].every(isValidPollerCount)).toBe(true);
    expect([0, MAX_POLLERS + 1, 1.5].some(isValidPollerCount)).toBe(false);
  });
});
