import { readFileSync } from 'node:fs';
import { DEFAULTS } from '../../lambda/shared/defaults';
import { EVENT_STATUS, type EventRow } from '../../lambda/shared/ledger-schema';
import { TEST_EVENT_MARKER } from '../../lambda/shared/test-event-marker';
import { signPayload } from '../../lambda/verifier/signature';
import { pollUntil } from '../../local/testkit/wait';
import { postDelivery, readCurrentSecret } from '../delivery';
import { UsageError } from '../errors';
import type { Io } from '../io';
import { displayStatus, LedgerReader } from '../ledger';
import { resolveTarget, TARGET_HELP, TARGET_OPTIONS, type Target, targetOptionsFrom } from '../target';
import { buildTestEvent, CATALOG_EVENT_TYPES, EVENT_TYPE_PATTERN } from '../test-event';
import { parseCommandArgs } from './parse';

export const SEND_TEST_EVENT_HELP = `Usage: fpt-webhooks send-test-event (--local | --stack NAME) [options]
       fpt-webhooks send-test-event --local --body FILE [--mark-test] [--subscription NAME] [--wait]

Sends one signed FPT event, as FPT would: a complete envelope with a fresh eventId, signed with the
subscription's secret read from Secrets Manager (never from the command line). The body is marked as a
test event ("fpt-webhook-receiver:test": true, inside the signature): handlers see ctx.isTest and the
example handlers skip their side effects (docs/handlers.md).

With --body FILE (local stack only), sends FILE's bytes instead, exactly as they are, signed with the
local subscription's secret: an event exported from production with fpt-webhooks events export, so
its handler runs locally on the real payload. Such a body is not marked as a test event, so the
handler sees what it saw in production (ctx.isTest false); --mark-test adds the marker (the body is
then re-serialized). An eventId the local ledger already holds is answered as a duplicate: restart
npm start to send it again.

Options:
  --type TYPE            event type (default contact.updated); one of:
                         ${CATALOG_EVENT_TYPES.join(', ')}
  --allow-unknown-type   allow a type outside the catalog (e.g. payment.succeeded), as FPT's roadmap events
  --subscription NAME    subscription to send to (default "default")
  --event-id ID          reuse this eventId (32 hex characters), e.g. to send a duplicate
  --body FILE            send FILE's exact bytes (with --local only; not with --type or --event-id)
  --mark-test            with --body: add the test-event marker to the body
  --wait                 wait until the event is processed, printing its progress
  --timeout SECONDS      how long --wait waits (default 30)
  --help                 show this help

${TARGET_HELP}

Exit codes: 0 accepted (and processed with --wait), 1 rejected, dead-lettered, timed out or unreachable,
2 bad command line.`;

const OPTIONS = {
  ...TARGET_OPTIONS,
  type: { type: 'string', default: 'contact.updated' },
  'allow-unknown-type': { type: 'boolean', default: false },
  subscription: { type: 'string', default: 'default' },
  'event-id': { type: 'string' },
  body: { type: 'string' },
  'mark-test': { type: 'boolean', default: false },
  wait: { type: 'boolean', default: false },
  timeout: { type: 'string', default: '30' },
  help: { type: 'boolean', default: false },
} as const;

function parseTimeout(raw: string): number {
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
    throw new UsageError(`--timeout must be a number of seconds from 1 to 3600, but "${raw}" was provided`);
  }
  return seconds;
}

function checkType(type: string, allowUnknown: boolean): void {
  if ((CATALOG_EVENT_TYPES as readonly string[]).includes(type)) return;
  if (allowUnknown && EVENT_TYPE_PATTERN.test(type)) return;
  if (allowUnknown) {
    throw new UsageError(`--type must look like <resource>.<verb> in lowercase, but "${type}" was provided`);
  }
  throw new UsageError(
    `--type must be one of ${CATALOG_EVENT_TYPES.join(', ')}, but "${type}" was provided (add --allow-unknown-type to send a type outside the catalog)`,
  );
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)}s`;

/** Polls the ledger until the event is processed; prints each status change. */
async function waitForProcessed(
  io: Io,
  target: Target,
  eventId: string,
  timeoutSeconds: number,
  startedAt: number,
): Promise<number> {
  const ledger = new LedgerReader(target);
  let last = '';
  let row: EventRow | undefined;
  try {
    io.out(`waiting for processed (up to ${timeoutSeconds} s)`);
    ({ value: row } = await pollUntil(
      async () => {
        const read = await ledger.get(eventId);
        const progress =
          read?.status === undefined
            ? 'not in the ledger yet'
            : `${displayStatus(read.status)}${read.attempts ? ` (attempt ${read.attempts})` : ''}`;
        if (progress !== last) {
          io.out(`  ${progress.padEnd(28)} ${seconds(Date.now() - startedAt)}`);
          last = progress;
        }
        return read;
      },
      (read) => read?.status === EVENT_STATUS.processed || read?.status === EVENT_STATUS.deadLettered,
      { deadline: startedAt + timeoutSeconds * 1000, intervalMs: 200 },
    ));
  } finally {
    ledger.close();
  }
  if (row?.status === EVENT_STATUS.processed) return 0;
  if (row?.status === EVENT_STATUS.deadLettered) {
    io.err(
      `event ${eventId} was dead-lettered: the handler kept failing (${row.lastError ?? 'unknown error'}); it is in the DLQ`,
    );
    return 1;
  }
  io.err(
    `timed out after ${timeoutSeconds} s waiting for event ${eventId} (last status: ${row?.status ?? 'none'})`,
  );
  return 1;
}

export async function sendTestEvent(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, 'send-test-event');
  if (values.help) {
    io.out(SEND_TEST_EVENT_HELP);
    return 0;
  }
  if (positionals.length > 0) {
    throw new UsageError(`send-test-event takes no arguments, but got "${positionals.join(' ')}"`);
  }
  const timeoutSeconds = parseTimeout(values.timeout);
  if (values.body !== undefined) return sendBodyFile(values, values.body, timeoutSeconds, io);
  if (values['mark-test']) throw new UsageError('--mark-test goes with --body FILE');
  const type = values.type;
  checkType(type, values['allow-unknown-type']);
  const eventIdOption = values['event-id'];
  if (eventIdOption !== undefined && !/^[0-9a-fA-F]{32}$/.test(eventIdOption)) {
    throw new UsageError(`--event-id must be 32 hex characters, but "${eventIdOption}" was provided`);
  }

  const target = await resolveTarget(targetOptionsFrom(values));
  const envelope = buildTestEvent(type, eventIdOption !== undefined ? { eventId: eventIdOption } : {});
  const body = Buffer.from(JSON.stringify(envelope), 'utf8');
  return signAndSend(
    io,
    target,
    values,
    { body, label: type, eventId: envelope.eventId.toLowerCase() },
    timeoutSeconds,
  );
}

interface SendOptions {
  readonly subscription: string;
  readonly wait: boolean;
}

/** Signs `body` with the subscription's current secret, POSTs it and, with --wait, follows it. */
async function signAndSend(
  io: Io,
  target: Target,
  options: SendOptions,
  delivery: { readonly body: Buffer; readonly label: string; readonly eventId: string | undefined },
  timeoutSeconds: number,
): Promise<number> {
  const url = target.webhookUrl(options.subscription);
  const secret = await readCurrentSecret(target, options.subscription);
  const signature = signPayload(secret, Math.floor(Date.now() / 1000), delivery.body);

  io.out(`POST ${url}  (${delivery.label}, ${target.description})`);
  const startedAt = Date.now();
  const response = await postDelivery(url, delivery.body, signature, target);
  const text = await response.text();
  io.out(`${response.status} ${response.statusText}  ${text}`);
  if (delivery.eventId !== undefined) io.out(`eventId ${delivery.eventId}`);
  if (response.status < 200 || response.status > 299) {
    io.err(`the receiver did not accept the event (HTTP ${response.status}); FPT would retry it`);
    return 1;
  }
  if (!options.wait) return 0;
  if (delivery.eventId === undefined) {
    io.err('cannot --wait: the body has no eventId to follow');
    return 1;
  }
  return waitForProcessed(io, target, delivery.eventId, timeoutSeconds, startedAt);
}

/** The eventId of a body, when it is a JSON object with a 32-hex `eventId`; the receiver judges the rest. */
function eventIdOf(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { eventId?: unknown };
    return typeof parsed?.eventId === 'string' && /^[0-9a-fA-F]{32}$/.test(parsed.eventId)
      ? parsed.eventId.toLowerCase()
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `--body FILE`: a real event's bytes, re-signed with the local secret. Local only: unmarked, a real
 * body runs the handler's real side effects, which belong on the partner's machine, not in production.
 */
async function sendBodyFile(
  values: SendOptions & {
    readonly local?: boolean;
    readonly type: string;
    readonly 'event-id'?: string;
    readonly 'allow-unknown-type': boolean;
    readonly 'mark-test': boolean;
  },
  file: string,
  timeoutSeconds: number,
  io: Io,
): Promise<number> {
  if (values.local !== true) {
    throw new UsageError(
      '--body sends a real event unmarked and goes with --local only (docs/decisions/0007-test-event-marker.md)',
    );
  }
  if (values['event-id'] !== undefined || values['allow-unknown-type'] || values.type !== 'contact.updated') {
    throw new UsageError(
      '--body sends the file as it is: --type, --event-id and --allow-unknown-type do not apply',
    );
  }
  let body: Buffer;
  try {
    body = readFileSync(file);
  } catch (error) {
    throw new UsageError(
      `cannot read --body ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  if (body.length > DEFAULTS.maxBodyBytes) {
    throw new UsageError(
      `--body ${file} is ${body.length} bytes; the receiver accepts at most ${DEFAULTS.maxBodyBytes} (256 KiB)`,
    );
  }
  if (values['mark-test']) body = withTestMarker(body, file);
  const target = await resolveTarget(targetOptionsFrom(values));
  const label = `${file}, ${body.length} bytes, ${values['mark-test'] ? 'marked as a test event' : 'unmarked'}`;
  return signAndSend(io, target, values, { body, label, eventId: eventIdOf(body) }, timeoutSeconds);
}

/** The body with the test-event marker added at the top level: re-serialized, so no longer byte-exact. */
function withTestMarker(body: Buffer, file: string): Buffer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new UsageError(`--mark-test needs a JSON body, but ${file} does not parse as JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`--mark-test needs a JSON object, but ${file} holds another JSON value`);
  }
  return Buffer.from(JSON.stringify({ ...parsed, [TEST_EVENT_MARKER]: true }), 'utf8');
}
