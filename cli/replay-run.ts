/**
 * The engine of `fpt-webhooks events replay`: a run replays a frozen list of event ids at a set rate,
 * keeps its state in a file so Ctrl-C (or a crash) can be resumed, and counts what it did.
 *
 * Nothing is replayed twice: each request is conditional on the row not naming this run already
 * (lambda/shared/ledger/replay.ts), and a resumed run re-sends a replay it requested but may not have
 * sent, whose copies the processor runs at most once. The state file only saves work, never decides it.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { replayMessage, requestReplay } from '../lambda/shared/ledger';
import { BODY_NOT_KEPT } from '../lambda/shared/ledger/stored-body';
import { EVENT_STATUS } from '../lambda/shared/ledger-schema';
import { CliError, UsageError } from './errors';

/** Where run states are kept: FPT_WEBHOOKS_STATE_DIR, else the XDG state folder. */
export const STATE_DIR_ENV = 'FPT_WEBHOOKS_STATE_DIR';

export function replayStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env[STATE_DIR_ENV];
  if (explicit !== undefined && explicit !== '') return explicit;
  const base = env.XDG_STATE_HOME || path.join(homedir(), '.local', 'state');
  return path.join(base, 'fpt-webhooks', 'replay-runs');
}

const RUN_ID = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;

/** A new run id: its UTC start time, readable, and random bits so two runs never share one. */
export function newRunId(nowMs: number): string {
  const stamp = new Date(nowMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export function checkRunId(raw: string): string {
  if (!RUN_ID.test(raw)) {
    throw new UsageError(
      `--resume takes a run id like 20260101T120000Z-0a1b2c (printed by the run), but "${raw}" was provided`,
    );
  }
  return raw;
}

/** What each selected event came to. */
export const OUTCOMES = [
  'replayed',
  'resent',
  'alreadyDone',
  'inFlight',
  'notFound',
  'noBodyDisabled',
  'noBodyTooLarge',
  'noBodyUnknown',
  'refused',
] as const;
export type Outcome = (typeof OUTCOMES)[number];
export type OutcomeCounts = Record<Outcome, number>;

/** Outcomes that leave the event without the replay it was selected for. */
export const UNREPLAYED: readonly Outcome[] = [
  'notFound',
  'noBodyDisabled',
  'noBodyTooLarge',
  'noBodyUnknown',
  'refused',
];

export const zeroCounts = (): OutcomeCounts =>
  Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as OutcomeCounts;

/** How many example event ids are kept per outcome, for the summary. */
const EXAMPLES_PER_OUTCOME = 5;

export interface ReplayRunState {
  readonly version: 1;
  readonly runId: string;
  readonly createdAt: string;
  readonly reason: string;
  /** The ledger table of the target the run was started against; a resume must name the same. */
  readonly tableName: string;
  /** The target's flags, for the resume command. */
  readonly targetFlags: string;
  /** How the events were chosen, for messages: `3 event ids` or the filter. */
  readonly selection: string;
  readonly eventIds: readonly string[];
  /** Index in eventIds of the next event to replay. */
  next: number;
  counts: OutcomeCounts;
  examples: Partial<Record<Outcome, string[]>>;
  /** Why events were refused (damaged body, over SQS's limit), per event, bounded. */
  refusals: Array<{ eventId: string; problem: string }>;
  finishedAt?: string;
}

export function statePath(dir: string, runId: string): string {
  return path.join(dir, `${runId}.json`);
}

/** Writes the state atomically (temporary file, then rename), readable by its owner only. */
export function saveState(dir: string, state: ReplayRunState): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = statePath(dir, state.runId);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}

export function loadState(dir: string, runId: string): ReplayRunState {
  const file = statePath(dir, runId);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? `no replay run ${runId} in ${dir} (runs are kept where they were started; ${STATE_DIR_ENV} sets the folder)`
        : `could not read ${file}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const state = JSON.parse(text) as ReplayRunState;
  if (state.version !== 1 || state.runId !== runId || !Array.isArray(state.eventIds)) {
    throw new CliError(`${file} is not a replay run state this version can resume`);
  }
  return { ...state, counts: { ...zeroCounts(), ...state.counts } };
}

/** What a dry run and the confirmation show of each selected event: never its body. */
export interface PreviewRow {
  readonly eventId: string;
  readonly status?: string;
  readonly eventType?: string;
  readonly subscription?: string;
  readonly receivedAt?: number;
  readonly bodyNotKept?: string;
  readonly replayCount?: number;
  readonly lastReplayAt?: number;
}

/** The outcome for a row that says why it holds no body (`bodyNotKept`); undefined when it does not say. */
function noBodyOutcome(bodyNotKept: string | undefined): Outcome | undefined {
  if (bodyNotKept === BODY_NOT_KEPT.disabled) return 'noBodyDisabled';
  if (bodyNotKept === BODY_NOT_KEPT.tooLarge) return 'noBodyTooLarge';
  return undefined;
}

/** What a replay would do to an event, judged from its preview row (a row older than body retention shows as replayable). */
export function previewOutcome(row: PreviewRow | undefined): Outcome {
  if (row === undefined) return 'notFound';
  if (row.status !== EVENT_STATUS.processed && row.status !== EVENT_STATUS.deadLettered) return 'inFlight';
  return noBodyOutcome(row.bodyNotKept) ?? 'replayed';
}

/** Set by Ctrl-C: the run finishes the event at hand, saves and stops. */
export interface StopSignal {
  readonly requested: boolean;
  /** Resolves when a stop is requested, so a wait for the rate ends at once. */
  readonly whenRequested: Promise<void>;
}

export interface ReplayRunDeps {
  readonly documents: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly tableName: string;
  readonly queueUrl: string;
  readonly stateDir: string;
  /** Events per second. */
  readonly rate: number;
  readonly stop: StopSignal;
  readonly now?: () => number;
  /** Called after each event, with the state. */
  readonly onProgress?: (state: ReplayRunState) => void;
}

export type RunEnd =
  | { readonly kind: 'finished' }
  | { readonly kind: 'interrupted' }
  /** A request or a send failed: the event at `next` is retried by a resume. */
  | { readonly kind: 'failed'; readonly eventId: string; readonly error: string };

/** How often the state file is written while a run goes (it is always written when it stops). */
const SAVE_EVERY_MS = 1000;

function record(state: ReplayRunState, eventId: string, outcome: Outcome): void {
  state.counts[outcome] += 1;
  const examples = state.examples[outcome] ?? [];
  if (examples.length < EXAMPLES_PER_OUTCOME) state.examples[outcome] = [...examples, eventId];
}

/**
 * One event: request the replay, then send its message. A failure of either throws, leaving the event
 * for a resume; a request recorded without its send is re-sent then, as the same replay number.
 */
async function replayOne(deps: ReplayRunDeps, state: ReplayRunState, eventId: string): Promise<void> {
  const now = deps.now ?? Date.now;
  const result = await requestReplay(
    { client: deps.documents, tableName: deps.tableName },
    { eventId, reason: state.reason, runId: state.runId, nowMs: now() },
  );
  let outcome: Outcome;
  switch (result.kind) {
    case 'not_found':
      return record(state, eventId, 'notFound');
    case 'in_flight':
      return record(state, eventId, 'inFlight');
    case 'no_body':
      return record(state, eventId, noBodyOutcome(result.bodyNotKept) ?? 'noBodyUnknown');
    case 'requested_by_this_run':
      if (result.done) return record(state, eventId, 'alreadyDone');
      outcome = 'resent';
      break;
    case 'requested':
      outcome = 'replayed';
      break;
  }
  const built = replayMessage(result.row, result.count);
  if ('problem' in built) {
    if (state.refusals.length < 100) state.refusals.push({ eventId, problem: built.problem });
    return record(state, eventId, 'refused');
  }
  await deps.sqs.send(
    new SendMessageCommand({
      QueueUrl: deps.queueUrl,
      MessageBody: built.message.body,
      MessageAttributes: built.message.attributes,
    }),
  );
  record(state, eventId, outcome);
}

/**
 * Replays the run's events from `state.next` on, at `deps.rate` per second, until the list ends, a stop
 * is requested (after the event at hand), or a request or send fails. The state is saved as it goes and
 * when it ends.
 */
export async function runReplay(deps: ReplayRunDeps, state: ReplayRunState): Promise<RunEnd> {
  const now = deps.now ?? Date.now;
  const intervalMs = 1000 / deps.rate;
  const startedAt = now();
  const firstIndex = state.next;
  let savedAt = now();
  try {
    while (state.next < state.eventIds.length) {
      if (deps.stop.requested) return { kind: 'interrupted' };
      const dueAt = startedAt + (state.next - firstIndex) * intervalMs;
      const wait = dueAt - now();
      if (wait > 0) {
        await Promise.race([new Promise((r) => setTimeout(r, wait)), deps.stop.whenRequested]);
        if (deps.stop.requested) return { kind: 'interrupted' };
      }
      const eventId = state.eventIds[state.next] as string;
      try {
        await replayOne(deps, state, eventId);
      } catch (error) {
        return { kind: 'failed', eventId, error: (error as Error).message ?? String(error) };
      }
      state.next += 1;
      deps.onProgress?.(state);
      if (now() - savedAt >= SAVE_EVERY_MS) {
        saveState(deps.stateDir, state);
        savedAt = now();
      }
    }
    state.finishedAt = new Date(now()).toISOString();
    return { kind: 'finished' };
  } finally {
    saveState(deps.stateDir, state);
  }
}
