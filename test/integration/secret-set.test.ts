import { randomBytes } from 'node:crypto';
import { runBin, runCli } from '../support/cli';
import { cliEnvironment, pointCliAt } from './support/cli-env';
import {
  fptBody,
  fptSignatureHeader,
  type Harness,
  nowSeconds,
  sleep,
  startHarness,
} from './support/harness';

jest.setTimeout(60_000);

// A leading '-' would make the secret an option to the CLI's parser, not the positional this file tests.
const newSecret = () => `s${randomBytes(32).toString('base64url')}`;

function signedPost(harness: Harness, secret: string) {
  const body = fptBody('contact.updated');
  return harness.post(body, {
    'content-type': 'application/json',
    'x-fpt-signature': fptSignatureHeader(secret, nowSeconds(), body),
  });
}

/**
 * Posts like FPT until the verifier accepts, and returns how long that took. A verifier container picks up
 * a new secret on its next forced refresh, at most one per 10 s: up to 10 s when it refreshed just before.
 */
async function acceptedWithin(harness: Harness, secret: string, limitMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    if ((await signedPost(harness, secret)).status === 202) return Date.now() - started;
    if (Date.now() - started > limitMs) throw new Error(`not accepted within ${limitMs} ms`);
    await sleep(500);
  }
}

describe('fpt-webhooks secret set --local, and the verifier afterwards', () => {
  let harness: Harness;
  let restoreEnv: () => void;

  beforeAll(async () => {
    harness = await startHarness({ name: 'secret-set' });
    restoreEnv = pointCliAt(harness);
  });
  afterAll(async () => {
    restoreEnv?.();
    await harness?.stop();
  });

  it('makes the new secret current at once and keeps accepting the previous one within the grace window', async () => {
    // Prepare: the verifier has the old secret cached.
    const previous = harness.secret;
    expect((await signedPost(harness, previous)).status).toBe(202);
    const secret = newSecret();

    // Act: what the runbook says, with the secret on stdin.
    const result = await runCli(['secret', 'set', 'default', '--local'], `${secret}\n`);

    // Assess: the CLI says what is accepted and until when...
    expect(result.code).toBe(0);
    expect(result.out).toContain('rotating in-process');
    const match =
      /new secret is current \(set (\S+)\); previous secret accepted until (\S+) \(24 h grace\)/.exec(
        result.out,
      );
    expect(match).not.toBeNull();
    expect(Date.parse(match?.[2] as string) - Date.parse(match?.[1] as string)).toBe(24 * 3_600_000);
    expect(`${result.out}\n${result.err}`).not.toContain(secret);
    // ...and the running verifier agrees, without a restart: new accepted, previous still accepted.
    expect((await signedPost(harness, secret)).status).toBe(202);
    expect((await signedPost(harness, previous)).status).toBe(202);
    expect((await signedPost(harness, newSecret())).status).toBe(401);
  });

  it('reports the new state in secret status, as text and as JSON', async () => {
    const text = await runCli(['secret', 'status', '--local']);
    const json = await runCli(['secret', 'status', '--local', '--json']);

    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^default {2}\(fpt-webhooks\/it-secret-set-[0-9a-f]+\/default\)$/m);
    expect(text.out).toMatch(/^ {2}configured {9}yes$/m);
    expect(text.out).toMatch(/^ {2}previous secret {4}accepted until \d{4}-\d\d-\d\dT/m);
    expect(text.out).toMatch(/^ {2}rotation due {7}no$/m);
    const [state] = JSON.parse(json.out) as Record<string, unknown>[];
    expect(state).toMatchObject({
      subscription: 'default',
      configured: true,
      hasPrevious: true,
      previousAcceptedNow: true,
      maxAgeDays: 90,
      rotationDue: false,
      dueReasons: [],
    });
    expect(
      Date.parse(state?.previousAcceptedUntil as string) - Date.parse(state?.currentSetAt as string),
    ).toBe(24 * 3_600_000);
  });

  it('takes the secret from a pipe through the real bin and never prints it', async () => {
    // Prepare
    const secret = newSecret();

    // Act
    const run = await runBin(['secret', 'set', 'default', '--local'], `${secret}\n`, cliEnvironment(harness));

    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('new secret is current');
    expect(run.stdout + run.stderr).not.toContain(secret);
    // The verifier refreshed for the previous test moments ago, so it may take up to 10 s here.
    expect(await acceptedWithin(harness, secret, 15_000)).toBeLessThanOrEqual(11_000);
  });

  it('refuses a secret passed as an argument through the real bin, without printing it', async () => {
    const secret = newSecret();

    const run = await runBin(['secret', 'set', 'default', secret, '--local'], '', cliEnvironment(harness));

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('never from the command line');
    expect(run.stdout + run.stderr).not.toContain(secret);
    expect((await signedPost(harness, secret)).status).toBe(401);
  });
});
