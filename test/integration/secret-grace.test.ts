import { randomBytes } from 'node:crypto';
import { runCli } from '../support/cli';
import { pointCliAt } from './support/cli-env';
import {
  fptBody,
  fptSignatureHeader,
  type Harness,
  nowSeconds,
  sleep,
  startHarness,
} from './support/harness';

jest.setTimeout(60_000);

/**
 * The other side of the grace window: with previousSecretGraceHours 0 the previous secret is refused as
 * soon as the new one is current. (The 24 h default is exercised in secret-set.test.ts.)
 */
describe('verifier with no grace window for the previous secret', () => {
  let harness: Harness;
  let restoreEnv: () => void;

  beforeAll(async () => {
    harness = await startHarness({ name: 'secret-grace', config: { previousSecretGraceHours: 0 } });
    restoreEnv = pointCliAt(harness);
  });
  afterAll(async () => {
    restoreEnv?.();
    await harness?.stop();
  });

  const post = (secret: string) => {
    const body = fptBody('contact.created');
    return harness.post(body, {
      'content-type': 'application/json',
      'x-fpt-signature': fptSignatureHeader(secret, nowSeconds(), body),
    });
  };

  it('refuses the previous secret once the new one is set, and accepts the new one', async () => {
    // Prepare
    const previous = harness.secret;
    const secret = randomBytes(32).toString('base64url');
    expect((await post(previous)).status).toBe(202);

    // Act
    const set = await runCli(['secret', 'set', 'default', '--local'], secret);

    // Assess
    expect(set.code).toBe(0);
    expect((await post(secret)).status).toBe(202);
    // The emulator dates versions to the second: be sure "now" is past the new version's date.
    await sleep(1000);
    expect((await post(previous)).status).toBe(401);
  });
});
