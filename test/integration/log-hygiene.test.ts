import { EVENT_STATUS } from '../../lambda/shared/ledger-schema';
import {
  assertNoSecretOrPayload,
  fptBody,
  fptSignatureHeader,
  nowSeconds,
  PII_SENTINEL,
  startHarness,
} from './support/harness';

jest.setTimeout(60_000);

describe('captured handler logs', () => {
  it('flag a line holding the secret, a signature value or the payload sentinel', () => {
    const secret = 'a-secret-of-at-least-thirty-two-characters';
    expect(() => assertNoSecretOrPayload([{ message: 'ok', eventId: 'abc' }], secret)).not.toThrow();
    expect(() => assertNoSecretOrPayload([{ message: `key ${secret}` }], secret)).toThrow(
      /1 handler log line/,
    );
    expect(() => assertNoSecretOrPayload([{ body: { email: PII_SENTINEL } }], secret)).toThrow();
    expect(() => assertNoSecretOrPayload([{ header: `t=1,v1=${'ab'.repeat(32)}` }], secret)).toThrow();
  });

  it('hold none of them after accepted, duplicate, rejected and failing deliveries', async () => {
    const harness = await startHarness({
      name: 'hygiene',
      countHandlerCalls: true,
      behaviour: (event) => {
        // A handler error whose message carries payload data: only its name may reach the logs.
        if (event.eventType === 'contact.deleted') throw new Error(`cannot delete ${PII_SENTINEL}`);
      },
    });
    try {
      const ok = fptBody('contact.updated');
      expect((await harness.deliver(ok)).status).toBe(202);
      expect((await harness.deliver(ok)).status).toBe(200);
      const failing = fptBody('contact.deleted');
      expect((await harness.deliver(failing)).status).toBe(202);
      const forged = fptBody('contact.created');
      const header = fptSignatureHeader('not-the-secret-but-just-as-long-0123', nowSeconds(), forged);
      const rejected = await harness.post(forged, {
        'content-type': 'application/json',
        'x-fpt-signature': header,
      });
      expect(rejected.status).toBe(401);
      await harness.waitForStatus(JSON.parse(ok).eventId, EVENT_STATUS.processed);
      await harness.waitForStatus(JSON.parse(failing).eventId, EVENT_STATUS.failed);
    } finally {
      // stop() scans every captured line and throws on a leak.
      await harness.stop();
    }
  });
});
