import { EVENT_STATUS, type EventRow } from '../../lambda/shared/ledger-schema';
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

Sends one signed FPT event, as FPT would: a complete envelope with a fresh eventId, signed with the
subscription's secret read from Secrets Manager (never from the command line). The body is marked as a
test event ("fpt-webhook-receiver:test": true, inside the signature): handlers see ctx.isTest and the
example handlers skip their side effects (docs/handlers.md).

Options:
  --type TYPE            event type (default contact.updated); one of:
                         ${CATALOG_EVENT_TYPES.join(', ')}
  --allow-unknown-type   allow a type outside the catalog (e.g. payment.succeeded), as FPT's roadmap events
  --subscription NAME    subscription to send to (default "default")
  --event-id ID          reuse this eventId (32 hex characters), e.g. to send a duplicate
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
  const type = values.type;
  checkType(type, values['allow-unknown-type']);
  const timeoutSeconds = parseTimeout(values.timeout);
  const eventIdOption = values['event-id'];
  if (eventIdOption !== undefined && !/^[0-9a-fA-F]{32}$/.test(eventIdOption)) {
    throw new UsageError(`--event-id must be 32 hex characters, but "${eventIdOption}" was provided`);
  }

  const target = await resolveTarget(targetOptionsFrom(values));
  const url = target.webhookUrl(values.subscription);
  const secret = await readCurrentSecret(target, values.subscription);

  const envelope = buildTestEvent(type, eventIdOption !== undefined ? { eventId: eventIdOption } : {});
  const body = JSON.stringify(envelope);
  const signature = signPayload(secret, Math.floor(Date.now() / 1000), body);

  io.out(`POST ${url}  (${type}, ${target.description})`);
  const startedAt = Date.now();
  const response = await postDelivery(url, body, signature, target);
  const text = await response.text();
  io.out(`${response.status} ${response.statusText}  ${text}`);
  io.out(`eventId ${envelope.eventId.toLowerCase()}`);
  if (response.status < 200 || response.status > 299) {
    io.err(`the receiver did not accept the event (HTTP ${response.status}); FPT would retry it`);
    return 1;
  }
  if (!values.wait) return 0;
  return waitForProcessed(io, target, envelope.eventId.toLowerCase(), timeoutSeconds, startedAt);
}
