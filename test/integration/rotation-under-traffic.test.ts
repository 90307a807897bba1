import { randomBytes } from 'node:crypto';
import { EVENT_STATUS } from '../../lambda/shared/ledger-schema';
import { runCli } from '../support/cli';
import { pointCliAt } from './support/cli-env';
import {
  deliverWithRetries,
  fptBody,
  fptSignatureHeader,
  type Harness,
  nowSeconds,
  type PostResult,
  sleep,
  startHarness,
} from './support/harness';

jest.setTimeout(120_000);

/**
 * The rotation the runbook describes, while FPT keeps sending: FPT signs with the old secret, then
 * "Rotate Key" makes it sign with a new one that the receiver does not have yet (401s, retried like FPT
 * does), then the operator stores it with `secret set`. Meanwhile deliveries made with the old secret
 * before the rotation are replayed within the grace window. Every event must end PROCESSED, once.
 */
describe('secret rotation while traffic flows', () => {
  let harness: Harness;
  let restoreEnv: () => void;

  beforeAll(async () => {
    harness = await startHarness({ name: 'rotation-traffic', countHandlerCalls: true });
    restoreEnv = pointCliAt(harness);
  });
  afterAll(async () => {
    restoreEnv?.();
    await harness?.stop();
  });

  it('loses nothing and processes every event once across Rotate Key, secret set and old-secret replays', async () => {
    // Prepare
    const oldSecret = harness.secret;
    const newSecret = `n${randomBytes(32).toString('base64url')}`;
    let fptSecret = oldSecret; // what FPT signs with; "Rotate Key" switches it at once
    const bodies: string[] = [];
    const oldSigned: string[] = [];
    // FPT re-signs every attempt with its current secret and a fresh t.
    const deliver = (body: string) =>
      deliverWithRetries(
        () =>
          harness.post(body, {
            'content-type': 'application/json',
            'x-fpt-signature': fptSignatureHeader(fptSecret, nowSeconds(), body),
          }),
        60,
      );

    // Act: four senders, 12 events each, paced over a few seconds.
    const rejectedWhileUnknown: number[] = [];
    const senders = Array.from({ length: 4 }, async (_, sender) => {
      const results: PostResult[] = [];
      for (let i = 0; i < 12; i++) {
        const body = fptBody('contact.updated', {
          data: { contactId: 9000 + sender * 100 + i, operation: 'update' },
        } as never);
        bodies.push(body);
        if (fptSecret === oldSecret) oldSigned.push(body);
        const { final, attempts } = await deliver(body);
        rejectedWhileUnknown.push(attempts.filter((a) => a.status === 401).length);
        results.push(final);
        await sleep(150);
      }
      return results;
    });
    const operator = (async () => {
      await sleep(1500);
      fptSecret = newSecret; // Rotate Key in FPT: the old secret is dead on FPT's side
      await sleep(1500); // the operator copies the secret; FPT's deliveries meanwhile get 401
      const set = await runCli(['secret', 'set', 'default', '--local'], newSecret);
      expect(set.code).toBe(0);
      // Replays of deliveries FPT had signed with the old secret, inside the grace window.
      const replays = await Promise.all(
        oldSigned.slice(0, 6).map((body) =>
          harness.post(body, {
            'content-type': 'application/json',
            'x-fpt-signature': fptSignatureHeader(oldSecret, nowSeconds(), body),
          }),
        ),
      );
      return replays.map((r) => r.status);
    })();
    const [finals, replayStatuses] = await Promise.all([Promise.all(senders), operator]);

    // Assess
    // 202, or 200 when a replay below got the event in first.
    expect(finals.flat().every((r) => r.status === 202 || r.status === 200)).toBe(true);
    expect(rejectedWhileUnknown.some((n) => n > 0)).toBe(true); // the gap really happened
    expect(oldSigned.length).toBeGreaterThan(0);
    // Accepted with the old secret inside the grace window: 200 for a known event (202 if first).
    expect(replayStatuses.every((s) => s === 200 || s === 202)).toBe(true);
    for (const body of bodies) {
      const { eventId } = JSON.parse(body) as { eventId: string };
      await harness.waitForStatus(eventId, EVENT_STATUS.processed, 30_000);
      expect(harness.calls.get(eventId)).toBe(1);
    }
    expect(await harness.queueDepth(harness.running.stack.deadLetterQueueUrl)).toBe(0);
  });
});
