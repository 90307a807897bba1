import {
  type CallSample,
  type EVENT_CALLS,
  type EventCallSamples,
  modelledCeiling,
} from '../../../bench/ceiling';

/** A pass in which every call of the event ran `ops` times in `seconds`, with `cpu` emulator seconds. */
function pass(
  seconds: Partial<Record<(typeof EVENT_CALLS)[number], number>>,
  options: { ops?: number; cpu?: number; receiveAndDelete?: CallSample } = {},
): EventCallSamples {
  const ops = options.ops ?? 100;
  const sample = (call: (typeof EVENT_CALLS)[number]): CallSample => ({
    ops,
    seconds: seconds[call] ?? 1,
    ...(options.cpu !== undefined ? { emulatorCpuSeconds: options.cpu } : {}),
  });
  return {
    claim: sample('claim'),
    enqueue: sample('enqueue'),
    lease: sample('lease'),
    guard: sample('guard'),
    finish: sample('finish'),
    ...(options.receiveAndDelete !== undefined ? { receiveAndDelete: options.receiveAndDelete } : {}),
  };
}

describe('the modelled e2e ceiling', () => {
  it('is one event per the sum of its calls’ times: five calls at 100/s each allow 20 events/s', () => {
    const model = modelledCeiling([pass({})]);
    expect(model.rates).toEqual({ claim: 100, enqueue: 100, lease: 100, guard: 100, finish: 100 });
    expect(model.eventsPerSecond).toBeCloseTo(20, 10);
  });

  it('is held down by its slowest call: a lease at 25/s leaves 12.5 events/s', () => {
    // 1 / (4 × 1/100 + 1/25) = 1 / 0.08
    expect(modelledCeiling([pass({ lease: 4 })]).eventsPerSecond).toBeCloseTo(12.5, 10);
  });

  it('takes each call over every pass together: calls added, times added', () => {
    // Before: 100 claims in 1 s; after: 100 claims in 3 s. Together 200 in 4 s = 50/s, not the mean 66.7/s.
    const model = modelledCeiling([pass({}), pass({ claim: 3 })]);
    expect(model.rates.claim).toBeCloseTo(50, 10);
    expect(model.rates.enqueue).toBeCloseTo(100, 10);
  });

  it('adds the emulator CPU per call over the calls, and leaves receives and deletes out of it', () => {
    // 0.5 s of emulator CPU per 100 calls of each kind: 5 ms a call, 25 ms an event.
    const receiveAndDelete: CallSample = { ops: 100, seconds: 2, emulatorCpuSeconds: 0.3 };
    const model = modelledCeiling([pass({}, { cpu: 0.5, receiveAndDelete })]);
    expect(model.emulatorCpuMs).toBeCloseTo(25, 10);
    expect(model.eventsPerSecond).toBeCloseTo(20, 10);
    expect(model.receiveAndDeletePerSecond).toBeCloseTo(50, 10);
    expect(model.receiveAndDeleteCpuMs).toBeCloseTo(3, 10);
  });

  it('reports no CPU figure when a pass could not read the emulator’s CPU', () => {
    const model = modelledCeiling([pass({}, { cpu: 0.5 }), pass({})]);
    expect(model.emulatorCpuMs).toBeUndefined();
    expect(model.receiveAndDeletePerSecond).toBeUndefined();
  });

  it('refuses to model a ceiling from no pass at all', () => {
    expect(() => modelledCeiling([])).toThrow('at least one pass');
  });
});
