import type { FaultInjectionReport } from '../../../tools/fault-injection';
import { judgeRun, VERDICT_RULES } from '../../../tools/fault-injection/verdict';

/** A run that keeps every invariant: the shape of a real report, with the figures a clean run has. */
function cleanRun(): FaultInjectionReport {
  return {
    options: {
      events: 10,
      duplicateRate: 0.3,
      concurrency: 2,
      faultRate: 0.02,
      persistentFailureRate: 0.01,
      windowFaults: true,
      seed: 1,
      maxReceiveCount: 3,
      drainTimeoutMs: 1000,
      timing: {
        verifierDeadlineMs: 1500,
        claimLeaseMs: 2000,
        processorDeadlineMs: 3000,
        processingLeaseMs: 3500,
        visibilityTimeoutSeconds: 4,
        batchSize: 5,
        pollers: 1,
        secretTtlMs: 5000,
        retryBaseMs: 50,
        retryCapMs: 800,
        retryMaxAttempts: 40,
      },
    },
    events: 10,
    deliveries: 13,
    duplicateDeliveries: 3,
    persistentFailureEvents: 1,
    faults: { claim: { error: 2 } },
    faultsTotal: 2,
    windowFaultsInjected: 1,
    fpt: {
      attempts: 15,
      byOutcome: { '202': 13, '500': 2 },
      chainsSucceeded: 13,
      chainsGaveUp: 0,
      maxAttemptsForOneDelivery: 3,
    },
    verifierFaulted: {
      total: 2,
      answeredNon2xx: 2,
      noAnswer: 0,
      answered2xxAbsorbed: 0,
      answered2xxUnexplained: 0,
    },
    verifierNaturalTimeouts: 0,
    verifierContainers: 2,
    processor: {
      invocations: 4,
      invocationsLost: 0,
      recordsReceived: 12,
      recordsFailed: 1,
      deletedBeforeProcessed: 0,
      naturalTimeouts: 0,
    },
    eventsQueuedMoreThanOnce: 0,
    maxCopiesOfOneEvent: 1,
    handlerSuccesses: 11,
    eventsSucceededOnce: 9,
    unexplainedDoubles: 0,
    windowDoubles: 1,
    windowIncidents: 1,
    transactional: {
      events: 4,
      committedOnce: 4,
      doubles: 0,
      missing: 0,
      handlerRanTwice: 1,
      windowIncidents: 1,
    },
    leaseLost: 0,
    dlq: { maxDepthBeforeRedrive: 1, redriveRounds: 1, redriven: 1, depthAfter: 0 },
    final: { processed: 10, lost: 0, lostByStatus: {}, unexpectedRows: 0, parkedRows: 0, queueDepth: 0 },
    emulatorCalls: 100,
    backpressureMs: 0,
    durationsMs: { deliveries: 1, drain: 1, redrive: 1, total: 3 },
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };

function transactionalOf(run: Mutable<FaultInjectionReport>) {
  if (run.transactional === undefined) throw new Error('the clean run has transactional handlers');
  return run.transactional;
}

/** For each rule, a run that breaks it and nothing else. */
const VIOLATIONS: Record<string, (run: Mutable<FaultInjectionReport>) => void> = {
  'no event lost': (run) => {
    run.final.lost = 1;
    run.final.processed = 9;
    run.final.lostByStatus = { ENQUEUED: 1 };
  },
  'no 2xx answer without the event queued': (run) => {
    run.verifierFaulted.answered2xxUnexplained = 1;
  },
  'no message deleted before its event was PROCESSED': (run) => {
    run.processor.deletedBeforeProcessed = 1;
  },
  'no handler success twice outside the documented window': (run) => {
    run.unexplainedDoubles = 1;
  },
  'no double for transactional handlers': (run) => {
    run.transactional = { ...transactionalOf(run), doubles: 1, committedOnce: 3 };
  },
  'no transactional event PROCESSED without its effects': (run) => {
    run.transactional = { ...transactionalOf(run), missing: 1, committedOnce: 3 };
  },
  'no PROCESSED write under another invocation’s lease': (run) => {
    run.leaseLost = 1;
  },
  'no authentic event parked': (run) => {
    run.final.parkedRows = 1;
  },
  'no message left in the work queue': (run) => {
    run.final.queueDepth = 2;
  },
  'no message left in the DLQ': (run) => {
    run.dlq.depthAfter = 1;
  },
  'no delivery FPT gave up on': (run) => {
    run.fpt.chainsGaveUp = 1;
  },
};

describe('judgeRun', () => {
  it('passes a run that keeps every invariant, window doubles included', () => {
    expect(judgeRun(cleanRun())).toEqual({ passed: true, failures: [] });
  });

  it('has a violating run in this test for every rule it judges by', () => {
    expect(Object.keys(VIOLATIONS).sort()).toEqual(VERDICT_RULES.map((rule) => rule.name).sort());
  });

  it.each(Object.entries(VIOLATIONS))(
    'fails a run that breaks "%s", and names only that rule',
    (name, violate) => {
      const run = cleanRun() as Mutable<FaultInjectionReport>;
      violate(run);
      const verdict = judgeRun(run as FaultInjectionReport);
      expect(verdict.passed).toBe(false);
      expect(verdict.failures).toHaveLength(1);
      expect(verdict.failures[0]).toMatch(new RegExp(`^${name}: \\d+ `));
    },
  );

  it('names the ledger statuses of lost events', () => {
    const run = cleanRun() as Mutable<FaultInjectionReport>;
    VIOLATIONS['no event lost']?.(run);
    expect(judgeRun(run as FaultInjectionReport).failures).toEqual([
      'no event lost: 1 events not PROCESSED (ENQUEUED: 1)',
    ]);
  });

  it('counts an unknown ledger row as a parked authentic event: every delivery in a run is signed', () => {
    const run = cleanRun() as Mutable<FaultInjectionReport>;
    run.final.unexpectedRows = 1;
    expect(judgeRun(run as FaultInjectionReport).failures).toEqual([
      'no authentic event parked: 1 parked or unknown rows (every delivery was authentic)',
    ]);
  });

  it('passes a run recorded before transactional handlers existed, which has no transactional figures', () => {
    const { transactional: _none, ...older } = cleanRun();
    expect(judgeRun(older as FaultInjectionReport)).toEqual({ passed: true, failures: [] });
  });

  it('fails a run in which a transactional handler ran twice in the window and both runs committed', () => {
    const run = cleanRun() as Mutable<FaultInjectionReport>;
    run.transactional = { ...transactionalOf(run), handlerRanTwice: 1, doubles: 1 };
    expect(judgeRun(run as FaultInjectionReport).failures).toEqual([
      'no double for transactional handlers: 1 transactional events whose effects were committed twice (window faults included)',
    ]);
  });

  it('reports every broken rule of a run that breaks several', () => {
    const run = cleanRun() as Mutable<FaultInjectionReport>;
    for (const violate of Object.values(VIOLATIONS)) violate(run);
    expect(judgeRun(run as FaultInjectionReport).failures).toHaveLength(VERDICT_RULES.length);
  });
});
