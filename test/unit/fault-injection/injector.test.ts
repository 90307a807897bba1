import { FAULT_KINDS, FaultInjector } from '../../../tools/fault-injection/injector';

describe('FaultInjector coverage', () => {
  const neverByChance = () => 0.999;

  it.each([
    ['claim', FAULT_KINDS.length],
    ['commitEffects', FAULT_KINDS.length],
    ['handler', 4],
  ] as const)(
    'injects every kind at %s within 10 calls per kind, even when chance never faults',
    (step, kinds) => {
      const injector = new FaultInjector(neverByChance, 0.02, true);
      for (let call = 0; call < 10 * kinds; call++) injector.pick(step);
      expect(Object.keys(injector.counts[step] ?? {})).toHaveLength(kinds);
    },
  );

  it('stops owing faults once every kind of the step has been injected', () => {
    const injector = new FaultInjector(neverByChance, 0.02, true);
    for (let call = 0; call < 1_000; call++) injector.pick('send');
    expect(injector.total).toBe(FAULT_KINDS.length);
  });

  it('owes nothing when the fault rate is zero', () => {
    const injector = new FaultInjector(neverByChance, 0, true);
    for (let call = 0; call < 1_000; call++) injector.pick('claim');
    expect(injector.total).toBe(0);
  });
});
