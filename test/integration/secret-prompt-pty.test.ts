import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { localClientConfig } from '../../local/aws';
import { cliEnvironment } from './support/cli-env';
import { type Harness, startHarness } from './support/harness';

jest.setTimeout(90_000);

const ROOT = join(__dirname, '..', '..');
const PROMPT = 'it is not shown: ';
const newSecret = () => `s${randomBytes(32).toString('base64url')}`;

interface TerminalRun {
  readonly exitCode: number;
  readonly output: string;
  readonly timedOut: boolean;
}

/**
 * Runs `fpt-webhooks secret set default --local` in a real pseudo-terminal (test/support/pty-run.py),
 * waits for the hidden prompt and sends `chunks`, each as one write, as a terminal sends a key press or a
 * paste. The keystrokes reach the driver on its stdin, never in any command line.
 */
function typeAtPrompt(env: Record<string, string>, chunks: readonly string[]): Promise<TerminalRun> {
  return new Promise((resolve, reject) => {
    const driver = spawn('python3', [join(ROOT, 'test', 'support', 'pty-run.py')], {
      cwd: ROOT,
      env: { ...process.env, ...env, NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    driver.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    driver.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    driver.on('error', reject);
    driver.on('close', (code) => {
      if (code !== 0) reject(new Error(`pty-run.py exited ${code}: ${stderr}`));
      else resolve(JSON.parse(stdout) as TerminalRun);
    });
    driver.stdin.end(
      JSON.stringify({
        command: [process.execPath, join(ROOT, 'cli', 'bin.cjs'), 'secret', 'set', 'default', '--local'],
        waitFor: PROMPT,
        chunks,
        timeoutSeconds: 60,
      }),
    );
  });
}

describe('secret set at a real terminal (pseudo-terminal)', () => {
  let harness: Harness;
  let env: Record<string, string>;
  let secrets: SecretsManagerClient;

  beforeAll(async () => {
    harness = await startHarness({ name: 'secret-prompt' });
    env = cliEnvironment(harness);
    secrets = new SecretsManagerClient(localClientConfig(harness.emulatorUrl));
  });
  afterAll(async () => {
    secrets?.destroy();
    await harness?.stop();
  });

  // The stage is named: moto answers a GetSecretValue without one from a version id it does not move.
  const current = async (): Promise<string | undefined> =>
    (
      await secrets.send(
        new GetSecretValueCommand({
          SecretId: harness.running.stack.secrets.default,
          VersionStage: 'AWSCURRENT',
        }),
      )
    ).SecretString;

  /** Nothing of the secret on the terminal: no echo, and no error quoting it. */
  const expectNotShown = (run: TerminalRun, secret: string) => {
    expect(run.output).not.toContain(secret);
    expect(run.output).not.toContain(secret.slice(0, 12));
    expect(run.output).not.toContain(secret.slice(-12));
  };

  it('stores a pasted secret, not the arrow keys pressed after it', async () => {
    const secret = newSecret();

    const run = await typeAtPrompt(env, [secret, '\u001b[D', '\u001b[D', '\u001b[C', '\u001bOA', '\r']);
    expect(run).toMatchObject({ exitCode: 0, timedOut: false });
    expect(await current()).toBe(secret);
    expectNotShown(run, secret);
  });

  it('stores what is inside a bracketed paste, not its markers or its trailing line break', async () => {
    const secret = newSecret();

    const run = await typeAtPrompt(env, [`\u001b[200~${secret}\n\u001b[201~`, '\r']);

    expect(run).toMatchObject({ exitCode: 0, timedOut: false });
    expect(await current()).toBe(secret);
    expectNotShown(run, secret);
  });

  it('ignores function, navigation, Alt and Ctrl keys, and honours Backspace', async () => {
    const secret = newSecret();

    const run = await typeAtPrompt(env, [
      secret.slice(0, 10),
      '\u001bOP', // F1
      '\u001b[H', // Home
      '\u001b[3~', // Delete
      '\u001b[1;5C', // Ctrl-Right
      '\u001bx', // Alt-x
      '\u0001', // Ctrl-A
      secret.slice(10),
      'Z',
      '\u007f', // Backspace
      '\r',
    ]);

    expect(run).toMatchObject({ exitCode: 0, timedOut: false });
    expect(await current()).toBe(secret);
    expectNotShown(run, secret);
  });

  it('refuses what is left of an escape sequence whose ESC was lost, stores nothing and does not echo it', async () => {
    const before = await current();
    const secret = newSecret();

    const run = await typeAtPrompt(env, [`${secret}[201~`, '\r']);

    expect(run).toMatchObject({ exitCode: 2, timedOut: false });
    expect(run.output).toContain('nothing was stored');
    expect(run.output).toContain('terminal key code');
    expect(await current()).toBe(before);
    expectNotShown(run, secret);
  });

  it('cancels on Ctrl-C with exit code 130 and stores nothing', async () => {
    const before = await current();
    const secret = newSecret();

    const run = await typeAtPrompt(env, [secret, '\u0003']);

    expect(run).toMatchObject({ exitCode: 130, timedOut: false });
    expect(await current()).toBe(before);
    expectNotShown(run, secret);
  });
});
