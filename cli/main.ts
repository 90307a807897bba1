import { acceptance } from './commands/acceptance';
import { dlq } from './commands/dlq';
import { doctor } from './commands/doctor';
import { events } from './commands/events-get';
import { local } from './commands/local';
import { secret } from './commands/secret';
import { sendTestEvent } from './commands/send-test-event';
import { CliError, UsageError } from './errors';
import { type Io, processIo } from './io';
import { terminalSafeIo } from './terminal-text';

export const MAIN_HELP = `Usage: fpt-webhooks <command> [options]

Tools for the FPT webhook receiver.

Commands:
  secret set <sub>  store a new FPT signing secret, read from stdin (after Rotate Key in FPT)
  secret status     per subscription: configured, when set, previous secret's grace, rotation due
  send-test-event   send one signed test event (optionally wait until it is processed)
  events get <id>   show an event's ledger row
  events list       events newest first, by time, type, status, subscription or contact (paged)
  events export     write an event's exact stored body (to stdout or --out FILE)
  events replay     run the handler again for events after a fix (by id; --dry-run, --resume)
  dlq redrive       move dead-lettered messages back to the work queue
  doctor            check secrets, endpoints, alarm subscribers and the dead-letter queue
  acceptance        after cdk deploy and every change: end-to-end checks with marked test events
  local             run the receiver on this machine (emulator, live view) with your --handlers FILE

Run fpt-webhooks <command> --help for details. Every command needs a target: --local (npm start) or
--stack NAME (a deployed stack); local runs the local stack itself. Reference: docs/cli.md`;

type Command = (argv: readonly string[], io: Io) => Promise<number>;

const COMMANDS: Readonly<Record<string, Command>> = {
  secret,
  'send-test-event': sendTestEvent,
  events,
  dlq,
  doctor: (argv, io) => doctor(argv, io),
  acceptance,
  local: (argv, io) => local(argv, io),
};

/**
 * Runs the CLI and returns the exit code: 0 success, 1 the command failed, 2 bad command line.
 * Never throws.
 */
export async function main(argv: readonly string[], rawIo: Io = processIo): Promise<number> {
  // Commands print stored and received data (event fields, parked bodies, AWS messages): none of it may
  // reach the operator's terminal as a control sequence.
  const io = terminalSafeIo(rawIo);
  // Node 20 is supported; the SDK's notice about its future Node 22 floor is noise in a CLI's output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      io.out(MAIN_HELP);
      return name === undefined ? 2 : 0;
    }
    if (name === '--version') {
      io.out('fpt-webhooks (fpt-webhook-receiver)');
      return 0;
    }
    const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (command === undefined) {
      // Echoed only when it looks like a command name: anything else may be a misplaced secret.
      const shown = /^[a-z][a-z-]{0,30}$/.test(name) ? ` "${name}"` : '';
      throw new UsageError(
        `unknown command${shown}; commands: ${Object.keys(COMMANDS).join(', ')} (see fpt-webhooks --help)`,
      );
    }
    return await command(rest, io);
  } catch (error) {
    if (error instanceof UsageError || error instanceof CliError) {
      io.err(`error: ${error.message}`);
      return error.exitCode;
    }
    io.err(`error: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
}
