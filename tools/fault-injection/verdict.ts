/**
 * The verdict: what the ledger says (which events ended PROCESSED, which handlers ran twice), and the
 * one set of rules a run passes or fails by.
 */
import { type DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { EVENT_STATUS } from '../../lambda/shared/ledger-schema';
import type { FaultInjectionReport } from './types';

export interface LedgerVerdict {
  readonly processed: number;
  readonly lostByStatus: Record<string, number>;
  readonly unexpectedRows: number;
  readonly parkedRows: number;
}

/** Reads the whole ledger (consistent reads) and checks every expected event's status. */
export async function readLedgerVerdict(
  documents: DynamoDBDocumentClient,
  tableName: string,
  eventIds: readonly string[],
): Promise<LedgerVerdict> {
  const statuses = new Map<string, string>();
  let parkedRows = 0;
  let unexpectedRows = 0;
  const expected = new Set(eventIds);
  for await (const page of paginateScan(
    { client: documents },
    { TableName: tableName, ConsistentRead: true },
  )) {
    for (const item of page.Items ?? []) {
      const pk = String(item.pk);
      if (pk.startsWith('parked#')) parkedRows++;
      else if (pk.startsWith('order#')) continue;
      else if (expected.has(pk)) statuses.set(pk, String(item.status));
      else unexpectedRows++;
    }
  }
  const lostByStatus: Record<string, number> = {};
  let processed = 0;
  for (const eventId of eventIds) {
    const status = statuses.get(eventId) ?? 'NO_ROW';
    if (status === EVENT_STATUS.processed) processed++;
    else lostByStatus[status] = (lostByStatus[status] ?? 0) + 1;
  }
  return { processed, lostByStatus, unexpectedRows, parkedRows };
}

export interface DoublesVerdict {
  readonly eventsSucceededOnce: number;
  /** Handler succeeded twice with no window incident: must be 0. */
  readonly unexplainedDoubles: number;
  /** Handler succeeded twice after a fault or timeout inside the documented window. */
  readonly windowDoubles: number;
}

/** Sorts every event whose handler succeeded more than once into explained and unexplained. */
export function countDoubles(
  eventIds: readonly string[],
  successes: ReadonlyMap<string, number>,
  windowHits: ReadonlySet<string>,
  leaseLost: ReadonlySet<string>,
): DoublesVerdict {
  let unexplainedDoubles = 0;
  let windowDoubles = 0;
  let eventsSucceededOnce = 0;
  for (const eventId of eventIds) {
    const count = successes.get(eventId) ?? 0;
    if (count === 1) eventsSucceededOnce++;
    if (count > 1) {
      if (windowHits.has(eventId) && !leaseLost.has(eventId)) windowDoubles++;
      else unexplainedDoubles++;
    }
  }
  return { eventsSucceededOnce, unexplainedDoubles, windowDoubles };
}

/** One rule of the verdict: a name for the report, and what broke it in a run (undefined: held). */
export interface VerdictRule {
  readonly name: string;
  readonly violation: (report: FaultInjectionReport) => string | undefined;
}

const whenPositive = (count: number, what: string) => (count > 0 ? `${count} ${what}` : undefined);

/**
 * The rules every fault-injection run is judged by: the in-suite test and `npm run reliability`
 * both call {@link judgeRun}, so they cannot drift apart. A new invariant is one more entry here
 * (and one more violating run in test/unit/fault-injection/verdict.test.ts, which requires it).
 */
export const VERDICT_RULES: readonly VerdictRule[] = [
  {
    name: 'no event lost',
    violation: (r) => {
      const detail = Object.entries(r.final.lostByStatus)
        .map(([status, count]) => `${status}: ${count}`)
        .join(', ');
      return whenPositive(r.final.lost, `events not PROCESSED${detail ? ` (${detail})` : ''}`);
    },
  },
  {
    name: 'no 2xx answer without the event queued',
    violation: (r) =>
      whenPositive(r.verifierFaulted.answered2xxUnexplained, 'faulted deliveries answered 2xx unqueued'),
  },
  {
    name: 'no message deleted before its event was PROCESSED',
    violation: (r) => whenPositive(r.processor.deletedBeforeProcessed, 'messages deleted early'),
  },
  {
    name: 'no handler success twice outside the documented window',
    violation: (r) =>
      whenPositive(r.unexplainedDoubles, 'events whose handler succeeded twice outside the window'),
  },
  {
    name: 'no double for transactional handlers',
    violation: (r) =>
      whenPositive(
        r.transactional?.doubles ?? 0,
        'transactional events whose effects were committed twice (window faults included)',
      ),
  },
  {
    name: 'no transactional event PROCESSED without its effects',
    violation: (r) =>
      whenPositive(r.transactional?.missing ?? 0, 'transactional events PROCESSED with no effect committed'),
  },
  {
    name: 'no PROCESSED write under another invocation’s lease',
    violation: (r) => whenPositive(r.leaseLost, 'PROCESSED writes found another lease'),
  },
  {
    name: 'no authentic event parked',
    violation: (r) =>
      whenPositive(
        r.final.parkedRows + r.final.unexpectedRows,
        'parked or unknown rows (every delivery was authentic)',
      ),
  },
  {
    name: 'no message left in the work queue',
    violation: (r) => whenPositive(r.final.queueDepth, 'messages left in the work queue'),
  },
  {
    name: 'no message left in the DLQ',
    violation: (r) => whenPositive(r.dlq.depthAfter, 'messages left in the DLQ'),
  },
  {
    name: 'no delivery FPT gave up on',
    violation: (r) => whenPositive(r.fpt.chainsGaveUp, 'deliveries FPT gave up on'),
  },
];

export interface Verdict {
  readonly passed: boolean;
  /** One line per broken rule: `rule: what broke it`. */
  readonly failures: readonly string[];
}

/** Judges a run by every rule; the run passes only when none is broken. */
export function judgeRun(
  report: FaultInjectionReport,
  rules: readonly VerdictRule[] = VERDICT_RULES,
): Verdict {
  const failures = rules.flatMap((rule) => {
    const violation = rule.violation(report);
    return violation === undefined ? [] : [`${rule.name}: ${violation}`];
  });
  return { passed: failures.length === 0, failures };
}
