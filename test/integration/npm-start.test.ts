import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findFreePort, isEmulatorHealthy, startEmulator } from '../../local/emulator';
import { fptBody, fptSignatureHeader, nowSeconds, sleep } from './support/harness';

jest.setTimeout(60_000);

const ROOT = join(__dirname, '..', '..');

/** Runs `local/start.ts` (what `npm start` runs after installing the emulator) with arguments that end it. */
function start(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), ['local/start.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('npm start: arguments', () => {
  it('documents --pollers in --help and exits 0', () => {
    const { status, stdout } = start('--help');
    expect(status).toBe(0);
    expect(stdout).toContain('--pollers N');
  });

  it.each(['0', '101', 'two', '1.5'])(
    'refuses --pollers %s with a clear message and exit code 2',
    (value) => {
      const { status, stderr } = start('--pollers', value);
      expect(status).toBe(2);
      expect(stderr).toBe(`error: --pollers must be a whole number from 1 to 100, but got "${value}"\n`);
    },
  );

  it('names an unknown option and points to --help instead of printing a stack trace', () => {
    const { status, stderr } = start('--verbos');
    expect(status).toBe(2);
    expect(stderr).toContain("Unknown option '--verbos'");
    expect(stderr).toContain('npm start -- --help');
    expect(stderr).not.toContain('    at ');
  });
});

interface Started {
  readonly output: () => string;
  readonly exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** Starts `local/start.ts` on free ports and waits (bounded) until it prints its webhook URLs. */
async function startStack(env: Record<string, string>): Promise<Started> {
  // node with tsx as a loader, not the tsx CLI: the CLI relays a signal to its child and, when the child
  // does not acknowledge it within 30 ms (a loaded machine), SIGKILLs it and exits 130, so Ctrl-C would
  // look like a crash. A terminal's Ctrl-C reaches both processes; this test signals one.
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 45_000;
  while (!output.includes('Ctrl-C stops.') && child.exitCode === null && Date.now() < deadline)
    await sleep(100);
  if (!output.includes('Ctrl-C stops.')) {
    child.kill('SIGKILL');
    throw new Error(`npm start did not come up:\n${output}`);
  }
  return {
    output: () => output,
    exited,
    stop: async () => {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** The environment of the emulator process listening on `port`, read from /proc (Linux). */
function emulatorEnviron(port: number): string[] {
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let cmdline: string[];
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // the process ended, or is not ours
    }
    if (cmdline.some((arg) => arg.endsWith('moto_server.py')) && cmdline.includes(String(port))) {
      return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    }
  }
  throw new Error(`no emulator process for port ${port} in /proc`);
}

describe('npm start: the local stack comes up, serves and stops', () => {
  const secret = 'local-start-test-secret-0123456789-abcdef';

  it('prints the webhook URL, accepts a signed event, processes one holding characters SQS refuses, keeps the secret it was given out of the output, and stops on Ctrl-C', async () => {
    const [port, emulatorPort] = [await findFreePort(), await findFreePort()];
    const stack = await startStack({
      PORT: String(port),
      FPT_EMULATOR_PORT: String(emulatorPort),
      FPT_SIGNING_SECRET: secret,
    });
    try {
      const url = `http://127.0.0.1:${port}/webhooks/default`;
      expect(stack.output()).toContain(url);
      expect(stack.output()).toContain('(from FPT_SIGNING_SECRET)');

      const body = fptBody('contact.created');
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-fpt-signature': fptSignatureHeader(secret, nowSeconds(), body),
        },
        body,
      });
      expect(response.status).toBe(202);

      // U+FFFE and U+FFFF are valid in JSON but outside SQS's character set: still processed.
      const awkward = fptBody('contact.updated').replace('"email":', '"note":"\uFFFE\uFFFF","email":');
      const { eventId } = JSON.parse(awkward) as { eventId: string };
      const awkwardResponse = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-fpt-signature': fptSignatureHeader(secret, nowSeconds(), awkward),
        },
        body: awkward,
      });
      expect(awkwardResponse.status).toBe(202);
      const processedLine = new RegExp(`${eventId.slice(0, 8)} .*→ processed`);
      const deadline = Date.now() + 20_000;
      while (!processedLine.test(stack.output()) && Date.now() < deadline) await sleep(100);
      expect(stack.output()).toMatch(processedLine);
    } finally {
      expect(await stack.stop()).toBe(0);
    }
    expect(stack.output()).not.toContain(secret);
    // It started the emulator, so it stopped it too.
    expect(await isEmulatorHealthy(`http://127.0.0.1:${emulatorPort}`)).toBe(false);
  });

  it('keeps FPT_SIGNING_SECRET and AWS credentials out of the environment of the emulator it starts', async () => {
    const [port, emulatorPort] = [await findFreePort(), await findFreePort()];
    const awsKey = 'developer-aws-secret-key-that-moto-never-needs';
    const stack = await startStack({
      PORT: String(port),
      FPT_EMULATOR_PORT: String(emulatorPort),
      FPT_SIGNING_SECRET: secret,
      AWS_SECRET_ACCESS_KEY: awsKey,
    });
    try {
      const environ = emulatorEnviron(emulatorPort);

      expect(environ).toContain(`PATH=${process.env.PATH}`);
      expect(environ.join('\n')).not.toContain(secret);
      expect(environ.join('\n')).not.toContain(awsKey);
      expect(environ.filter((entry) => entry.startsWith('FPT_'))).toEqual([]);
    } finally {
      expect(await stack.stop()).toBe(0);
    }
  });

  it('reuses an emulator that is already running and leaves it running on Ctrl-C', async () => {
    const [port, emulatorPort] = [await findFreePort(), await findFreePort()];
    const emulator = await startEmulator({ port: emulatorPort });
    try {
      const stack = await startStack({ PORT: String(port), FPT_EMULATOR_PORT: String(emulatorPort) });
      const code = await stack.stop();
      expect(stack.output()).toContain(`emulator   ${emulator.url} (moto, already running, reused)`);
      expect(code).toBe(0);
      expect(await isEmulatorHealthy(emulator.url)).toBe(true);
    } finally {
      await emulator.stop();
    }
  });
});
