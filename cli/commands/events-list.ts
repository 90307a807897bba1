import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LEDGER, PARKED_STATUS } from '../../lambda/shared/ledger-schema';
import { CliError, UsageError } from '../errors';
import {
  decodeCursor,
  EVENT_FILTER_HELP,
  EVENT_FILTER_OPTIONS,
  type EventFilter,
  encodeCursor,
  eventFilterFlags,
  eventFilterFrom,
  type SelectedEvent,
  selectEvents,
} from '../event-selection';
import type { Io } from '../io';
import { displayStatus } from '../ledger';
import { resolveTarget, TARGET_HELP, TARGET_OPTIONS, type Target, targetOptionsFrom } from '../target';
import { escapeControls } from '../terminal-text';
import { parseCommandArgs } from './parse';

export const EVENTS_LIST_HELP = `Usage: fpt-webhooks events list (--local | --stack NAME) [filters] [--limit N] [--after CURSOR] [--json]

Lists events in the ledger, newest first (by the time the verifier received them). It reads the
ledger's list index (${LEDGER.listIndex.name}), one query per UTC day of the range, never a scan, and
the status of each listed row. Without --since it looks back over the ledger's retention.

${EVENT_FILTER_HELP}

Options:
  --limit N        how many to show, 1 to 1000 (default 20); when there are more, the last line
                   gives the command for the next page
  --after CURSOR   the next page: the cursor the previous page printed (same filters)
  --json           one JSON object per line (the key pk is shown as eventId); the next-page line
                   goes to stderr, so stdout holds only events
  --help           show this help

Rows written before the index existed are not listed: they expire with the ledger's retention.

${TARGET_HELP}`;

const OPTIONS = {
  ...TARGET_OPTIONS,
  ...EVENT_FILTER_OPTIONS,
  limit: { type: 'string', default: '20' },
  after: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

/** Report progress on stderr when listing takes longer than this. */
const PROGRESS_AFTER_MS = 2000;

function parseLimit(raw: string): number {
  const limit = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new UsageError(`--limit must be a whole number from 1 to 1000, but "${raw}" was provided`);
  }
  return limit;
}

const iso = (ms: unknown) =>
  typeof ms === 'number' ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') : '-'.padEnd(20);

/** A stored value as a table cell: escaped, so it can neither run on the terminal nor break the row. */
const cell = (value: unknown): string =>
  value === undefined || value === null ? '-' : escapeControls(String(value));

function eventLines(rows: readonly SelectedEvent[]): string[] {
  const header = `${'RECEIVED (UTC)'.padEnd(22)}${'STATUS'.padEnd(15)}${'EVENT ID'.padEnd(34)}${'TYPE'.padEnd(27)}${'SUBSCRIPTION'.padEnd(16)}${'CONTACT'.padEnd(12)}ATTEMPTS`;
  return [
    header,
    ...rows.map(
      (r) =>
        `${iso(r.receivedAt).padEnd(22)}${cell(displayStatus(String(r.status))).padEnd(15)}${cell(r.eventId).padEnd(34)}${cell(r.eventType).padEnd(27)}${cell(r.subscription).padEnd(16)}${cell(r.contactId).padEnd(12)}${cell(r.attempts)}`,
    ),
  ];
}

function parkedLines(rows: readonly SelectedEvent[]): string[] {
  return [
    `${'RECEIVED (UTC)'.padEnd(22)}${'SUBSCRIPTION'.padEnd(16)}${'KEY'.padEnd(73)}${'REASON'.padEnd(26)}PROBLEMS`,
    ...rows.map(
      (r) =>
        // Rows parked before `reason` existed have none (invalid_envelope or conflicting_duplicate).
        `${iso(r.receivedAt).padEnd(22)}${cell(r.subscription).padEnd(16)}${cell(r.eventId).padEnd(73)}${cell(r.reason).padEnd(26)}${cell(Array.isArray(r.problems) ? r.problems.join('; ') : undefined)}`,
    ),
  ];
}

/** An event as `--json` prints it: `eventId` first, the status in lowercase, no internal index key. */
export function selectedToJson(event: SelectedEvent): Record<string, unknown> {
  const { eventId, status, listDay: _listDay, ...rest } = event;
  return { eventId, status: displayStatus(status), ...rest };
}

/** A shell word: quoted when it holds anything but safe characters. */
const shellWord = (word: string): string =>
  /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;

/** What the listing shows, for the summary line. */
function describeSelection(filter: EventFilter): string {
  if (filter.statuses?.length === 1 && filter.statuses[0] === PARKED_STATUS) return 'parked deliveries';
  const parts = [
    ...(filter.statuses !== undefined ? [`in ${filter.statuses.map(displayStatus).join(' or ')}`] : []),
    ...(filter.types !== undefined ? [`of type ${filter.types.join(' or ')}`] : []),
    ...(filter.subscriptions !== undefined ? [`on ${filter.subscriptions.join(' or ')}`] : []),
    ...(filter.contactId !== undefined ? [`for contact ${filter.contactId}`] : []),
  ];
  return ['events', ...parts].map(escapeControls).join(' ');
}

async function listPage(
  target: Target,
  filter: EventFilter,
  limit: number,
  after: ReturnType<typeof decodeCursor> | undefined,
  io: Io,
): Promise<{ rows: SelectedEvent[]; more: boolean; daysTotal: number }> {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient(target.clientConfig));
  const rows: SelectedEvent[] = [];
  let more = false;
  let daysTotal = 0;
  const started = Date.now();
  let lastProgress = started;
  try {
    const selection = selectEvents(
      {
        client,
        tableName: target.tableName,
        ...(target.ledgerRetentionDays !== undefined ? { retentionDays: target.ledgerRetentionDays } : {}),
      },
      filter,
      {
        ...(after !== undefined ? { after } : {}),
        onProgress: (p) => {
          daysTotal = p.daysTotal;
          const now = Date.now();
          if (now - lastProgress >= PROGRESS_AFTER_MS && p.daysQueried < p.daysTotal) {
            io.err(`  queried ${p.daysQueried} of ${p.daysTotal} days, ${p.matched} events so far...`);
            lastProgress = now;
          }
        },
      },
    );
    for await (const event of selection) {
      // One more than the page: it tells whether there is a next page, and is not shown.
      if (rows.length === limit) {
        more = true;
        break;
      }
      rows.push(event);
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const message = (error as Error).message ?? String(error);
    const noIndex = /specified index|index.*not (found|exist)/i.test(message)
      ? ` (the table has no ${LEDGER.listIndex.name} index: deploy the current version of the receiver)`
      : '';
    throw new CliError(`could not list events of ledger table ${target.tableName}: ${message}${noIndex}`, {
      cause: error,
    });
  } finally {
    client.destroy();
  }
  return { rows, more, daysTotal };
}

export async function eventsList(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, 'events list');
  if (values.help) {
    io.out(EVENTS_LIST_HELP);
    return 0;
  }
  if (positionals.length > 0) {
    throw new UsageError(
      `events list takes no arguments, but got "${positionals.join(' ')}" (filter with --since, --type, --status, --subscription, --contact)`,
    );
  }
  const filter = eventFilterFrom(values, Date.now());
  const limit = parseLimit(values.limit);
  const after = values.after !== undefined ? decodeCursor(values.after) : undefined;
  const target = await resolveTarget(targetOptionsFrom(values));

  const { rows, more } = await listPage(target, filter, limit, after, io);
  const last = rows.at(-1);
  const next =
    more && last !== undefined
      ? [
          'fpt-webhooks events list',
          target.flags,
          ...eventFilterFlags(filter).map(shellWord),
          '--limit',
          String(limit),
          ...(values.json ? ['--json'] : []),
          '--after',
          encodeCursor(last),
        ].join(' ')
      : undefined;
  if (values.json) {
    for (const row of rows) io.out(JSON.stringify(selectedToJson(row)));
    if (next !== undefined) io.err(`next page: ${next}`);
    return 0;
  }
  const what = describeSelection(filter);
  if (rows.length === 0) {
    io.out(`no ${what}${after !== undefined ? ' after the cursor' : ''} in ${target.tableName}`);
    return 0;
  }
  const parkedOnly = filter.statuses?.length === 1 && filter.statuses[0] === PARKED_STATUS;
  for (const line of parkedOnly ? parkedLines(rows) : eventLines(rows)) io.out(line);
  io.out(
    `${rows.length} ${what}, newest first${more ? ', more on the next page' : ''} (${target.tableName})`,
  );
  if (next !== undefined) io.out(`next page: ${next}`);
  if (parkedOnly) {
    io.out(
      "a parked body is in the row's rawBody attribute (rawBodyBase64 when it is not UTF-8): read it with care, it may hold personal data",
    );
  }
  return 0;
}
