import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { PACKAGE_ROOT } from '../lib/package-root';
import { emulatorUrl, LOCAL_HOST } from './aws';

/** The package root (the repository, or the installed package): it holds `.venv` and local/moto_server.py. */
export const PROJECT_ROOT = PACKAGE_ROOT;

export interface EmulatorOptions {
  /** TCP port on 127.0.0.1. */
  readonly port: number;
  /**
   * Directory holding `.venv` (created by `npm run emulator:install`).
   * @default the project root
   */
  readonly projectRoot?: string;
  /**
   * How long to wait for the emulator to answer before giving up.
   * @default 30_000
   */
  readonly startTimeoutMs?: number;
}

export interface Emulator {
  /** `http://127.0.0.1:<port>`: use as AWS_ENDPOINT_URL. */
  readonly url: string;
  readonly port: number;
  /** True when an emulator was already running on the port and is reused (and will not be stopped). */
  readonly reused: boolean;
  /** The emulator's process id, when this process started it. */
  readonly pid?: number;
  /** Stops the emulator if this process started it; a no-op for a reused one. Safe to call twice. */
  stop(): Promise<void>;
}

/** Thrown when the emulator cannot be started; the message says what to do. */
export class EmulatorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmulatorError';
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The header local/moto_server.py adds to every answer once it is closed to web pages. */
const GUARD_HEADER = 'x-fpt-emulator';

/**
 * What answers on `url`: `guarded` is this project's emulator (local/moto_server.py), `unguarded` a moto
 * without its rules (plain `moto_server`, an older checkout), `none` nothing that answers the moto API.
 */
export async function probeEmulator(
  url: string,
  timeoutMs = 1000,
): Promise<'guarded' | 'unguarded' | 'none'> {
  try {
    const response = await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    if (response.status !== 200) return 'none';
    return response.headers.get(GUARD_HEADER) === 'guarded' ? 'guarded' : 'unguarded';
  } catch {
    return 'none';
  }
}

/** True when this project's emulator answers on `url`. */
export async function isEmulatorHealthy(url: string, timeoutMs = 1000): Promise<boolean> {
  return (await probeEmulator(url, timeoutMs)) === 'guarded';
}

/**
 * The variables the emulator's process gets: what Python needs and moto's own settings. Never the rest
 * of this process's environment, which may hold FPT_SIGNING_SECRET (possibly a real one) or the
 * developer's AWS credentials: moto needs neither.
 */
export function emulatorEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const kept: Record<string, string> = { PYTHONUNBUFFERED: '1' };
  for (const [name, value] of Object.entries(env)) {
    if (
      value !== undefined &&
      /^(PATH|HOME|LANG|LC_[A-Z]+|TZ|TMPDIR|TMP|TEMP|SYSTEMROOT|MOTO_[A-Z0-9_]+)$/.test(name)
    ) {
      kept[name] = value;
    }
  }
  return kept;
}

async function isPortInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(true));
    probe.listen(port, LOCAL_HOST, () => probe.close(() => resolve(false)));
  });
}

/** Asks the OS for a free TCP port on 127.0.0.1. Another process could take it before we do; rare enough. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, LOCAL_HOST, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('could not find a free port'))));
    });
  });
}

function emulatorCommand(projectRoot: string): { command: string; args: string[] } {
  const python = path.join(projectRoot, '.venv', 'bin', 'python');
  if (existsSync(python))
    return { command: python, args: [path.join(projectRoot, 'local', 'moto_server.py')] };
  throw new EmulatorError(
    `the local AWS emulator is not installed (no ${path.join(projectRoot, '.venv')}): run npm run emulator:install`,
  );
}

/**
 * Starts moto server on 127.0.0.1:<port>, or reuses a healthy emulator already listening there.
 *
 * Waits, with a bounded poll, until it answers. If the process dies first, the error carries the tail of
 * its output.
 * @throws EmulatorError
 */
export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const url = emulatorUrl(options.port);
  const found = await probeEmulator(url);
  if (found === 'guarded') {
    return { url, port: options.port, reused: true, stop: async () => {} };
  }
  if (found === 'unguarded') {
    throw new EmulatorError(
      `a moto server without this project's rules answers on ${url} (it is open to any web page): stop it, or set FPT_EMULATOR_PORT to a free port`,
    );
  }
  if (await isPortInUse(options.port)) {
    throw new EmulatorError(
      `port ${options.port} on ${LOCAL_HOST} is in use by something that is not the AWS emulator: stop it or set FPT_EMULATOR_PORT to a free port`,
    );
  }

  const { command, args } = emulatorCommand(options.projectRoot ?? PROJECT_ROOT);
  const child = spawn(command, [...args, '-H', LOCAL_HOST, '-p', String(options.port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: emulatorEnvironment(),
  });
  let output = '';
  const keepTail = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keepTail);
  child.stderr?.on('data', keepTail);
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', (error) => {
      output += `\n${error.message}`;
      exited = true;
      resolve();
    });
  });
  // If this process exits without stopping the emulator (an uncaught error), do not leave an orphan.
  const killOnExit = () => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (exited) return;
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      exitedPromise.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), 5000);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut && !exited) {
      child.kill('SIGKILL');
      await exitedPromise;
    }
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (exited) {
      process.removeListener('exit', killOnExit);
      throw new EmulatorError(
        `the AWS emulator exited before it was ready (${command}); its output:\n${output.trim() || '(none)'}`,
      );
    }
    if (await isEmulatorHealthy(url, 500)) {
      return {
        url,
        port: options.port,
        reused: false,
        ...(child.pid !== undefined ? { pid: child.pid } : {}),
        stop,
      };
    }
    await sleep(100);
  }
  await stop();
  throw new EmulatorError(
    `the AWS emulator did not answer on ${url} within ${Math.round((options.startTimeoutMs ?? 30_000) / 1000)} s; its output:\n${output.trim() || '(none)'}`,
  );
}
