import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { Io } from '../../cli/io';
import { main } from '../../cli/main';

/** An in-memory Io and what the CLI wrote to it. */
export interface Captured {
  readonly io: Io;
  readonly out: string[];
  readonly err: string[];
  /** Everything written and prompted, in one string. */
  readonly text: () => string;
  /** The prompts shown at a terminal. */
  readonly prompts: string[];
}

/**
 * An Io whose stdin holds `stdin`: a pipe by default, which cannot prompt (asking it to is an error, as
 * the CLI must never prompt when stdin is not a terminal), or with `tty` a terminal that "types" `stdin`
 * at each prompt. Without `stdin`, the CLI has no input at all.
 */
export function captureIo(stdin?: string, options: { tty?: boolean } = {}): Captured {
  const out: string[] = [];
  const err: string[] = [];
  const prompts: string[] = [];
  const tty = options.tty === true;
  const answer = async (prompt: string): Promise<string> => {
    if (!tty) throw new Error('not a terminal');
    prompts.push(prompt);
    return stdin ?? '';
  };
  const io: Io = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    ...(stdin !== undefined
      ? { input: { isTTY: tty, readAll: async () => stdin, readHidden: answer, readLine: answer } }
      : {}),
  };
  return { io, out, err, prompts, text: () => [...out, ...err, ...prompts].join('\n') };
}

export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs the CLI in-process; `stdin`, when given, is what a pipe would deliver. */
export async function runCli(argv: readonly string[], stdin?: string): Promise<CliResult> {
  const { io, out, err } = captureIo(stdin);
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** Runs the real `fpt-webhooks` bin as a child process, with `stdin` piped in (then closed). */
export function runBin(
  args: readonly string[],
  stdin: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'cli', 'bin.cjs'), ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}
