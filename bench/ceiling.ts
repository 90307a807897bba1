/**
 * The e2e stage's modelled ceiling (bench/e2e.ts): the events per second the emulator would allow if an
 * event cost nothing but its own calls, one after another, each at the rate it reaches alone. Pure, so
 * it is unit-tested apart from the emulator (test/unit/bench/ceiling.test.ts).
 */

/** The calls one accepted event costs, each made by the product's own code (see eventCallRates). */
export const EVENT_CALLS = ['claim', 'enqueue', 'lease', 'guard', 'finish'] as const;
export type EventCall = (typeof EVENT_CALLS)[number];

/** One timed pass of one kind of call. */
export interface CallSample {
  readonly ops: number;
  readonly seconds: number;
  /** Emulator CPU over the pass, when it can be read. */
  readonly emulatorCpuSeconds?: number;
}
export type EventCallSamples = Record<EventCall, CallSample> & {
  /** Receiving the enqueued messages in batches of ten and deleting them: measured, not in the ceiling. */
  readonly receiveAndDelete?: CallSample;
};

export interface ModelledCeiling {
  /** Per call: all passes' calls over all passes' time. */
  readonly rates: Record<EventCall, number>;
  /** Events per second if an event's calls ran one after another at those rates: 1 / sum(1 / rate). */
  readonly eventsPerSecond: number;
  /** The emulator's CPU per event over those calls, in ms, when it could be read. */
  readonly emulatorCpuMs?: number;
  /** Messages received and deleted per second, and the emulator's CPU per message, when measured. */
  readonly receiveAndDeletePerSecond?: number;
  readonly receiveAndDeleteCpuMs?: number;
}

/** Samples of one kind of call over several passes, as one: their calls, time and emulator CPU added up. */
function combined(samples: readonly (CallSample | undefined)[]): CallSample | undefined {
  if (samples.length === 0 || samples.some((sample) => sample === undefined || sample.ops === 0))
    return undefined;
  const known = samples as readonly CallSample[];
  const cpu = known.map((sample) => sample.emulatorCpuSeconds);
  return {
    ops: known.reduce((sum, sample) => sum + sample.ops, 0),
    seconds: known.reduce((sum, sample) => sum + sample.seconds, 0),
    ...(cpu.every((seconds) => seconds !== undefined)
      ? { emulatorCpuSeconds: cpu.reduce((sum: number, seconds) => sum + (seconds as number), 0) }
      : {}),
  };
}

const cpuMsPerOp = (sample: CallSample) =>
  sample.emulatorCpuSeconds === undefined ? undefined : (sample.emulatorCpuSeconds * 1000) / sample.ops;

/** The ceiling from one or more passes of the event's calls (bench/e2e.ts runs one before the e2e loop and one after). */
export function modelledCeiling(passes: readonly EventCallSamples[]): ModelledCeiling {
  const calls = EVENT_CALLS.map((call) => {
    const sample = combined(passes.map((pass) => pass[call]));
    if (sample === undefined) throw new Error(`a ceiling needs at least one pass of ${call}`);
    return [call, sample] as const;
  });
  const rates = Object.fromEntries(
    calls.map(([call, sample]) => [call, sample.ops / sample.seconds]),
  ) as Record<EventCall, number>;
  const eventsPerSecond = 1 / EVENT_CALLS.reduce((sum, call) => sum + 1 / rates[call], 0);
  const cpu = calls.map(([, sample]) => cpuMsPerOp(sample));
  const receives = combined(passes.map((pass) => pass.receiveAndDelete));
  const receiveCpuMs = receives === undefined ? undefined : cpuMsPerOp(receives);
  return {
    rates,
    eventsPerSecond,
    ...(cpu.every((ms) => ms !== undefined)
      ? { emulatorCpuMs: cpu.reduce((sum: number, ms) => sum + (ms as number), 0) }
      : {}),
    ...(receives !== undefined ? { receiveAndDeletePerSecond: receives.ops / receives.seconds } : {}),
    ...(receiveCpuMs !== undefined ? { receiveAndDeleteCpuMs: receiveCpuMs } : {}),
  };
}
