import { writeFileSync } from 'node:fs';
import { bodyBytesOf } from '../../lambda/shared/ledger';
import { CliError, UsageError } from '../errors';
import type { Io } from '../io';
import { eventIdArgument, missingBodyReason, readEventRow } from '../ledger';
import { resolveTarget, TARGET_HELP, TARGET_OPTIONS, targetOptionsFrom } from '../target';
import { parseCommandArgs } from './parse';

export const EVENTS_EXPORT_HELP = `Usage: fpt-webhooks events export <eventId> (--local | --stack NAME) [--out FILE]

Writes the exact body of one event as the ledger keeps it (the bytes FPT signed), to stdout or to
FILE, for example to debug a production event in the local stack:

  fpt-webhooks events export <eventId> --stack NAME --out event.json
  fpt-webhooks send-test-event --local --body event.json --wait

The body is personal data whenever FPT's payload is: keep the file where you keep the table's data.
Exit code 1 when the event is not in the ledger or its row holds no body (retention was off, config
keepEventBodies: false, or the row predates body retention).

Options:
  --out FILE   write the body to FILE (refused if FILE exists) instead of stdout; on a terminal,
               stdout shows the body with control characters escaped, so use --out or a pipe for
               the exact bytes
  --help       show this help

${TARGET_HELP}`;

const OPTIONS = {
  ...TARGET_OPTIONS,
  out: { type: 'string' },
  help: { type: 'boolean', default: false },
} as const;

export async function eventsExport(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, 'events export');
  if (values.help) {
    io.out(EVENTS_EXPORT_HELP);
    return 0;
  }
  const eventId = eventIdArgument(positionals, 'events export');
  if (values.out === undefined && io.writeOut === undefined) {
    throw new UsageError('this output cannot take the body as bytes: give --out FILE');
  }
  const target = await resolveTarget(targetOptionsFrom(values));
  const row = await readEventRow(target, eventId, io);
  if (row === undefined) return 1;
  let bytes: Buffer | undefined;
  try {
    bytes = bodyBytesOf(row);
  } catch (error) {
    throw new CliError(`event ${eventId}: ${(error as Error).message}`, { cause: error });
  }
  if (bytes === undefined) {
    io.err(`event ${eventId} has no stored body: ${missingBodyReason(row.bodyNotKept)}`);
    return 1;
  }
  if (values.out === undefined) {
    io.writeOut?.(bytes);
    return 0;
  }
  try {
    // 'wx': an existing file is never overwritten.
    writeFileSync(values.out, bytes, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'EEXIST'
        ? `${values.out} already exists: choose another --out, or remove it first`
        : `could not write ${values.out}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  io.err(`wrote ${bytes.length} bytes of event ${eventId} to ${values.out}`);
  return 0;
}
