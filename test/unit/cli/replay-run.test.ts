import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  checkRunId,
  loadState,
  newRunId,
  previewOutcome,
  type ReplayRunState,
  replayStateDir,
  STATE_DIR_ENV,
  saveState,
  statePath,
  zeroCounts,
} from '../../../cli/replay-run';
import { EVENT_STATUS } from '../../../lambda/shared/ledger-schema';

const state = (runId: string): ReplayRunState => ({
  version: 1,
  runId,
  createdAt: '2026-03-02T09:15:00.000Z',
  reason: 'fix',
  tableName: 'ledger',
  targetFlags: '--local',
  selection: '2 events',
  eventIds: ['a'.repeat(32), 'b'.repeat(32)],
  next: 1,
  counts: { ...zeroCounts(), replayed: 1 },
  examples: { replayed: ['a'.repeat(32)] },
  refusals: [],
});

describe('replay run state', () => {
  it('names a run by its UTC start time and random bits, in the form --resume accepts', () => {
    const first = newRunId(Date.UTC(2026, 2, 2, 9, 15, 0));
    const second = newRunId(Date.UTC(2026, 2, 2, 9, 15, 0));

    expect(first).toMatch(/^20260302T091500Z-[0-9a-f]{6}$/);
    expect(checkRunId(first)).toBe(first);
    expect(second).not.toBe(first);
  });

  it('keeps the state in a file only its owner can read, and reads it back', () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'replay-state-')), 'nested');
    const runId = newRunId(Date.now());

    saveState(dir, state(runId));

    expect(statSync(statePath(dir, runId)).mode & 0o777).toBe(0o600);
    expect(loadState(dir, runId)).toEqual(state(runId));
  });

  it('says where it looked when a run is unknown, and refuses a file that is not a run state', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'replay-state-'));
    const runId = newRunId(Date.now());
    writeFileSync(statePath(dir, runId), JSON.stringify({ version: 9 }));

    expect(() => loadState(dir, newRunId(0))).toThrow(`in ${dir}`);
    expect(() => loadState(dir, runId)).toThrow('is not a replay run state');
  });

  it('takes the folder from FPT_WEBHOOKS_STATE_DIR, else the XDG state folder', () => {
    expect(replayStateDir({ [STATE_DIR_ENV]: '/tmp/runs' })).toBe('/tmp/runs');
    expect(replayStateDir({ XDG_STATE_HOME: '/state' })).toBe('/state/fpt-webhooks/replay-runs');
  });
});

describe('previewOutcome', () => {
  it.each([
    ['no row', undefined, 'notFound'],
    ['a processed row', { status: EVENT_STATUS.processed }, 'replayed'],
    ['a dead-lettered row', { status: EVENT_STATUS.deadLettered }, 'replayed'],
    ['a row being processed', { status: EVENT_STATUS.processing }, 'inFlight'],
    ['a failed row (SQS retries it)', { status: EVENT_STATUS.failed }, 'inFlight'],
    [
      'a row kept without its body',
      { status: EVENT_STATUS.processed, bodyNotKept: 'disabled' },
      'noBodyDisabled',
    ],
    [
      'a row whose body was too large',
      { status: EVENT_STATUS.processed, bodyNotKept: 'too_large' },
      'noBodyTooLarge',
    ],
  ])('judges %s as %s', (_name, row, outcome) => {
    expect(previewOutcome(row === undefined ? undefined : { eventId: 'e', ...row })).toBe(outcome);
  });
});
