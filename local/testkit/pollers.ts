/**
 * Most processor pollers one local stack runs (`npm start --pollers`, the harnesses, burst, soak): more
 * would only queue on the single-process emulator.
 */
export const MAX_POLLERS = 100;

export function isValidPollerCount(count: number): boolean {
  return Number.isInteger(count) && count >= 1 && count <= MAX_POLLERS;
}
