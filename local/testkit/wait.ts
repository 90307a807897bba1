export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface PollOptions {
  /** Epoch milliseconds after which polling stops. */
  readonly deadline: number;
  /** Pause between reads. @default 100 */
  readonly intervalMs?: number;
}

/**
 * Reads until `done(value)` holds or the deadline passes (one read at least); returns the last value
 * read and whether it was done. Every local wait goes through here, so none is unbounded.
 */
export async function pollUntil<T>(
  read: () => Promise<T> | T,
  done: (value: T) => boolean,
  options: PollOptions,
): Promise<{ readonly done: boolean; readonly value: T }> {
  for (;;) {
    const value = await read();
    if (done(value)) return { done: true, value };
    if (Date.now() >= options.deadline) return { done: false, value };
    await sleep(options.intervalMs ?? 100);
  }
}

/**
 * Waits until every id is processed (`isProcessed`, e.g. a set the poller's `onBatch` fills, or a
 * ledger read) or the deadline passes; true when all were.
 */
export async function waitUntilProcessed(
  ids: readonly string[],
  isProcessed: (eventId: string) => boolean,
  options: PollOptions,
): Promise<boolean> {
  const { done } = await pollUntil(
    () => ids.every(isProcessed),
    (all) => all,
    options,
  );
  return done;
}
