import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import { EVENT_STATUS, PARKED_STATUS } from '../../lambda/shared/ledger-schema';
import { CliError, UsageError } from '../errors';
import type { Io } from '../io';
import { displayStatus, rowToJson } from '../ledger';
import { resolveTarget, TARGET_HELP, TARGET_OPTIONS, type Target, targetOptionsFrom } from '../target';
import { escapeControls } from '../terminal-text';
import { parseCommandArgs } from './parse';

const STATUSES = [...Object.values(EVENT_STATUS), PARKED_STATUS] as const;

export const EVENTS_LIST_HELP = `Usage: fpt-webhooks events list (--local | --stack NAME) [--status STATUS] [--limit N] [--json]

Lists the most recent events in the ledger, newest first (by receivedAt). It scans the table, which
is fine for an operator tool but reads every row: on a large table it takes a while and shows progress.

Options:
  --status STATUS   only events in this status: ${STATUSES.map(displayStatus).join(', ')}
                    (${displayStatus(PARKED_STATUS)} lists parked deliveries: authentic bodies with an invalid envelope)
  --limit N         how many to show, 1 to 1000 (default 20)
  --json            print a JSON array (the key pk is shown as eventId)
  --help            show this help

${TARGET_HELP}`;

const OPTIONS = {
  ...TARGET_OPTIONS,
  status: { type: 'string' },
  limit: { type: 'string', default: '20' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

/** What is read of each row: never `rawBody` (a parked body may hold personal data) or lease tokens. */
const PROJECTION = [
  'pk',
  'status',
  'subscription',
  'eventType',
  'eventTimestamp',
  'locationId',
  'receivedAt',
  'processedAt',
  'attempts',
  'lastError',
  'problems',
  'reason',
] as const;

type Row = Record<string, unknown> & { pk: string; receivedAt?: number };

function parseLimit(raw: string): number {
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new UsageError(`--limit must be a whole number from 1 to 1000, but "${raw}" was provided`);
  }
  return limit;
}

function parseStatus(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const status = raw.toUpperCase();
  if (!(STATUSES as readonly string[]).includes(status)) {
    throw new UsageError(
      `--status must be one of ${STATUSES.map(displayStatus).join(', ')}, but "${raw}" was provided`,
    );
  }
  return status;
}

/**
 * The scan's filter: event rows only (parked and ordering rows share the table, see ledger-schema.ts),
 * or, for INVALID_ENVELOPE, parked rows only.
 */
export function scanFilter(
  status: string | undefined,
): Pick<
  ScanCommandInput,
  'FilterExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues' | 'ProjectionExpression'
> {
  const names: Record<string, string> = {};
  PROJECTION.forEach((field, i) => {
    names[`#p${i}`] = field;
  });
  const projection = PROJECTION.map((_, i) => `#p${i}`).join(', ');
  const pk = '#p0';
  const statusName = `#p${PROJECTION.indexOf('status')}`;
  if (status === PARKED_STATUS) {
    return {
      ProjectionExpression: projection,
      FilterExpression: `begins_with(${pk}, :parked)`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':parked': 'parked#' },
    };
  }
  return {
    ProjectionExpression: projection,
    FilterExpression: [
      `NOT begins_with(${pk}, :parked)`,
      `NOT begins_with(${pk}, :order)`,
      ...(status !== undefined ? [`${statusName} = :status`] : []),
    ].join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: {
      ':parked': 'parked#',
      ':order': 'order#',
      ...(status !== undefined ? { ':status': status } : {}),
    },
  };
}

/** Keeps the `limit` newest rows seen so far, so memory stays bounded on a big table. */
function keepNewest(rows: Row[], incoming: readonly Row[], limit: number): Row[] {
  const merged = [...rows, ...incoming].sort((a, b) => (b.receivedAt ?? 0) - (a.receivedAt ?? 0));
  return merged.slice(0, limit);
}

async function scanNewest(
  target: Target,
  status: string | undefined,
  limit: number,
  io: Io,
): Promise<{ rows: Row[]; matched: number; scanned: number }> {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient(target.clientConfig));
  let rows: Row[] = [];
  let matched = 0;
  let scanned = 0;
  let lastProgress = Date.now();
  let startKey: Record<string, unknown> | undefined;
  try {
    do {
      const out = await client.send(
        new ScanCommand({
          TableName: target.tableName,
          ...scanFilter(status),
          ...(startKey !== undefined ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      const items = (out.Items ?? []) as Row[];
      matched += items.length;
      scanned += out.ScannedCount ?? 0;
      rows = keepNewest(rows, items, limit);
      startKey = out.LastEvaluatedKey;
      if (startKey !== undefined && Date.now() - lastProgress > 2000) {
        io.err(`  scanned ${scanned} rows, ${matched} match so far...`);
        lastProgress = Date.now();
      }
    } while (startKey !== undefined);
  } catch (error) {
    throw new CliError(
      `could not scan ledger table ${target.tableName}: ${(error as Error).message ?? String(error)}`,
      { cause: error },
    );
  } finally {
    client.destroy();
  }
  return { rows, matched, scanned };
}

const iso = (ms: unknown) =>
  typeof ms === 'number' ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') : '-'.padEnd(20);

/** A stored value as a table cell: escaped, so it can neither run on the terminal nor break the row. */
const cell = (value: unknown): string =>
  value === undefined || value === null ? '-' : escapeControls(String(value));

function eventLines(rows: readonly Row[]): string[] {
  const header = `${'RECEIVED (UTC)'.padEnd(22)}${'STATUS'.padEnd(15)}${'EVENT ID'.padEnd(34)}${'TYPE'.padEnd(27)}${'SUBSCRIPTION'.padEnd(16)}ATTEMPTS`;
  return [
    header,
    ...rows.map(
      (r) =>
        `${iso(r.receivedAt).padEnd(22)}${cell(displayStatus(String(r.status ?? '-'))).padEnd(15)}${cell(r.pk).padEnd(34)}${cell(r.eventType).padEnd(27)}${cell(r.subscription).padEnd(16)}${cell(r.attempts)}`,
    ),
  ];
}

function parkedLines(rows: readonly Row[]): string[] {
  return [
    `${'RECEIVED (UTC)'.padEnd(22)}${'SUBSCRIPTION'.padEnd(16)}${'KEY'.padEnd(73)}${'REASON'.padEnd(26)}PROBLEMS`,
    ...rows.map(
      (r) =>
        // Rows parked before `reason` existed have none (invalid_envelope or conflicting_duplicate).
        `${iso(r.receivedAt).padEnd(22)}${cell(r.subscription).padEnd(16)}${cell(r.pk).padEnd(73)}${cell(r.reason).padEnd(26)}${cell(Array.isArray(r.problems) ? r.problems.join('; ') : undefined)}`,
    ),
  ];
}

export async function eventsList(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, 'events list');
  if (values.help) {
    io.out(EVENTS_LIST_HELP);
    return 0;
  }
  if (positionals.length > 0) {
    throw new UsageError(
      `events list takes no arguments, but got "${positionals.join(' ')}" (use --status, --limit)`,
    );
  }
  const status = parseStatus(values.status);
  const limit = parseLimit(values.limit);
  const target = await resolveTarget(targetOptionsFrom(values));

  const { rows, matched, scanned } = await scanNewest(target, status, limit, io);
  if (values.json) {
    io.out(JSON.stringify(rows.map(rowToJson), null, 2));
    return 0;
  }
  const what =
    status === PARKED_STATUS ? 'parked deliveries' : `events${status ? ` in ${displayStatus(status)}` : ''}`;
  if (rows.length === 0) {
    io.out(`no ${what} in ${target.tableName} (scanned ${scanned} rows)`);
    return 0;
  }
  for (const line of status === PARKED_STATUS ? parkedLines(rows) : eventLines(rows)) io.out(line);
  io.out(`${rows.length} newest of ${matched} ${what} (scanned ${scanned} rows of ${target.tableName})`);
  if (status === PARKED_STATUS) {
    io.out(
      "a parked body is in the row's rawBody attribute (rawBodyBase64 when it is not UTF-8): read it with care, it may hold personal data",
    );
  }
  return 0;
}
