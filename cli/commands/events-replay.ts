import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { REPLAY_REASON_MAX_CHARS, replayReasonProblem } from '../../lambda/shared/ledger';
import { PARKED_STATUS } from '../../lambda/shared/ledger-schema';
import { CliError, UsageError } from '../errors';
import {
  EVENT_FILTER_HELP,
  EVENT_FILTER_OPTIONS,
  type EventFilter,
  eventFilterFlags,
  eventFilterFrom,
  readRows,
  type SelectionTable,
  selectEvents,
} from '../event-selection';
import { confirm, type Io } from '../io';
import { displayStatus, missingBodyReason, parseEventId } from '../ledger';
import {
  checkRunId,
  loadState,
  newRunId,
  type Outcome,
  type OutcomeCounts,
  type PreviewRow,
  previewOutcome,
  type ReplayRunState,
  type RunEnd,
  replayStateDir,
  runReplay,
  STATE_DIR_ENV,
  type StopSignal,
  saveState,
  UNREPLAYED,
  zeroCounts,
} from '../replay-run';
import { resolveTarget, TARGET_HELP, TARGET_OPTIONS, type Target, targetOptionsFrom } from '../target';
import { escapeControls } from '../terminal-text';
import { parseCommandArgs } from './parse';

/** More events than this need a confirmation at a terminal, or --yes. */
export const CONFIRM_ABOVE = 10;
/** Events per second unless --rate says otherwise. */
export const DEFAULT_REPLAY_RATE = 10;
const MAX_RATE = 500;
/** Events shown by a dry run and before the confirmation. */
const SAMPLE_SIZE = 10;
/** The most events one run takes: its ids are kept in the run's state file. */
export const MAX_SELECTION = 100_000;

export const EVENTS_REPLAY_HELP = `Usage: fpt-webhooks events replay <eventId>... (--local | --stack NAME) --reason TEXT [options]
       fpt-webhooks events replay --since TIME [filters] (--local | --stack NAME) --reason TEXT [options]
       fpt-webhooks events replay --resume RUN_ID (--local | --stack NAME) [--rate N]

Runs the handler again for events the ledger holds, after a handler bug is fixed and deployed: each
event's stored body is sent to the work queue again, exactly as the verifier first sent it, as an
explicit replay. The event's row records it (replayCount, lastReplayAt, lastReplayReason) and the
handler sees ctx.replay. PROCESSED and DEAD_LETTERED events can be replayed; an event still in flight
(received, processing, failed) is skipped, since its pending delivery runs the deployed handler anyway.
An event whose row holds no body (config keepEventBodies: false when it arrived) cannot be replayed.

Events are chosen by id, or by the filters below (the same as events list), oldest first. Start with
--dry-run. More than ${CONFIRM_ABOVE} events ask for confirmation (at a terminal) or need --yes.
Ctrl-C stops after the current event and prints the command that resumes the run; a resumed run never
replays an event twice (the ledger records which run requested each replay).

Options:
  --reason TEXT   why you replay (required; one line, at most ${REPLAY_REASON_MAX_CHARS} characters), recorded on each row
  --dry-run       print how many events would be replayed and a sample; change nothing
  --yes           do not ask for confirmation (required above ${CONFIRM_ABOVE} events when stdin is not a terminal)
  --rate N        events per second, 0.1 to ${MAX_RATE} (default ${DEFAULT_REPLAY_RATE}): replays share the processor with live traffic
  --resume RUN_ID continue an interrupted run (its events, reason and progress are kept in
                  ${STATE_DIR_ENV}, default ~/.local/state/fpt-webhooks/replay-runs)
  --json          print the summary as JSON on stdout (progress stays on stderr)
  --help          show this help

${EVENT_FILTER_HELP}

${TARGET_HELP}

Exit codes: 0 every selected event was replayed (or is in flight), 1 some could not be (not found, no
body kept) or the run failed, 2 bad command line, 130 stopped by Ctrl-C (resumable).`;

const OPTIONS = {
  ...TARGET_OPTIONS,
  ...EVENT_FILTER_OPTIONS,
  reason: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  yes: { type: 'boolean', default: false },
  rate: { type: 'string' },
  resume: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

function parseRate(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_REPLAY_RATE;
  const rate = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !(rate >= 0.1 && rate <= MAX_RATE)) {
    throw new UsageError(
      `--rate must be a number of events per second from 0.1 to ${MAX_RATE}, but "${raw}" was provided`,
    );
  }
  return rate;
}

function parseReason(raw: string | undefined): string {
  if (raw === undefined) {
    throw new UsageError(
      '--reason TEXT is required: say why these events are replayed (e.g. "contact.updated handler fix, PR 123"); it is recorded on each event',
    );
  }
  const problem = replayReasonProblem(raw);
  if (problem !== undefined) throw new UsageError(`--reason: ${problem}`);
  return raw.trim();
}

/** The event ids given as arguments: 32 hex characters each, lowercased as the ledger keys them, once each. */
function eventIdArguments(positionals: readonly string[]): string[] {
  const ids: string[] = [];
  for (const raw of positionals) {
    const id = parseEventId(raw);
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

/** Plural-aware "1 event" / "3 events". */
const events = (n: number) => `${n} event${n === 1 ? '' : 's'}`;

/** Each outcome in words, for the preview and the summary. */
const OUTCOME_TEXT: Record<Outcome, string> = {
  replayed: 'replayed',
  resent: 're-sent after a resume (requested before the stop)',
  alreadyDone: 'already replayed by this run',
  inFlight:
    'skipped, in flight: a pending delivery runs the deployed handler (received, processing or failed)',
  notFound: 'skipped, not in the ledger (never arrived, or its row expired)',
  noBodyDisabled: `skipped, no body kept: ${missingBodyReason('disabled').replace('it arrived', 'they arrived')}`,
  noBodyTooLarge: 'skipped, no body kept: too large to keep in one ledger row',
  noBodyUnknown: `skipped, no body kept: ${missingBodyReason(undefined).replace('it arrived', 'they arrived')}`,
  refused: 'not replayed: the stored body cannot be sent as the verifier sent it',
};

const iso = (ms: number | undefined) =>
  ms === undefined ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function sampleLines(eventIds: readonly string[], rows: ReadonlyMap<string, PreviewRow>): string[] {
  const cell = (v: unknown) => (v === undefined ? '-' : escapeControls(String(v)));
  const lines = [
    `  ${'EVENT ID'.padEnd(34)}${'STATUS'.padEnd(15)}${'TYPE'.padEnd(27)}${'RECEIVED (UTC)'.padEnd(22)}REPLAYS`,
  ];
  for (const id of eventIds.slice(0, SAMPLE_SIZE)) {
    const row = rows.get(id);
    lines.push(
      `  ${id.padEnd(34)}${cell(row?.status === undefined ? 'not found' : displayStatus(row.status)).padEnd(15)}${cell(row?.eventType).padEnd(27)}${iso(row?.receivedAt).padEnd(22)}${cell(row?.replayCount ?? (row ? 0 : undefined))}`,
    );
  }
  if (eventIds.length > SAMPLE_SIZE) lines.push(`  ... and ${eventIds.length - SAMPLE_SIZE} more`);
  return lines;
}

function countLines(counts: OutcomeCounts, indent = '  '): string[] {
  const width = Math.max(...Object.values(counts).map((n) => String(n).length));
  return (Object.keys(OUTCOME_TEXT) as Outcome[])
    .filter((o) => counts[o] > 0)
    .map((o) => `${indent}${String(counts[o]).padStart(width)}  ${OUTCOME_TEXT[o]}`);
}

/** Progress on stderr: a bar redrawn in place at a terminal, a plain line every few seconds elsewhere. */
function progressReporter(io: Io, firstIndex: number) {
  const startedAt = Date.now();
  let lastLine = 0;
  let lastDraw = 0;
  return (state: ReplayRunState): void => {
    const now = Date.now();
    const total = state.eventIds.length;
    const done = state.next;
    const skipped = done - state.counts.replayed - state.counts.resent - state.counts.alreadyDone;
    const perSecond = (done - firstIndex) / Math.max((now - startedAt) / 1000, 0.001);
    const left = perSecond > 0 ? Math.ceil((total - done) / perSecond) : 0;
    const eta = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
    const text = `${done}/${total}  replayed ${state.counts.replayed + state.counts.resent}  skipped ${skipped}  ${perSecond.toFixed(1)}/s  ETA ${eta}`;
    if (io.status !== undefined) {
      if (now - lastDraw < 100 && done < total) return;
      lastDraw = now;
      const width = 24;
      const filled = Math.round((done / Math.max(total, 1)) * width);
      io.status(`[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}`);
    } else if (now - lastLine >= 5000 || done === total) {
      lastLine = now;
      io.err(`replay: ${text}`);
    }
  };
}

/** A stop signal that Ctrl-C sets; a second Ctrl-C exits at once (the ledger still prevents doubles). */
function interruptOnSigint(io: Io): { stop: StopSignal; dispose: () => void } {
  let resolve: () => void = () => {};
  const whenRequested = new Promise<void>((r) => {
    resolve = r;
  });
  const stop = { requested: false, whenRequested };
  const onSigint = () => {
    if (stop.requested) process.exit(130);
    stop.requested = true;
    io.status?.(undefined);
    io.err('stopping after the current event (Ctrl-C again to quit at once)...');
    resolve();
  };
  process.on('SIGINT', onSigint);
  return { stop, dispose: () => process.off('SIGINT', onSigint) };
}

function resumeCommand(state: ReplayRunState): string {
  return `npx fpt-webhooks events replay --resume ${state.runId} ${state.targetFlags}`;
}

function exitCodeOf(end: RunEnd, counts: OutcomeCounts): number {
  if (end.kind === 'interrupted') return 130;
  if (end.kind === 'failed') return 1;
  return UNREPLAYED.some((o) => counts[o] > 0) ? 1 : 0;
}

function report(io: Io, state: ReplayRunState, end: RunEnd, json: boolean): number {
  const code = exitCodeOf(end, state.counts);
  if (json) {
    io.out(
      JSON.stringify({
        runId: state.runId,
        status: end.kind,
        selection: state.selection,
        reason: state.reason,
        selected: state.eventIds.length,
        processed: state.next,
        counts: state.counts,
        examples: state.examples,
        refusals: state.refusals,
        ...(end.kind === 'failed' ? { error: end.error, failedEventId: end.eventId } : {}),
        ...(end.kind !== 'finished' ? { resume: resumeCommand(state) } : {}),
      }),
    );
  } else {
    const head =
      end.kind === 'finished'
        ? `replay run ${state.runId} finished`
        : end.kind === 'interrupted'
          ? `replay run ${state.runId} stopped by Ctrl-C after ${state.next} of ${events(state.eventIds.length)}`
          : `replay run ${state.runId} stopped at event ${end.eventId}: ${end.error}`;
    io.out(head);
    for (const line of countLines(state.counts)) io.out(line);
    for (const o of UNREPLAYED.filter((x) => (state.examples[x]?.length ?? 0) > 0 && x !== 'refused')) {
      io.out(`  ${o === 'notFound' ? 'not found' : 'no body'}, e.g.: ${state.examples[o]?.join(' ')}`);
    }
    for (const r of state.refusals.slice(0, 5)) io.out(`  refused ${r.eventId}: ${r.problem}`);
    if (end.kind === 'finished' && state.counts.noBodyDisabled > 0) {
      io.out(
        '  to replay future events, keep their bodies: config keepEventBodies: true (the default), then cdk deploy',
      );
    }
  }
  if (end.kind !== 'finished') io.err(`resume with: ${resumeCommand(state)}`);
  else if (!json && state.counts.replayed + state.counts.resent > 0) {
    io.out(
      `check an event: npx fpt-webhooks events get <eventId> ${state.targetFlags}  (replayCount, status)`,
    );
  }
  return code;
}

async function execute(
  io: Io,
  target: Target,
  state: ReplayRunState,
  rate: number,
  json: boolean,
): Promise<number> {
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient(target.clientConfig));
  const sqs = new SQSClient(target.clientConfig);
  const { stop, dispose } = interruptOnSigint(io);
  const left = state.eventIds.length - state.next;
  io.err(
    `replay run ${state.runId}: ${events(left)} at ${rate}/s on ${target.description}; Ctrl-C stops after the current event`,
  );
  const progress = progressReporter(io, state.next);
  try {
    const end = await runReplay(
      {
        documents,
        sqs,
        tableName: target.tableName,
        queueUrl: target.queueUrl,
        stateDir: replayStateDir(),
        rate,
        stop,
        onProgress: progress,
      },
      state,
    );
    io.status?.(undefined);
    return report(io, state, end, json);
  } finally {
    dispose();
    documents.destroy();
    sqs.destroy();
  }
}

async function resume(values: { resume: string; rate?: string; json: boolean }, io: Io, target: Target) {
  const dir = replayStateDir();
  const state = loadState(dir, checkRunId(values.resume));
  if (state.tableName !== target.tableName) {
    throw new UsageError(
      `run ${state.runId} replayed events of ledger table ${state.tableName}, but this target's table is ${target.tableName}: give the run's target (${state.targetFlags})`,
    );
  }
  if (state.finishedAt !== undefined) {
    io.err(`run ${state.runId} already finished at ${state.finishedAt}; nothing left to replay`);
    return report(io, state, { kind: 'finished' }, values.json);
  }
  return execute(io, target, state, parseRate(values.rate), values.json);
}

/** The filter flags; any of them selects by filter instead of by id. */
const FILTER_FLAGS = Object.keys(EVENT_FILTER_OPTIONS) as Array<keyof typeof EVENT_FILTER_OPTIONS>;

/** A filter in words, with its times resolved: a run replays what it selected when it started. */
function describeFilter(filter: EventFilter): string {
  return eventFilterFlags(filter).join(' ');
}

const previewRow = (eventId: string, row: Record<string, unknown>): PreviewRow => ({
  eventId,
  ...(typeof row.status === 'string' ? { status: row.status } : {}),
  ...(typeof row.eventType === 'string' ? { eventType: row.eventType } : {}),
  ...(typeof row.subscription === 'string' ? { subscription: row.subscription } : {}),
  ...(typeof row.receivedAt === 'number' ? { receivedAt: row.receivedAt } : {}),
  ...(typeof row.bodyNotKept === 'string' ? { bodyNotKept: row.bodyNotKept } : {}),
  ...(typeof row.replayCount === 'number' ? { replayCount: row.replayCount } : {}),
});

/** The rows of events given by id (BatchGetItem); an id with no row is absent from the map. */
async function previewByIds(
  table: { client: DynamoDBDocumentClient; tableName: string },
  ids: readonly string[],
): Promise<Map<string, PreviewRow>> {
  const rows = await readRows(table, ids);
  return new Map([...rows].map(([id, row]) => [id, previewRow(id, row)]));
}

/** The events a filter selects through the list index, oldest first, with progress on stderr. */
async function selectByFilter(
  io: Io,
  table: SelectionTable,
  filter: EventFilter,
): Promise<{ eventIds: string[]; rows: Map<string, PreviewRow> }> {
  const rows = new Map<string, PreviewRow>();
  let lastLine = Date.now();
  for await (const event of selectEvents(table, filter, {
    order: 'oldest',
    onProgress: ({ daysQueried, daysTotal, matched }) => {
      const text = `selecting: ${daysQueried} of ${daysTotal} days read, ${events(matched)} so far`;
      if (io.status !== undefined) io.status(text);
      else if (Date.now() - lastLine >= 5000) {
        lastLine = Date.now();
        io.err(text);
      }
    },
  })) {
    rows.set(event.eventId, previewRow(event.eventId, event as unknown as Record<string, unknown>));
    if (rows.size > MAX_SELECTION) {
      throw new UsageError(
        `the filters select more than ${MAX_SELECTION} events, more than one run takes: narrow them (--since/--until, --type), and replay in several runs`,
      );
    }
  }
  io.status?.(undefined);
  return { eventIds: [...rows.keys()], rows };
}

export async function eventsReplay(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, 'events replay');
  if (values.help) {
    io.out(EVENTS_REPLAY_HELP);
    return 0;
  }
  if (values.resume !== undefined) {
    const extra = [
      ...(positionals.length > 0 ? ['event ids'] : []),
      ...FILTER_FLAGS.filter((flag) => values[flag] !== undefined).map((flag) => `--${flag}`),
      ...(values.reason !== undefined ? ['--reason'] : []),
      ...(values['dry-run'] ? ['--dry-run'] : []),
    ];
    if (extra.length > 0) {
      throw new UsageError(`--resume continues a run as it was started: drop ${extra.join(', ')}`);
    }
    checkRunId(values.resume);
    parseRate(values.rate);
    const target = await resolveTarget(targetOptionsFrom(values));
    return resume(
      {
        resume: values.resume,
        ...(values.rate !== undefined ? { rate: values.rate } : {}),
        json: values.json,
      },
      io,
      target,
    );
  }

  const filtered = FILTER_FLAGS.filter((flag) => values[flag] !== undefined);
  if (positionals.length > 0 && filtered.length > 0) {
    throw new UsageError(
      `give eventIds or filters (--${filtered.join(', --')}), not both (see fpt-webhooks events replay --help)`,
    );
  }
  const ids = eventIdArguments(positionals);
  const nowMs = Date.now();
  const filter = filtered.length > 0 ? eventFilterFrom(values, nowMs) : undefined;
  if (ids.length === 0 && filter === undefined) {
    throw new UsageError(
      'give the eventIds to replay, or filters such as --since 24h --type contact.updated (see fpt-webhooks events replay --help)',
    );
  }
  if (filter?.statuses?.includes(PARKED_STATUS)) {
    throw new UsageError(
      '--status invalid_envelope selects parked deliveries, which were never processed and cannot be replayed',
    );
  }
  const dryRun = values['dry-run'];
  const reason = dryRun && values.reason === undefined ? '' : parseReason(values.reason);
  const rate = parseRate(values.rate);
  const target = await resolveTarget(targetOptionsFrom(values));

  const documents = DynamoDBDocumentClient.from(new DynamoDBClient(target.clientConfig));
  let eventIds: string[];
  let rows: Map<string, PreviewRow>;
  try {
    ({ eventIds, rows } =
      filter !== undefined
        ? await selectByFilter(
            io,
            {
              client: documents,
              tableName: target.tableName,
              ...(target.ledgerRetentionDays !== undefined
                ? { retentionDays: target.ledgerRetentionDays }
                : {}),
            },
            filter,
          )
        : {
            eventIds: ids,
            rows: await previewByIds({ client: documents, tableName: target.tableName }, ids),
          });
  } catch (error) {
    if (error instanceof CliError || error instanceof UsageError) throw error;
    throw new CliError(
      `could not read ledger table ${target.tableName}: ${(error as Error).message ?? String(error)}`,
      { cause: error },
    );
  } finally {
    documents.destroy();
  }
  const selection = filter !== undefined ? `by filter: ${describeFilter(filter)}` : 'by id';
  if (eventIds.length === 0) {
    io.out(`no events match ${selection} on ${target.description}: nothing to replay`);
    return 0;
  }
  const preview = zeroCounts();
  for (const id of eventIds) preview[previewOutcome(rows.get(id))] += 1;
  const replayable = preview.replayed;

  if (dryRun) {
    if (values.json) {
      io.out(
        JSON.stringify({
          dryRun: true,
          selected: eventIds.length,
          counts: preview,
          sample: eventIds.slice(0, SAMPLE_SIZE).map((id) => rows.get(id) ?? { eventId: id }),
        }),
      );
      return 0;
    }
    io.out(
      `dry run on ${target.description}: ${events(eventIds.length)} selected (${selection}), ${replayable} would be replayed`,
    );
    for (const line of countLines({ ...preview, replayed: 0 })) io.out(line);
    for (const line of sampleLines(eventIds, rows)) io.out(line);
    io.out('nothing was replayed. Without --dry-run (and with --reason TEXT) it replays them.');
    return 0;
  }

  if (replayable === 0) {
    io.err(`nothing to replay: none of the ${events(eventIds.length)} selected can be replayed`);
    for (const line of countLines(preview)) io.err(line);
    if (preview.noBodyDisabled > 0) {
      io.err(
        'their rows hold no body because body retention was off (config keepEventBodies: false): an event can only be replayed if its body was kept when it arrived',
      );
    }
    return 1;
  }

  if (eventIds.length > CONFIRM_ABOVE && !values.yes) {
    if (io.input?.isTTY !== true) {
      throw new UsageError(
        `${events(eventIds.length)} selected, more than ${CONFIRM_ABOVE}: confirm at a terminal, or add --yes (try --dry-run first)`,
      );
    }
    io.out(`${events(eventIds.length)} selected on ${target.description}, ${replayable} can be replayed:`);
    for (const line of sampleLines(eventIds, rows)) io.out(line);
    if (!(await confirm(io, `replay ${events(replayable)} (reason: ${reason})?`))) {
      io.out('nothing replayed');
      return 1;
    }
  }

  const state: ReplayRunState = {
    version: 1,
    runId: newRunId(nowMs),
    createdAt: new Date(nowMs).toISOString(),
    reason,
    tableName: target.tableName,
    targetFlags: target.flags,
    selection,
    eventIds,
    next: 0,
    counts: zeroCounts(),
    examples: {},
    refusals: [],
  };
  saveState(replayStateDir(), state);
  return execute(io, target, state, rate, values.json);
}
