/** Turns a fault-injection report into markdown (scripts/fault-injection.ts, the integration test, the docs). */

import { describeRecord, type RunRecord } from '../run-record';
import { FAULT_KINDS, isWindowFault, PROCESSOR_STEPS, type Step, VERIFIER_STEPS } from './injector';
import type { FaultInjectionReport } from './types';
import { judgeRun } from './verdict';

const n = (value: number) => value.toLocaleString('en-US');
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const line = (cells: readonly (string | number)[]) => `| ${cells.map(String).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The fault table: one row per step, one column per kind, `-` where a kind does not apply. */
export function faultTable(report: FaultInjectionReport): string {
  const current = [...VERIFIER_STEPS, ...PROCESSOR_STEPS] as string[];
  const recorded = Object.keys(report.faults);
  // A record from older code may name steps the code no longer has: its own steps are shown then,
  // never today's steps with zeros it could not have drawn.
  const older = recorded.some((step) => !current.includes(step));
  const steps = older
    ? [
        ...current.filter((step) => recorded.includes(step)),
        ...recorded.filter((step) => !current.includes(step)),
      ]
    : current;
  const rows = (steps as Step[]).map((step) => {
    const byKind = report.faults[step] ?? {};
    const total = Object.values(byKind).reduce((a, b) => a + b, 0);
    const where = (VERIFIER_STEPS as readonly string[]).includes(step)
      ? 'verifier'
      : (PROCESSOR_STEPS as readonly string[]).includes(step)
        ? 'processor'
        : 'earlier code';
    return [
      `${where}: ${step}`,
      ...FAULT_KINDS.map((kind) => {
        const count = byKind[kind];
        if (count === undefined) return '-';
        return isWindowFault(step, kind) ? `${count} (window)` : String(count);
      }),
      total,
    ];
  });
  return table(['step', ...FAULT_KINDS, 'total'], rows);
}

/** The headline figures and the details, as markdown. */
export function formatReport(report: FaultInjectionReport): string {
  const o = report.options;
  const outcomes = Object.entries(report.fpt.byOutcome)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([outcome, count]) => `${outcome}: ${n(count)}`)
    .join(', ');
  const lostDetail = Object.entries(report.final.lostByStatus)
    .map(([status, count]) => `${status}: ${count}`)
    .join(', ');
  return [
    table(
      ['figure', 'value'],
      [
        ['events (distinct eventIds)', n(report.events)],
        [
          'deliveries (with duplicates)',
          `${n(report.deliveries)} (${n(report.duplicateDeliveries)} duplicates, ${((100 * report.duplicateDeliveries) / report.events).toFixed(1)} % of events)`,
        ],
        ['HTTP attempts by FPT (with retries)', n(report.fpt.attempts)],
        [
          'faults injected',
          `${n(report.faultsTotal)} (${n(report.windowFaultsInjected)} inside the documented window)`,
        ],
        ['events with a persistent handler failure (until the redrive)', n(report.persistentFailureEvents)],
        ['**events lost**', `**${n(report.final.lost)}**${lostDetail ? ` (${lostDetail})` : ''}`],
        ['events PROCESSED in the ledger', `${n(report.final.processed)} / ${n(report.events)}`],
        [
          '**handlers succeeded twice (outside the documented window)**',
          `**${n(report.unexplainedDoubles)}**`,
        ],
        [
          'handlers succeeded twice inside the documented window',
          `${n(report.windowDoubles)} (of ${n(report.windowIncidents)} events with a fault or timeout in the window)`,
        ],
        [
          'events whose handler succeeded exactly once',
          `${n(report.eventsSucceededOnce)} / ${n(report.events)}`,
        ],
        ...(report.transactional === undefined
          ? []
          : [
              [
                '**transactional handlers (ctx.effects): effects committed twice**',
                `**${n(report.transactional.doubles)}** (${n(report.transactional.committedOnce)} / ${n(report.transactional.events)} committed once; ` +
                  `${n(report.transactional.handlerRanTwice)} handlers returned twice, of ${n(report.transactional.windowIncidents)} events with a fault in the window; ` +
                  `${n(report.transactional.missing)} PROCESSED without their effects)`,
              ],
            ]),
        ['PROCESSED writes that found another lease (lease too short)', n(report.leaseLost)],
        ['FPT deliveries that gave up (retries exhausted)', n(report.fpt.chainsGaveUp)],
        ['DLQ depth before redrive (max seen)', n(report.dlq.maxDepthBeforeRedrive)],
        ['DLQ messages redriven / rounds', `${n(report.dlq.redriven)} / ${report.dlq.redriveRounds}`],
        ['DLQ depth after redrive', n(report.dlq.depthAfter)],
        ['work queue depth at the end', n(report.final.queueDepth)],
        [
          'parked rows / rows for unknown eventIds',
          `${n(report.final.parkedRows)} / ${n(report.final.unexpectedRows)}`,
        ],
      ],
    ),
    '',
    '**Where the faults went.** Verifier invocations with an injected fault: ' +
      `${n(report.verifierFaulted.total)}; answered 5xx or 409 (FPT retried): ${n(report.verifierFaulted.answeredNon2xx)}; ` +
      `no answer, crash or timeout (FPT retried): ${n(report.verifierFaulted.noAnswer)}; ` +
      `answered 2xx because the event was already queued (a fault after the send, or a release fault, the protocol absorbs): ${n(report.verifierFaulted.answered2xxAbsorbed)}; ` +
      `answered 2xx without the event queued: **${n(report.verifierFaulted.answered2xxUnexplained)}**. ` +
      `Processor: ${n(report.processor.invocations)} invocations, ${n(report.processor.invocationsLost)} lost to a crash or timeout ` +
      `(whole batch received again), ${n(report.processor.recordsFailed)} of ${n(report.processor.recordsReceived)} records reported as batch item failures ` +
      `(received again, or moved to the DLQ after ${o.maxReceiveCount} receives); messages deleted before their event was PROCESSED: **${n(report.processor.deletedBeforeProcessed)}**. ` +
      `${n(report.eventsQueuedMoreThanOnce)} events were queued more than once (up to ${report.maxCopiesOfOneEvent} copies: a lost response or a crash after the send, then FPT's retry after the claim lease); ` +
      'the processing lease and the PROCESSED check ran their handler once.',
    '',
    `**FPT's view** (every attempt): ${outcomes}. Longest retry chain: ${report.fpt.maxAttemptsForOneDelivery} attempts. ` +
      `Timeouts nobody injected (slow emulator): verifier ${n(report.verifierNaturalTimeouts)}, processor ${n(report.processor.naturalTimeouts)}.`,
    '',
    faultTable(report),
    '',
    `Settings: ${n(o.events)} events, duplicate rate ${o.duplicateRate}, concurrency ${o.concurrency}, fault rate ${o.faultRate} per call, ` +
      `persistent failures ${o.persistentFailureRate}, window faults ${o.windowFaults ? 'on' : 'off'}, seed ${o.seed}, maxReceiveCount ${o.maxReceiveCount}; ` +
      `verifier deadline ${o.timing.verifierDeadlineMs} ms, claim lease ${o.timing.claimLeaseMs} ms, processor deadline ${o.timing.processorDeadlineMs} ms, ` +
      `processing lease ${o.timing.processingLeaseMs} ms, visibility timeout ${o.timing.visibilityTimeoutSeconds} s, batch size ${o.timing.batchSize}, ` +
      `${o.timing.pollers} pollers, secret TTL ${o.timing.secretTtlMs} ms, FPT backoff ${o.timing.retryBaseMs} ms doubling to ${o.timing.retryCapMs} ms, ` +
      `${o.timing.retryMaxAttempts} attempts, new deliveries held while the work queue is over ${o.maxBacklog ?? 'no limit'} messages ` +
      `(${seconds(report.backpressureMs / Math.max(1, o.concurrency))} per sender on average). Verifier containers: ${n(report.verifierContainers)}. Emulator calls: ${n(report.emulatorCalls)}. ` +
      `Duration: ${seconds(report.durationsMs.total)} (deliveries ${seconds(report.durationsMs.deliveries)}, drain ${seconds(report.durationsMs.drain)}, ` +
      `redrive ${seconds(report.durationsMs.redrive)}).`,
  ].join('\n');
}

/**
 * docs/reliability.md's fault-injection block, from the committed records of `npm run reliability`
 * (reliability/results/fault-injection-*.json): one row per run with its verdict, then the latest
 * run in full. The verdict is judged again here, so a stricter rule shows up in the doc (and fails
 * test/unit/doc-blocks.test.ts until the block is rendered again).
 */
export function renderFaultInjectionRuns(records: readonly RunRecord<FaultInjectionReport>[]): string {
  if (records.length === 0)
    return 'No committed `npm run reliability` record yet: run it without `--no-write` to produce one.';
  const rows = records.map((record) => {
    const r = record.figures;
    const verdict = judgeRun(r);
    return [
      record.date.slice(0, 16).replace('T', ' '),
      record.commit,
      n(r.events),
      String(r.options.seed),
      n(r.faultsTotal),
      n(r.final.lost),
      n(r.final.parkedRows),
      n(r.unexplainedDoubles),
      r.transactional === undefined ? '-' : n(r.transactional.doubles),
      `${n(r.windowDoubles)} / ${n(r.windowIncidents)}`,
      n(r.fpt.chainsGaveUp),
      `${n(r.final.queueDepth)} / ${n(r.dlq.depthAfter)}`,
      verdict.passed ? 'pass' : `**FAIL**: ${verdict.failures.join('; ')}`,
    ];
  });
  const latest = records.at(-1) as RunRecord<FaultInjectionReport>;
  return [
    table(
      [
        'run (UTC)',
        'commit',
        'events',
        'seed',
        'faults',
        'lost',
        'parked',
        'doubles outside the window',
        'doubles for transactional handlers',
        'window doubles / incidents',
        'FPT gave up',
        'left in queue / DLQ',
        'verdict',
      ],
      rows,
    ),
    '',
    `#### Latest run in full (${latest.date.slice(0, 16).replace('T', ' ')} UTC)`,
    '',
    `Command: \`${latest.command}\`. ${describeRecord(latest)}.`,
    '',
    formatReport(latest.figures),
  ].join('\n');
}

export const FAULT_INJECTION_BLOCKS = { 'fault-injection': renderFaultInjectionRuns } as const;
