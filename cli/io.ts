import { createInterface } from 'node:readline';
import { CliError } from './errors';

/** Where a command reads from: the terminal or a pipe. Tests pass their own. */
export interface Input {
  /** True when stdin is a terminal (a person can answer prompts), false for a pipe or a file. */
  readonly isTTY: boolean;
  /** Reads everything until end of input (a pipe or a file). */
  readAll(): Promise<string>;
  /** Prompts on stderr and reads one line without echoing it (terminal only). */
  readHidden(prompt: string): Promise<string>;
  /** Prompts on stderr and reads one line (terminal only). */
  readLine(prompt: string): Promise<string>;
}

/** Where a command writes: one line per call. Tests pass their own to capture output. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  /**
   * What commands that take input (`secret set`, confirmations) read from.
   * @default - no input: those commands fail, or need `--yes`
   */
  readonly input?: Input;
}

/** Input larger than this is not a signing secret (FPT's have 32 or more characters, not kilobytes). */
const MAX_INPUT_BYTES = 64 * 1024;

/** Ctrl-C at a prompt. Exit code 130, as a shell reports a command ended by SIGINT. */
export class CancelledError extends CliError {
  override readonly exitCode = 130;
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer);
    size += buffer.length;
    if (size > MAX_INPUT_BYTES) {
      throw new CliError(`the input on stdin is over ${MAX_INPUT_BYTES} bytes; pipe only the value`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Reads one line from the terminal in raw mode, so nothing typed or pasted is echoed. Handles Enter,
 * Backspace, Ctrl-C (cancel) and Ctrl-D (end).
 */
function readHiddenFromTerminal(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const char of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish();
        if (char === '\u0003') return finish(new CancelledError());
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else if (char >= ' ') value += char;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

function readLineFromTerminal(prompt: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  return new Promise((resolve, reject) => {
    rl.on('SIGINT', () => {
      rl.close();
      process.stderr.write('\n');
      reject(new CancelledError());
    });
    rl.question(prompt, (answer) => {
      rl.close();
      resolve(answer);
    });
  });
}

export const processInput: Input = {
  get isTTY() {
    return process.stdin.isTTY === true;
  },
  readAll: readAllStdin,
  readHidden: readHiddenFromTerminal,
  readLine: readLineFromTerminal,
};

export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  input: processInput,
};

/** Asks a yes/no question on the terminal; anything but y/yes is no. Callers check `input.isTTY` first. */
export async function confirm(io: Io, question: string): Promise<boolean> {
  const answer = await io.input?.readLine(`${question} [y/N] `);
  return answer !== undefined && /^\s*y(es)?\s*$/i.test(answer);
}
