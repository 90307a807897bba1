import { SQSClient } from '@aws-sdk/client-sqs';
import { CliError, UsageError } from '../errors';
import { confirm, type Io } from '../io';
import { queueFacts, redrive } from '../redrive';
import { resolveTarget, TARGET_HELP, TARGET_OPTIONS, targetOptionsFrom } from '../target';
import { parseCommandArgs } from './parse';

export const DLQ_HELP = `Usage: fpt-webhooks dlq <command>

Commands:
  redrive   move dead-lettered messages back to the work queue, so the processor tries them again

Run fpt-webhooks dlq redrive --help for its options.`;

export const DLQ_REDRIVE_HELP = `Usage: fpt-webhooks dlq redrive (--local | --stack NAME) [--max N] [--yes]

Moves messages from the dead-letter queue back to the work queue, printing progress and a count. Fix
what made them fail first (see fpt-webhooks events list --status DEAD_LETTERED), or they come back
after maxReceiveCount more tries.

It uses SQS's message move task where the endpoint has one (AWS). Otherwise (the local emulator), or
with --max, it receives, sends and deletes ten at a time, deleting a message only after its copy is in
the work queue: a failure can duplicate a message, which the processor's ledger makes harmless, but
never lose one.

Options:
  --max N   move at most N messages (1 to 100000)
  --yes     do not ask for confirmation (required when stdin is not a terminal)
  --help    show this help

${TARGET_HELP}

Exit codes: 0 moved (or nothing to move), 1 failed or some messages not moved, 2 bad command line.`;

const OPTIONS = {
  ...TARGET_OPTIONS,
  max: { type: 'string' },
  yes: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

function parseMax(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const max = Number(raw);
  if (!Number.isInteger(max) || max < 1 || max > 100_000) {
    throw new UsageError(`--max must be a whole number from 1 to 100000, but "${raw}" was provided`);
  }
  return max;
}

async function dlqRedrive(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, 'dlq redrive');
  if (values.help) {
    io.out(DLQ_REDRIVE_HELP);
    return 0;
  }
  if (positionals.length > 0) {
    throw new UsageError(`dlq redrive takes no arguments, but got "${positionals.join(' ')}"`);
  }
  const max = parseMax(values.max);
  const interactive = io.input?.isTTY === true;
  if (!values.yes && !interactive) {
    throw new UsageError(
      'dlq redrive asks for confirmation, but stdin is not a terminal: add --yes to run it unattended',
    );
  }
  const target = await resolveTarget(targetOptionsFrom(values));
  const sqs = new SQSClient(target.clientConfig);
  try {
    let dlq: Awaited<ReturnType<typeof queueFacts>>;
    let queue: Awaited<ReturnType<typeof queueFacts>>;
    try {
      [dlq, queue] = await Promise.all([
        queueFacts(sqs, target.deadLetterQueueUrl),
        queueFacts(sqs, target.queueUrl),
      ]);
    } catch (error) {
      throw new CliError(`could not read the queues: ${(error as Error).message ?? String(error)}`, {
        cause: error,
      });
    }
    if (dlq.visible === 0) {
      io.out(
        `the dead-letter queue is empty: nothing to redrive${dlq.inFlight > 0 ? ` (${dlq.inFlight} messages are in flight, being read by someone else)` : ''}`,
      );
      return 0;
    }
    const count =
      max === undefined ? `all ~${dlq.visible}` : `up to ${Math.min(max, dlq.visible)} of ~${dlq.visible}`;
    io.out(`dead-letter queue: ~${dlq.visible} messages (${target.description})`);
    if (!values.yes && !(await confirm(io, `move ${count} messages back to the work queue?`))) {
      io.out('nothing moved');
      return 1;
    }
    const result = await redrive({
      sqs,
      source: { url: target.deadLetterQueueUrl, arn: dlq.arn },
      destination: { url: target.queueUrl, arn: queue.arn },
      ...(max !== undefined ? { max } : {}),
      expected: dlq.visible,
      progress: (line) => io.out(line),
    });
    io.out(`moved ${result.moved} messages back to the work queue (${result.method})`);
    if (result.notDeleted > 0) {
      io.err(
        `${result.notDeleted} moved messages could not be deleted from the DLQ and will show up there again; the processor skips the copies it already processed`,
      );
    }
    if (result.notMoved > 0) {
      io.err(
        `${result.notMoved} messages could not be sent to the work queue; they stay in the DLQ (visible again within a minute): run dlq redrive again`,
      );
      return 1;
    }
    io.out(`watch them: npx fpt-webhooks events list ${target.flags} --status DEAD_LETTERED`);
    return 0;
  } catch (error) {
    if (error instanceof CliError || error instanceof UsageError) throw error;
    throw new CliError(`redrive failed: ${(error as Error).message ?? String(error)}`, { cause: error });
  } finally {
    sqs.destroy();
  }
}

export async function dlq(argv: readonly string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.out(DLQ_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'redrive') return dlqRedrive(rest, io);
  throw new UsageError(`unknown dlq command "${sub}"; commands: redrive (see fpt-webhooks dlq --help)`);
}
