import {
  FAULT_KINDS,
  type FaultInjectionReport,
  formatReport,
  judgeRun,
  runFaultInjection,
} from '../../tools/fault-injection';
import { emulatorUrlFromEnv } from './support/emulator-env';

/**
 * The scaled-down fault-injection run (the full one is `npm run reliability`, see docs/reliability.md):
 * 200 events, ~30 % delivered twice, 10 at a time, through the real verifier and processor handlers on
 * the emulator, with errors, lost responses, crashes and timeouts injected at every protocol step,
 * FPT's retries simulated and the DLQ redriven at the end. Half the events have a transactional handler
 * (its write declared on ctx.effects, committed with PROCESSED in one TransactWriteItems).
 */
jest.setTimeout(150_000);

const EVENTS = 200;

describe('local stack under injected faults', () => {
  let report: FaultInjectionReport;

  beforeAll(async () => {
    report = await runFaultInjection({
      endpoint: emulatorUrlFromEnv(),
      events: EVENTS,
      duplicateRate: 0.3,
      concurrency: 10,
      faultRate: 0.02,
      persistentFailureRate: 0.01,
      windowFaults: true,
      seed: 20_261_128,
      maxReceiveCount: 3,
      timing: {
        verifierDeadlineMs: 1500,
        claimLeaseMs: 2000,
        processorDeadlineMs: 3000,
        processingLeaseMs: 3500,
        visibilityTimeoutSeconds: 4,
        batchSize: 5,
        pollers: 4,
        secretTtlMs: 5000,
        retryBaseMs: 50,
        retryCapMs: 800,
        retryMaxAttempts: 40,
      },
      drainTimeoutMs: 90_000,
    });
    if (process.env.FPT_TEST_VERBOSE === '1') process.stdout.write(`${formatReport(report)}\n`);
  });

  it('passes the one verdict `npm run reliability` judges by: nothing lost, parked, left queued, given up or doubled outside the window', () => {
    expect(judgeRun(report).failures).toEqual([]);
    expect(report.final.processed).toBe(EVENTS);
  });

  it('runs every handler without declared effects to success once, or twice only for an event with a fault in the documented window', () => {
    const plainEvents = EVENTS - (report.transactional?.events ?? 0);
    expect(report.windowIncidents).toBeGreaterThan(0);
    expect(report.eventsSucceededOnce + report.windowDoubles).toBe(plainEvents);
  });

  it('commits the effects of every transactional handler exactly once, window faults included', () => {
    const transactional = report.transactional;
    expect(transactional?.events).toBeGreaterThan(EVENTS / 4);
    expect(transactional?.windowIncidents).toBeGreaterThan(0);
    expect(transactional?.doubles).toBe(0);
    expect(transactional?.missing).toBe(0);
    expect(transactional?.committedOnce).toBe(transactional?.events);
  });

  it('turns verifier faults into retries FPT makes: non-2xx answers and no answers, more attempts than deliveries', () => {
    expect(report.verifierFaulted.answeredNon2xx).toBeGreaterThan(0);
    expect(report.verifierFaulted.noAnswer).toBeGreaterThan(0);
    expect(report.fpt.attempts).toBeGreaterThan(report.deliveries);
    expect(report.fpt.chainsSucceeded).toBe(report.deliveries);
  });

  it('moves persistently failing events to the DLQ and processes them after the redrive', () => {
    expect(report.persistentFailureEvents).toBeGreaterThan(0);
    expect(report.dlq.maxDepthBeforeRedrive).toBeGreaterThanOrEqual(report.persistentFailureEvents);
    expect(report.dlq.redriven).toBeGreaterThanOrEqual(report.persistentFailureEvents);
  });

  it('actually injected every kind of fault at the main steps, faults at every other step, and duplicates', () => {
    expect(report.duplicateDeliveries).toBeGreaterThan(EVENTS * 0.2);
    for (const step of ['claim', 'send', 'startProcessing']) {
      expect({ step, kinds: Object.keys(report.faults[step] ?? {}).sort() }).toEqual({
        step,
        kinds: [...FAULT_KINDS].sort(),
      });
    }
    // The outcome is written by finishProcessed for plain handlers and commitEffects for transactional
    // ones, half the events each: together they took every kind.
    const outcomeKinds = new Set([
      ...Object.keys(report.faults.finishProcessed ?? {}),
      ...Object.keys(report.faults.commitEffects ?? {}),
    ]);
    expect([...outcomeKinds].sort()).toEqual([...FAULT_KINDS].sort());
    for (const step of [
      'secret',
      'handler',
      'guardOrdering',
      'finishProcessed',
      'commitEffects',
      'deleteMessages',
    ]) {
      expect({ step, faulted: report.faults[step] !== undefined }).toEqual({ step, faulted: true });
    }
    expect(report.verifierFaulted.noAnswer).toBeGreaterThan(0);
    expect(report.processor.invocationsLost).toBeGreaterThan(0);
  });
});
