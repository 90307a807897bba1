import { BatchGetCommand, type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DEFAULTS } from '../lambda/shared/defaults';
import { EVENT_STATUS, LEDGER, listDayOf, PARKED_STATUS } from '../lambda/shared/ledger-schema';
import { UsageError } from './errors';
import { displayStatus } from './ledger';

/*
 * Which ledger rows an operator means: the filter flags `events list` and `events replay` share, and the
 * one way to read them, through the list index (LEDGER.listIndex, one Query per UTC day) and never a scan.
 */

/** What `--since --until --type --status --subscription --contact` select. Times are epoch ms. */
export interface EventFilter {
  /** Received at or after (inclusive). */
  readonly since?: number;
  /** Received at or before (inclusive). */
  readonly until?: number;
  readonly types?: readonly string[];
  /** Ledger statuses, uppercase as stored (`PROCESSED`, `INVALID_ENVELOPE` for parked rows). */
  readonly statuses?: readonly string[];
  readonly subscriptions?: readonly string[];
  readonly contactId?: number;
}

/** `node:util` parseArgs options of the filter flags; spread them into a command's options. */
export const EVENT_FILTER_OPTIONS = {
  since: { type: 'string' },
  until: { type: 'string' },
  type: { type: 'string', multiple: true },
  status: { type: 'string', multiple: true },
  subscription: { type: 'string', multiple: true },
  contact: { type: 'string' },
} as const;

/** The statuses a filter may name: the event lifecycle, and INVALID_ENVELOPE for parked deliveries. */
export const SELECTABLE_STATUSES: readonly string[] = [...Object.values(EVENT_STATUS), PARKED_STATUS];

/** Help lines of the filter flags, for a command's `--help`. */
export const EVENT_FILTER_HELP = `Filters (all optional; each narrows the selection):
  --since TIME          received at or after TIME: ISO-8601 (2026-11-28, 2026-11-28T09:30Z; no zone
                        means UTC) or an age: 30m, 24h, 7d, 2w (default: the ledger's retention ago)
  --until TIME          received at or before TIME (same forms; default: now)
  --type TYPE           event type, e.g. contact.updated; a comma list or repeat the flag
  --status STATUS       ${SELECTABLE_STATUSES.map((s) => s.toLowerCase()).join(', ')}
                        (any case; a comma list or repeat; invalid_envelope selects parked deliveries)
  --subscription NAME   the subscription that received it; a comma list or repeat
  --contact ID          FPT's data.contactId (a whole number)`;

/** What parseArgs gives for {@link EVENT_FILTER_OPTIONS}. */
export interface EventFilterValues {
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  readonly type?: readonly string[] | undefined;
  readonly status?: readonly string[] | undefined;
  readonly subscription?: readonly string[] | undefined;
  readonly contact?: string | undefined;
}

const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};
const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;
/** A DynamoDB `IN` list holds at most 100 values. */
const MAX_LIST = 100;

/** ISO-8601 as epoch ms (no zone = UTC), or undefined when it is not a time that exists. */
function parseIso(text: string): number | undefined {
  const m = ISO_TIME.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour = 0, minute = 0, second = 0] = m.slice(1, 7).map((v) => Number(v ?? 0));
  const fraction = Number((m[7] ?? '0').padEnd(3, '0'));
  const zone = (m[8] ?? 'Z').toUpperCase();
  const local = Date.UTC(
    year as number,
    (month as number) - 1,
    day as number,
    hour,
    minute,
    second,
    fraction,
  );
  const date = new Date(local);
  // Date.UTC rolls 2026-02-31 over to March, and 24:00 to the next day: such a time does not exist.
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== (month as number) - 1 ||
    date.getUTCDate() !== day ||
    date.getUTCHours() !== hour ||
    date.getUTCMinutes() !== minute
  ) {
    return undefined;
  }
  if (zone === 'Z') return local;
  const digits = zone.slice(1).replace(':', '');
  const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
  if (offsetMinutes > 18 * 60) return undefined;
  return local - (zone.startsWith('-') ? -1 : 1) * offsetMinutes * 60_000;
}

/** A `--since`/`--until` value as epoch ms: ISO-8601 (no zone = UTC), or an age before `nowMs`. */
export function parseTime(flag: string, raw: string, nowMs: number): number {
  const text = raw.trim();
  const age = /^(\d{1,6})([smhdw])$/.exec(text);
  if (age !== null) return nowMs - Number(age[1]) * (UNIT_MS[age[2] as string] as number);
  const ms = parseIso(text);
  if (ms !== undefined) return ms;
  throw new UsageError(
    `--${flag} must be an ISO-8601 time (2026-11-28 or 2026-11-28T09:30:00Z) or an age such as 30m, 24h or 7d, but "${raw}" was provided`,
  );
}

/** Comma lists and repeated flags as one list, blanks dropped; undefined when the flag is absent. */
function listOf(flag: string, raw: readonly string[] | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const items = [...new Set(raw.flatMap((r) => r.split(',')).map((r) => r.trim()))].filter((r) => r !== '');
  if (items.length === 0)
    throw new UsageError(`--${flag} needs a value, but "${raw.join(',')}" was provided`);
  if (items.length > MAX_LIST) {
    throw new UsageError(`--${flag} takes at most ${MAX_LIST} values, but ${items.length} were provided`);
  }
  return items;
}

/**
 * The filter the flags describe, checked: every problem is a UsageError naming the flag and the value.
 * @param nowMs what relative ages (`24h`) count back from
 */
export function eventFilterFrom(values: EventFilterValues, nowMs: number): EventFilter {
  const since = values.since !== undefined ? parseTime('since', values.since, nowMs) : undefined;
  const until = values.until !== undefined ? parseTime('until', values.until, nowMs) : undefined;
  if (since !== undefined && until !== undefined && since > until) {
    throw new UsageError(
      `--since (${new Date(since).toISOString()}) is after --until (${new Date(until).toISOString()}): nothing can match`,
    );
  }
  const types = listOf('type', values.type);
  for (const type of types ?? []) {
    if (!/^[\x21-\x7e]{1,100}$/.test(type)) {
      throw new UsageError(
        `--type must be an event type such as contact.updated, but "${type}" was provided`,
      );
    }
  }
  const statuses = listOf('status', values.status)?.map((raw) => {
    const status = raw.toUpperCase();
    if (!SELECTABLE_STATUSES.includes(status)) {
      throw new UsageError(
        `--status must be one of ${SELECTABLE_STATUSES.map((s) => s.toLowerCase()).join(', ')}, but "${raw}" was provided`,
      );
    }
    return status;
  });
  const subscriptions = listOf('subscription', values.subscription);
  let contactId: number | undefined;
  if (values.contact !== undefined) {
    contactId = Number(values.contact.trim());
    if (!/^\d{1,16}$/.test(values.contact.trim()) || !Number.isSafeInteger(contactId)) {
      throw new UsageError(
        `--contact must be a whole number (FPT's contactId), but "${values.contact}" was provided`,
      );
    }
  }
  return {
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    ...(types !== undefined ? { types } : {}),
    ...(statuses !== undefined ? { statuses } : {}),
    ...(subscriptions !== undefined ? { subscriptions } : {}),
    ...(contactId !== undefined ? { contactId } : {}),
  };
}

/**
 * The filter as flags again, the inverse of eventFilterFrom: times absolute (ISO-8601 UTC), so the
 * flags select the same events later (the next page of a listing, a replay run's description).
 */
export function eventFilterFlags(filter: EventFilter): string[] {
  const time = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
  return [
    ...(filter.since !== undefined ? ['--since', time(filter.since)] : []),
    ...(filter.until !== undefined ? ['--until', time(filter.until)] : []),
    ...(filter.types !== undefined ? ['--type', filter.types.join(',')] : []),
    ...(filter.statuses !== undefined ? ['--status', filter.statuses.map(displayStatus).join(',')] : []),
    ...(filter.subscriptions !== undefined ? ['--subscription', filter.subscriptions.join(',')] : []),
    ...(filter.contactId !== undefined ? ['--contact', String(filter.contactId)] : []),
  ];
}

/** One selected row, as the table holds it (never its body or lease tokens). */
export interface SelectedEvent {
  /** The row's key: a 32-hex eventId, or `parked#<sha256>` for a parked delivery. */
  readonly eventId: string;
  /** As stored, uppercase: an EventStatus, or INVALID_ENVELOPE for a parked delivery. */
  readonly status: string;
  readonly subscription: string;
  readonly eventType?: string;
  readonly eventTimestamp?: string;
  readonly locationId?: number;
  readonly contactId?: number;
  readonly receivedAt: number;
  readonly processedAt?: number;
  readonly attempts?: number;
  readonly lastError?: string;
  readonly replayCount?: number;
  readonly lastReplayAt?: number;
  /** Why the row holds no body (`disabled`, `too_large`); absent when it may hold one. */
  readonly bodyNotKept?: string;
  /** Parked rows: why it was parked, and what was wrong. */
  readonly reason?: string;
  readonly problems?: readonly string[];
  /** The list index's partition key of the row, `YYYY-MM-DD` (part of a {@link SelectionCursor}). */
  readonly listDay: string;
}

/** Where a selection stopped: the last row returned. The next page starts after it. */
export interface SelectionCursor {
  readonly listDay: string;
  readonly receivedAt: number;
  readonly eventId: string;
}

export interface SelectOptions {
  /** @default 'newest' */
  readonly order?: 'newest' | 'oldest';
  /** Resume after this row (the last one of the previous page), in the same order. */
  readonly after?: SelectionCursor;
  /** Called after each day's Query is finished. */
  readonly onProgress?: (progress: { daysQueried: number; daysTotal: number; matched: number }) => void;
  /** The clock, for the default range. @default Date.now */
  readonly now?: () => number;
}

/** The ledger as a selection reads it. */
export interface SelectionTable {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /**
   * The ledger's retention (config `ledgerRetentionDays`). Without `since` the range starts this many days
   * before now (DEFAULTS.ledgerRetentionDays when unknown); when known, an older `since` is moved up to
   * it, plus the days DynamoDB may take to delete an expired row: no row older can exist.
   */
  readonly retentionDays?: number;
}

const DAY_MS = 86_400_000;
/** DynamoDB deletes an expired item within a few days, not at once (its TTL documentation). */
const TTL_DELETION_DAYS = 2;
/** Rows per Query page: one BatchGetItem (at most 100 keys) reads their status. */
const PAGE_SIZE = 100;
/** A clock a little ahead of ours (the verifier's) still lands in the range's last day. */
const CLOCK_SKEW_MS = 5 * 60_000;
const BATCH_GET_ATTEMPTS = 8;

/** What is read of each base row: never `rawBody`, `rawBodyBase64` or a lease token. */
const ROW_ATTRIBUTES = [
  'pk',
  'status',
  'subscription',
  'eventType',
  'eventTimestamp',
  'locationId',
  'contactId',
  'receivedAt',
  'processedAt',
  'attempts',
  'lastError',
  'replayCount',
  'lastReplayAt',
  'bodyNotKept',
  'reason',
  'problems',
] as const;

/** The UTC days from `fromMs` to `toMs`, inclusive, as list index partition keys, in order. */
export function daysBetween(fromMs: number, toMs: number, order: 'newest' | 'oldest'): string[] {
  const days: string[] = [];
  const first = Date.parse(`${listDayOf(fromMs)}T00:00:00Z`);
  for (let day = first; day <= toMs; day += DAY_MS) days.push(listDayOf(day));
  return order === 'newest' ? days.reverse() : days;
}

/** The Query's filter on projected attributes (type, subscription, contact, parked or not). */
function queryFilter(filter: EventFilter): {
  expression?: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
} {
  const parts: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const oneOf = (name: string, attribute: string, list: readonly string[]) => {
    names[`#${name}`] = attribute;
    const placeholders = list.map((value, i) => {
      values[`:${name}${i}`] = value;
      return `:${name}${i}`;
    });
    parts.push(`#${name} IN (${placeholders.join(', ')})`);
  };
  if (filter.types !== undefined) oneOf('type', 'eventType', filter.types);
  if (filter.subscriptions !== undefined) oneOf('subscription', 'subscription', filter.subscriptions);
  if (filter.contactId !== undefined) {
    names['#contact'] = 'contactId';
    values[':contact'] = filter.contactId;
    parts.push('#contact = :contact');
  }
  // Parked rows are listed only when asked for; the key tells them apart, so no base read is needed.
  const parked = filter.statuses?.includes(PARKED_STATUS) ?? false;
  const others = filter.statuses === undefined || filter.statuses.some((s) => s !== PARKED_STATUS);
  if (!parked || !others) {
    names['#pk'] = LEDGER.partitionKey;
    values[':parked'] = 'parked#';
    parts.push(parked ? 'begins_with(#pk, :parked)' : 'NOT begins_with(#pk, :parked)');
  }
  return { ...(parts.length > 0 ? { expression: parts.join(' AND ') } : {}), names, values };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Reads the listed rows' display attributes, in one BatchGetItem per 100 keys. Keys DynamoDB leaves
 * unprocessed (throttling, or the 16 MB answer limit) are asked again with backoff, a bounded number
 * of times. A key whose row is gone (released, expired, deleted since the index saw it) has no entry.
 */
export async function readRows(
  table: SelectionTable,
  eventIds: readonly string[],
): Promise<Map<string, Record<string, unknown>>> {
  const rows = new Map<string, Record<string, unknown>>();
  const names = Object.fromEntries(ROW_ATTRIBUTES.map((a, i) => [`#a${i}`, a]));
  const projection = ROW_ATTRIBUTES.map((_, i) => `#a${i}`).join(', ');
  for (let start = 0; start < eventIds.length; start += 100) {
    let keys: Record<string, unknown>[] = eventIds.slice(start, start + 100).map((pk) => ({ pk }));
    for (let attempt = 1; keys.length > 0; attempt++) {
      if (attempt > BATCH_GET_ATTEMPTS) {
        throw new Error(
          `BatchGetItem on ${table.tableName} still left ${keys.length} keys unprocessed after ${BATCH_GET_ATTEMPTS} attempts (the table is throttled): try again later`,
        );
      }
      if (attempt > 1) await sleep(Math.min(2000, 50 * 2 ** (attempt - 2)));
      const out = await table.client.send(
        new BatchGetCommand({
          RequestItems: {
            [table.tableName]: {
              Keys: keys,
              ProjectionExpression: projection,
              ExpressionAttributeNames: names,
            },
          },
        }),
      );
      for (const item of out.Responses?.[table.tableName] ?? []) rows.set(String(item.pk), item);
      keys = (out.UnprocessedKeys?.[table.tableName]?.Keys ?? []) as Record<string, unknown>[];
    }
  }
  return rows;
}

function toSelected(row: Record<string, unknown>, listDay: string): SelectedEvent {
  const { pk, ...rest } = row;
  return { ...(rest as Omit<SelectedEvent, 'eventId' | 'listDay'>), eventId: String(pk), listDay };
}

/**
 * The rows the filter selects, newest (or oldest) first by `receivedAt`: one index Query
 * per UTC day of the range, paged, and one BatchGetItem per page for the status and display columns
 * (the index does not hold `status`, which changes on every step). Rows without `listDay` (written
 * before the index existed) are not in the index and are never selected.
 *
 * The index is eventually consistent: a row written a moment ago may be missing, and the status read
 * from the table is the one at the time of the read.
 */
export async function* selectEvents(
  table: SelectionTable,
  filter: EventFilter,
  options: SelectOptions = {},
): AsyncGenerator<SelectedEvent> {
  const order = options.order ?? 'newest';
  const nowMs = (options.now ?? Date.now)();
  const retentionStart = nowMs - (table.retentionDays ?? DEFAULTS.ledgerRetentionDays) * DAY_MS;
  const since =
    filter.since === undefined
      ? retentionStart
      : table.retentionDays !== undefined
        ? Math.max(filter.since, retentionStart - TTL_DELETION_DAYS * DAY_MS)
        : filter.since;
  const until = filter.until ?? nowMs + CLOCK_SKEW_MS;
  let days = daysBetween(since, until, order);
  const after = options.after;
  if (after !== undefined) {
    const at = days.indexOf(after.listDay);
    days =
      at === -1
        ? days.filter((d) => (order === 'newest' ? d < after.listDay : d > after.listDay))
        : days.slice(at);
  }
  const daysTotal = days.length;
  const statuses = filter.statuses !== undefined ? new Set(filter.statuses) : undefined;
  const projected = queryFilter(filter);
  const index = LEDGER.listIndex;
  let matched = 0;
  let daysQueried = 0;
  for (const day of days) {
    let startKey: Record<string, unknown> | undefined =
      after !== undefined && day === after.listDay
        ? {
            [LEDGER.partitionKey]: after.eventId,
            [index.partitionKey]: day,
            [index.sortKey]: after.receivedAt,
          }
        : undefined;
    do {
      const out = await table.client.send(
        new QueryCommand({
          TableName: table.tableName,
          IndexName: index.name,
          KeyConditionExpression: '#day = :day AND #received BETWEEN :since AND :until',
          ...(projected.expression !== undefined ? { FilterExpression: projected.expression } : {}),
          ExpressionAttributeNames: {
            '#day': index.partitionKey,
            '#received': index.sortKey,
            ...projected.names,
          },
          ExpressionAttributeValues: { ':day': day, ':since': since, ':until': until, ...projected.values },
          ScanIndexForward: order === 'oldest',
          Limit: PAGE_SIZE,
          ...(startKey !== undefined ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      const listed = (out.Items ?? []).map((item) => String(item[LEDGER.partitionKey]));
      const rows = listed.length > 0 ? await readRows(table, listed) : new Map();
      for (const eventId of listed) {
        const row = rows.get(eventId);
        if (row === undefined || typeof row.receivedAt !== 'number') continue;
        if (statuses !== undefined && !statuses.has(String(row.status))) continue;
        matched++;
        yield toSelected(row, day);
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    daysQueried++;
    options.onProgress?.({ daysQueried, daysTotal, matched });
  }
}

/** A cursor as printed for `--after`: base64url of its JSON, opaque to the operator. */
export function encodeCursor(cursor: SelectionCursor): string {
  return Buffer.from(JSON.stringify([cursor.listDay, cursor.receivedAt, cursor.eventId])).toString(
    'base64url',
  );
}

/** @throws UsageError when `raw` is not a cursor a selection printed */
export function decodeCursor(raw: string): SelectionCursor {
  let parsed: unknown;
  try {
    parsed = /^[A-Za-z0-9_-]{1,400}$/.test(raw)
      ? JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'))
      : undefined;
  } catch {
    parsed = undefined;
  }
  if (Array.isArray(parsed) && parsed.length === 3) {
    const [listDay, receivedAt, eventId] = parsed as unknown[];
    if (
      typeof listDay === 'string' &&
      /^\d{4}-\d{2}-\d{2}$/.test(listDay) &&
      typeof receivedAt === 'number' &&
      Number.isSafeInteger(receivedAt) &&
      typeof eventId === 'string' &&
      /^([0-9a-f]{32}|parked#[0-9a-f]{64})$/.test(eventId)
    ) {
      return { listDay, receivedAt, eventId };
    }
  }
  throw new UsageError(
    `--after must be the cursor a previous page printed (after "next page:"), but "${raw.slice(0, 80)}" is not one`,
  );
}
