import { AsyncLocalStorage } from 'node:async_hooks';

/** One JSON log line a handler wrote (Powertools Logger and Metrics write JSON lines to stdout/stderr). */
export type LogRecord = Record<string, unknown>;

export interface CaptureResult<T> {
  readonly value?: T;
  readonly error?: unknown;
  /** JSON lines written during the call, parsed; other text is dropped. */
  readonly logs: readonly LogRecord[];
}

type Write = typeof process.stdout.write;

/**
 * Captures what a handler writes to stdout and stderr during one invocation, so the local terminal can
 * show one tidy line per delivery instead of Lambda's JSON logs, and render the rejection reason from them.
 *
 * Writes are attributed with AsyncLocalStorage, so concurrent invocations never mix their logs, and
 * output from anything else (the terminal view itself) passes straight through.
 */
export class LogCapture {
  private readonly storage = new AsyncLocalStorage<string[]>();
  private restoreFns: Array<() => void> = [];

  /** @param passThrough also print captured output (`--verbose`) */
  constructor(private readonly passThrough: boolean) {}

  /** Patches `process.stdout.write` and `process.stderr.write`; returns nothing, undo with `uninstall`. */
  install(): void {
    if (this.restoreFns.length > 0) return;
    for (const stream of [process.stdout, process.stderr]) {
      const original: Write = stream.write;
      const patched = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        const store = this.storage.getStore();
        if (store !== undefined) {
          store.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
          if (!this.passThrough) {
            const callback = rest.find((arg): arg is () => void => typeof arg === 'function');
            callback?.();
            return true;
          }
        }
        return (original as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
      }) as Write;
      stream.write = patched;
      this.restoreFns.push(() => {
        stream.write = original;
      });
    }
  }

  uninstall(): void {
    for (const restore of this.restoreFns) restore();
    this.restoreFns = [];
  }

  /** Runs `fn`, capturing its output. Never throws: an error is returned in the result. */
  async run<T>(fn: () => Promise<T>): Promise<CaptureResult<T>> {
    const chunks: string[] = [];
    try {
      const value = await this.storage.run(chunks, fn);
      return { value, logs: parseLogLines(chunks.join('')) };
    } catch (error) {
      return { error, logs: parseLogLines(chunks.join('')) };
    }
  }
}

/** Parses JSON lines; anything that is not a JSON object is ignored. */
export function parseLogLines(text: string): LogRecord[] {
  const records: LogRecord[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{')) continue;
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
        records.push(parsed as LogRecord);
      }
    } catch {
      // Not a JSON line: ignore.
    }
  }
  return records;
}
