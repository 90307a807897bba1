import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { BODY_NOT_KEPT, bodyBytesOf } from '../lambda/shared/ledger';
import type { EventRow } from '../lambda/shared/ledger-schema';
import { CliError, UsageError } from './errors';
import type { Io } from './io';
import type { Target } from './target';
import { escapeControls } from './terminal-text';

/** Reads ledger rows of a target with consistent reads. */
export class LedgerReader {
  private readonly client: DynamoDBDocumentClient;

  constructor(private readonly target: Target) {
    this.client = DynamoDBDocumentClient.from(new DynamoDBClient(target.clientConfig));
  }

  async get(eventId: string): Promise<EventRow | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.target.tableName, Key: { pk: eventId }, ConsistentRead: true }),
    );
    return out.Item as EventRow | undefined;
  }

  close(): void {
    this.client.destroy();
  }
}

/** The one eventId an `events` command takes, lowercased as the ledger keys it. */
export function eventIdArgument(positionals: readonly string[], command: string): string {
  if (positionals.length !== 1) {
    throw new UsageError(
      `${command} takes exactly one eventId, but got ${positionals.length} arguments (see fpt-webhooks ${command} --help)`,
    );
  }
  return parseEventId(positionals[0] as string);
}

/** An eventId given on the command line: 32 hex characters, lowercased as the ledger keys it. */
export function parseEventId(raw: string): string {
  if (!/^[0-9a-fA-F]{32}$/.test(raw)) {
    throw new UsageError(`eventId must be 32 hex characters, but "${raw}" was provided`);
  }
  return raw.toLowerCase();
}

/**
 * Reads one event's row, or says on stderr why there is none and returns undefined (the command then
 * exits 1). A failed read is a CliError naming the table.
 */
export async function readEventRow(
  target: Target,
  eventId: string,
  io: Pick<Io, 'err'>,
): Promise<Record<string, unknown> | undefined> {
  const ledger = new LedgerReader(target);
  let row: Record<string, unknown> | undefined;
  try {
    row = (await ledger.get(eventId)) as Record<string, unknown> | undefined;
  } catch (error) {
    throw new CliError(
      `could not read ledger table ${target.tableName}: ${(error as Error).message ?? String(error)}`,
      { cause: error },
    );
  } finally {
    ledger.close();
  }
  if (row === undefined) {
    io.err(
      `event ${eventId} is not in the ledger (${target.tableName}): it never arrived, was rejected, or its row has expired`,
    );
  }
  return row;
}

/**
 * Why a row holds no body, from its `bodyNotKept`, in words an operator can act on (`events export`,
 * `events replay`).
 */
export function missingBodyReason(bodyNotKept: unknown): string {
  if (bodyNotKept === BODY_NOT_KEPT.disabled) {
    return 'body retention was off when it arrived (config keepEventBodies: false)';
  }
  if (bodyNotKept === BODY_NOT_KEPT.tooLarge) return 'its body was too large to keep in one ledger row';
  return 'the row predates body retention, or retention was off when it arrived';
}

/** Timestamps in a row: epoch milliseconds, except `expiresAt` (epoch seconds, the TTL attribute). */
const EPOCH_MS_FIELDS = new Set([
  'receivedAt',
  'enqueuedAt',
  'processedAt',
  'failedAt',
  'leaseExpiresAt',
  'processingExpiresAt',
  'lastReplayAt',
]);

/**
 * A status as the CLI shows it, in lowercase (`processed`), as operators and scripts read it; the
 * ledger itself keeps its uppercase constants.
 */
export function displayStatus(status: string): string {
  return status.toLowerCase();
}

/**
 * A row as the CLI shows it: `pk` becomes `eventId`, first; `status` via {@link displayStatus}; a kept
 * body as its size, `bodyBytes`; the rest as stored.
 */
export function rowToJson(row: Record<string, unknown>): Record<string, unknown> {
  const { pk, status, rawBody, rawBodyBase64, ...rest } = row;
  // The kept body is data, up to 256 KiB, and `events export` writes it exactly: here only its size.
  let bodyBytes: number | undefined;
  try {
    bodyBytes = bodyBytesOf({ rawBody, rawBodyBase64 })?.length;
  } catch {
    bodyBytes = undefined;
  }
  return {
    eventId: pk,
    ...(status !== undefined ? { status: typeof status === 'string' ? displayStatus(status) : status } : {}),
    ...rest,
    ...(bodyBytes !== undefined ? { bodyBytes } : {}),
  };
}

/**
 * `name  value` lines, with timestamps also shown as ISO-8601 UTC. Names and values are stored data:
 * both are escaped, so neither can run on the terminal or break a line.
 */
export function formatRow(row: Record<string, unknown>): string[] {
  const json = rowToJson(row);
  const first = [
    'eventId',
    'status',
    'eventType',
    'subscription',
    'attempts',
    'eventTimestamp',
    'locationId',
    'replayCount',
    'lastReplayAt',
    'lastReplayReason',
  ];
  const keys = [
    ...first.filter((k) => k in json),
    ...Object.keys(json)
      .filter((k) => !first.includes(k))
      .sort(),
  ];
  const width = Math.max(...keys.map((k) => escapeControls(k).length)) + 2;
  return keys.map((key) => {
    const value = json[key];
    let text = typeof value === 'string' ? value : JSON.stringify(value);
    if (typeof value === 'number' && EPOCH_MS_FIELDS.has(key))
      text = `${new Date(value).toISOString()}  (${value})`;
    if (typeof value === 'number' && key === 'expiresAt')
      text = `${new Date(value * 1000).toISOString()}  (${value})`;
    return `${escapeControls(key).padEnd(width)}${escapeControls(text)}`;
  });
}
