import { UsageError } from '../errors';
import type { Io } from '../io';
import { eventIdArgument, formatRow, readEventRow, rowToJson } from '../ledger';
import { resolveTarget, TARGET_HELP, TARGET_OPTIONS, targetOptionsFrom } from '../target';
import { eventsExport } from './events-export';
import { eventsList } from './events-list';
import { eventsReplay } from './events-replay';
import { parseCommandArgs } from './parse';

export const EVENTS_HELP = `Usage: fpt-webhooks events <command>

Commands:
  get <eventId>   show one event's ledger row (status, attempts, timings)
  list            the most recent events, newest first (--status, --limit)
  export <eventId> write an event's exact stored body (to stdout or --out FILE)
  replay <eventId>... run the handler again for events, after a handler fix (--dry-run first)

Run fpt-webhooks events <command> --help for its options.`;

export const EVENTS_GET_HELP = `Usage: fpt-webhooks events get <eventId> (--local | --stack NAME) [--json]

Shows the ledger row of one event: status (received, processing, processed, failed, dead_lettered;
enqueued on rows of earlier versions), attempts and timings, and its replays when it was replayed
(replayCount, lastReplayAt, lastReplayReason; fpt-webhooks events replay). received means claimed by the verifier
and queued unless that delivery got no 2xx: the processor moves it on. Exit code 1 when the event is
not in the ledger.

Options:
  --json    print the row as JSON (the key pk is shown as eventId)
  --help    show this help

${TARGET_HELP}`;

const OPTIONS = {
  ...TARGET_OPTIONS,
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

async function eventsGet(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, 'events get');
  if (values.help) {
    io.out(EVENTS_GET_HELP);
    return 0;
  }
  const eventId = eventIdArgument(positionals, 'events get');
  const row = await readEventRow(await resolveTarget(targetOptionsFrom(values)), eventId, io);
  if (row === undefined) return 1;
  if (values.json) io.out(JSON.stringify(rowToJson(row), null, 2));
  else for (const line of formatRow(row)) io.out(line);
  return 0;
}

export async function events(argv: readonly string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.out(EVENTS_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'get') return eventsGet(rest, io);
  if (sub === 'list') return eventsList(rest, io);
  if (sub === 'export') return eventsExport(rest, io);
  if (sub === 'replay') return eventsReplay(rest, io);
  throw new UsageError(`unknown events command "${sub}" (see fpt-webhooks events --help)`);
}
