import { createInterface, emitKeypressEvents, type Key as ReadlineKey } from 'node:readline';
import { escapeControls } from '../local/terminal-text';
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
   * Writes bytes to stdout as they are, for commands whose output is data (`events export`). Absent, such
   * a command needs `--out FILE`.
   */
  readonly writeOut?: (bytes: Uint8Array) => void;
  /**
   * Shows `line` as a status line on stderr, rewritten in place by the next call (a progress bar);
   * undefined clears it. Present only when stderr is a terminal: elsewhere commands print plain lines.
   */
  readonly status?: (line: string | undefined) => void;
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

/** A key press as emitKeypressEvents reports it; `code` is set for escape sequences. */
type Key = ReadlineKey & { readonly code?: string };

/** One character a person typed or pasted: not a control character, not part of an escape sequence. */
function isTypedText(text: string | undefined, key: Key | undefined): text is string {
  if (text === undefined || key?.ctrl === true || key?.meta === true || key?.code !== undefined) return false;
  const chars = [...text];
  if (chars.length !== 1) return false;
  const code = chars[0]?.codePointAt(0) ?? 0;
  return code >= 0x20 && !(code >= 0x7f && code <= 0x9f);
}

/**
 * Reads one line from the terminal in raw mode, so nothing typed or pasted is echoed. Key presses are
 * parsed by node:readline (emitKeypressEvents), which knows the terminal's escape sequences: arrows,
 * Home/End, function keys, Alt and Ctrl combinations, and bracketed-paste markers are keys, and are not
 * kept. Enter ends (except inside a bracketed paste, whose line breaks are part of what was copied),
 * Backspace deletes, Ctrl-U clears, Ctrl-C cancels, Ctrl-D ends.
 */
function readHiddenFromTerminal(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  emitKeypressEvents(stdin);
  return new Promise((resolve, reject) => {
    let value = '';
    let inPaste = false;
    const finish = (error?: Error) => {
      stdin.off('keypress', onKey);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onKey = (text: string | undefined, key: Key | undefined) => {
      const name = key?.name;
      if (key?.ctrl === true && name === 'c') return finish(new CancelledError());
      if (key?.ctrl === true && name === 'd') return finish();
      if (name === 'paste-start' || name === 'paste-end') {
        inPaste = name === 'paste-start';
        return;
      }
      if (name === 'return' || name === 'enter') {
        if (!inPaste) finish();
        return;
      }
      if (name === 'backspace' && key?.meta !== true) value = [...value].slice(0, -1).join('');
      else if (key?.ctrl === true && name === 'u') value = '';
      else if (isTypedText(text, key) && value.length < MAX_INPUT_BYTES) value += text;
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('keypress', onKey);
  });
}

/**
 * Why a value read for `secret set` cannot be a secret typed or pasted by a person, or undefined: a
 * control character (from a pipe, a file, or a key the terminal sent raw), or, at a terminal, what is
 * left of an escape sequence whose ESC was lost (`[D` of an arrow key, `[200~` of a paste marker). The
 * message never quotes the value.
 */
export function hiddenInputProblem(value: string, fromTerminal: boolean): string | undefined {
  // Tab and line breaks are left to the secret shape check, which names them as whitespace.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.test(value)) {
    return 'it contains a control character (an escape sequence or a key such as an arrow was captured with it)';
  }
  if (fromTerminal && /\[[0-9;]*[A-Za-z~]/.test(value)) {
    return 'it contains "[" followed by what looks like the rest of a terminal key code (an arrow key or a paste marker); if the secret really contains it, pipe it in on stdin instead of pasting it at the prompt';
  }
  return undefined;
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
  // Exact bytes into a pipe or file; on a terminal, the text with control characters escaped, as every
  // other output is (cli/terminal-text.ts), so stored data cannot drive the terminal.
  writeOut: (bytes) => {
    if (process.stdout.isTTY) {
      const text = Buffer.from(bytes).toString('utf8');
      process.stdout.write(`${text.split('\n').map(escapeControls).join('\n')}\n`);
    } else {
      process.stdout.write(bytes);
    }
  },
  input: processInput,
  // Carriage return and erase-line: only on a terminal, where the line is redrawn in place.
  ...(process.stderr.isTTY === true
    ? {
        status: (line: string | undefined) => {
          process.stderr.write(line === undefined ? '\r\x1b[2K' : `\r\x1b[2K${line}`);
        },
      }
    : {}),
};

/** Asks a yes/no question on the terminal; anything but y/yes is no. Callers check `input.isTTY` first. */
export async function confirm(io: Io, question: string): Promise<boolean> {
  const answer = await io.input?.readLine(`${question} [y/N] `);
  return answer !== undefined && /^\s*y(es)?\s*$/i.test(answer);
}
