import { randomUUID } from 'node:crypto';
import type { DynamoDbEffect } from '../../lambda/handlers/effects';
import type { ProcessorLedger } from '../../lambda/processor/process-record';
import { DEFAULT_PROCESSING_LEASE_SECONDS, DEFAULTS } from '../../lambda/shared/defaults';
import { EffectsRejectedError } from '../../lambda/shared/errors';
import {
  type ClaimInput,
  type ClaimResult,
  type CommitOutcome,
  effectProblems,
  type ParkInput,
  type ProcessingOutcome,
  type StartProcessingInput,
  type StartProcessingResult,
} from '../../lambda/shared/ledger';
import { type BodyNotKept, eventRowBody } from '../../lambda/shared/ledger/stored-body';
import { EVENT_STATUS, type EventStatus, listDayOf } from '../../lambda/shared/ledger-schema';
import type { LedgerPort } from '../../lambda/verifier/receive';

/**
 * An event row as the fake keeps it: the attributes of the real table's row (lambda/shared/ledger-schema.ts),
 * each present only when the real ledger would have written it. In particular a row the processor created
 * (its event's row had expired away, or the verifier released it) has `bodySha256` only when the message
 * carried one, as on the real table.
 */
export interface FakeRow {
  status: EventStatus;
  subscription?: string;
  eventType?: string;
  bodySha256?: string;
  /** The event's exact body, as the real ledger keeps it (lambda/shared/ledger/stored-body.ts). */
  rawBody?: string;
  rawBodyBase64?: string;
  bodyNotKept?: BodyNotKept;
  /** The list index's attributes (LEDGER.listIndex), written once, as on the real table. */
  receivedAt?: number;
  listDay?: string;
  contactId?: number;
  /** Epoch seconds after which the row counts as gone (DynamoDB TTL). */
  expiresAt?: number;
  leaseToken?: string;
  leaseExpiresAt?: number;
  enqueuedAt?: number;
  messageId?: string;
  processingToken?: string;
  processingExpiresAt?: number;
  attempts?: number;
  processedAt?: number;
  failedAt?: number;
  lastError?: string;
  /** As EventRow's replay attributes (lambda/shared/ledger-schema.ts). */
  replayCount?: number;
  replayDone?: number;
  lastReplayAt?: number;
  lastReplayReason?: string;
  lastReplayRun?: string;
}

export interface FakeLedgerOptions {
  /** @default EventLedger's: DEFAULTS.claimLeaseMs */
  readonly claimLeaseMs?: number;
  /** @default EventLedger's: the deployed processing lease */
  readonly processingLeaseMs?: number;
  /** @default 30 */
  readonly retentionDays?: number;
  /** The ledger's table name, which declared effects may not write to. @default 'fake-ledger' */
  readonly tableName?: string;
  /** As LedgerOptions.keepEventBodies. @default true */
  readonly keepEventBodies?: boolean;
}

type FailingOperation = 'claim' | 'release' | 'park' | 'guardOrdering' | 'commitProcessed';

/** Like startProcessing's if_not_exists: the list index's attributes a row lacks, from the message. */
function listedOnStart(row: FakeRow | undefined, input: StartProcessingInput): Partial<FakeRow> {
  if (input.receivedAt === undefined) return {};
  const contactId = row?.contactId ?? input.contactId;
  return {
    receivedAt: row?.receivedAt ?? input.receivedAt,
    listDay: row?.listDay ?? listDayOf(input.receivedAt),
    ...(contactId !== undefined ? { contactId } : {}),
  };
}

/**
 * The one in-memory ledger of the tests, with EventLedger's semantics for the verifier (conditional claim
 * with a lease that only the same body may take over, token-guarded release, parking by body hash) and the processor (PROCESSED
 * is final except to a requested replay, which runs once and never on a row it did not find, a live lease blocks others, finishing needs the lease token, the high-water mark never goes
 * down, and is judged and raised in one step). Each call is atomic, as a single DynamoDB write is, and yields once, as a network call would.
 *
 * test/support/ledger-contract.ts runs the same cases against this fake and against EventLedger on the
 * emulator, so the two cannot drift apart unnoticed.
 */
export class FakeLedger implements LedgerPort, ProcessorLedger {
  readonly rows = new Map<string, FakeRow>();
  readonly parked = new Map<
    string,
    { problems: readonly string[]; reason: string; rawBody: string; bytes: Buffer; contactId?: number }
  >();
  /** Keyed `<locationId>#<contactId>`. */
  readonly highWaterMarks = new Map<string, number>();
  readonly finishCalls: Array<{ eventId: string; status: EventStatus; error?: string }> = [];
  /** The next call of each operation named here throws the given error, once. */
  failNext: Partial<Record<FailingOperation, Error>> = {};
  /** Set to make finishProcessing report a lost lease. */
  loseLease = false;
  /**
   * Effects committed with PROCESSED, per commit. The fake checks the limits and the lease, as
   * EventLedger does, but does not evaluate the effects' own conditions: the emulator tests do.
   */
  readonly committedEffects: Array<{ eventId: string; effects: readonly DynamoDbEffect[] }> = [];
  readonly tableName: string;
  private readonly commitTokens = new Map<string, string>();
  readonly claimLeaseMs: number;
  private readonly processingLeaseMs: number;
  private readonly retentionSeconds: number;
  private readonly keepBodies: boolean;

  constructor(options: FakeLedgerOptions = {}) {
    this.claimLeaseMs = options.claimLeaseMs ?? DEFAULTS.claimLeaseMs;
    this.processingLeaseMs = options.processingLeaseMs ?? DEFAULT_PROCESSING_LEASE_SECONDS * 1000;
    this.retentionSeconds = (options.retentionDays ?? 30) * 24 * 60 * 60;
    this.tableName = options.tableName ?? 'fake-ledger';
    this.keepBodies = options.keepEventBodies ?? true;
  }

  /** Puts a row as it would stand in the table, e.g. an event another invocation is processing. */
  seed(eventId: string, row: FakeRow): void {
    this.rows.set(eventId, row);
  }

  private maybeFail(op: FailingOperation): void {
    const error = this.failNext[op];
    if (error) {
      delete this.failNext[op];
      throw error;
    }
  }

  private expiresAt(nowMs: number): number {
    return Math.floor(nowMs / 1000) + this.retentionSeconds;
  }

  async claim(input: ClaimInput): Promise<ClaimResult> {
    await Promise.resolve();
    this.maybeFail('claim');
    const existing = this.rows.get(input.eventId);
    const expired = existing?.expiresAt !== undefined && existing.expiresAt < Math.floor(input.nowMs / 1000);
    const sameBody = existing?.bodySha256 === undefined || existing.bodySha256 === input.bodySha256;
    const leaseOver =
      existing?.status === EVENT_STATUS.received &&
      existing.leaseExpiresAt !== undefined &&
      existing.leaseExpiresAt < input.nowMs &&
      sameBody;
    if (existing && !expired && !leaseOver) {
      if (existing.status === EVENT_STATUS.received && sameBody) return { kind: 'in_progress' };
      return { kind: 'duplicate', status: existing.status, sameBody };
    }
    const token = randomUUID();
    this.rows.set(input.eventId, {
      status: EVENT_STATUS.received,
      subscription: input.subscription,
      eventType: input.eventType,
      bodySha256: input.bodySha256,
      ...eventRowBody(input.rawBody, this.keepBodies),
      receivedAt: input.nowMs,
      listDay: listDayOf(input.nowMs),
      ...(input.contactId !== undefined ? { contactId: input.contactId } : {}),
      expiresAt: this.expiresAt(input.nowMs),
      leaseToken: token,
      leaseExpiresAt: input.nowMs + this.claimLeaseMs,
    });
    return { kind: 'claimed', token };
  }

  async release(eventId: string, token: string): Promise<void> {
    await Promise.resolve();
    this.maybeFail('release');
    const row = this.rows.get(eventId);
    if (row?.status === EVENT_STATUS.received && row.leaseToken === token) this.rows.delete(eventId);
  }

  async park(input: ParkInput): Promise<boolean> {
    await Promise.resolve();
    this.maybeFail('park');
    if (this.parked.has(input.bodySha256)) return false;
    this.parked.set(input.bodySha256, {
      problems: input.problems,
      reason: input.reason ?? 'invalid_envelope',
      ...(input.contactId !== undefined ? { contactId: input.contactId } : {}),
      rawBody: input.rawBody.toString('utf8'),
      bytes: Buffer.from(input.rawBody),
    });
    return true;
  }

  async getEvent(eventId: string): Promise<FakeRow | undefined> {
    await Promise.resolve();
    const row = this.rows.get(eventId);
    return row === undefined ? undefined : { ...row };
  }

  /**
   * As requestReplay's UpdateItem (lambda/shared/ledger/replay.ts) when its conditions hold: the next
   * replay number, recorded with its time, reason and run. Returns n.
   */
  requestReplay(eventId: string, request: { nowMs: number; reason?: string; run: string }): number {
    const row = this.rows.get(eventId);
    if (row === undefined) throw new Error(`no row for ${eventId}`);
    const replayCount = (row.replayCount ?? 0) + 1;
    this.rows.set(eventId, {
      ...row,
      replayCount,
      lastReplayAt: request.nowMs,
      lastReplayRun: request.run,
      ...(request.reason !== undefined ? { lastReplayReason: request.reason } : {}),
    });
    return replayCount;
  }

  async startProcessing(input: StartProcessingInput): Promise<StartProcessingResult> {
    await Promise.resolve();
    const row = this.rows.get(input.eventId);
    // As DynamoDB compares a missing attribute: a PROCESSING row without a lease end is never taken over.
    const leaseLive =
      row?.status === EVENT_STATUS.processing &&
      !(row.processingExpiresAt !== undefined && row.processingExpiresAt < input.nowMs);
    if (input.replay !== undefined) {
      // A replay takes only a row that holds its request and has not run it; it never creates one.
      if (row === undefined) return { kind: 'replay_refused', reason: 'row_missing' };
      if ((row.replayDone ?? 0) >= input.replay) return { kind: 'already_processed' };
      if ((row.replayCount ?? 0) < input.replay) return { kind: 'replay_refused', reason: 'not_requested' };
    } else if (row?.status === EVENT_STATUS.processed) {
      return { kind: 'already_processed' };
    }
    if (leaseLive) return { kind: 'in_progress' };
    const processingToken = randomUUID();
    const attempts = (row?.attempts ?? 0) + 1;
    // An update, not a put: the claim's attributes (bodySha256 among them) stay; a new row gets the
    // message's body hash when it carries one.
    const bodySha256 = row?.bodySha256 ?? input.bodySha256;
    // Like if_not_exists: a body only onto a row without one, and never a reason for not keeping it.
    const body =
      input.rawBody !== undefined &&
      this.keepBodies &&
      row?.rawBody === undefined &&
      row?.rawBodyBase64 === undefined
        ? eventRowBody(input.rawBody, true)
        : {};
    this.rows.set(input.eventId, {
      ...row,
      ...(bodySha256 !== undefined ? { bodySha256 } : {}),
      ...('bodyNotKept' in body ? {} : body),
      status: EVENT_STATUS.processing,
      processingToken,
      processingExpiresAt: input.nowMs + this.processingLeaseMs,
      attempts,
      subscription: row?.subscription ?? input.subscription,
      eventType: row?.eventType ?? input.eventType,
      ...listedOnStart(row, input),
      expiresAt: row?.expiresAt ?? this.expiresAt(input.nowMs),
    });
    return {
      kind: 'started',
      token: processingToken,
      attempts,
      ...(row ? { previousStatus: row.status } : {}),
      ...(row?.replayCount !== undefined ? { replayCount: row.replayCount } : {}),
      ...(input.replay !== undefined && row?.replayCount === input.replay
        ? {
            replayRequest: {
              ...(row.lastReplayAt !== undefined ? { requestedAt: row.lastReplayAt } : {}),
              ...(row.lastReplayReason !== undefined ? { reason: row.lastReplayReason } : {}),
            },
          }
        : {}),
    };
  }

  async finishProcessing(eventId: string, token: string, outcome: ProcessingOutcome): Promise<boolean> {
    await Promise.resolve();
    const error = 'error' in outcome ? outcome.error : undefined;
    this.finishCalls.push({ eventId, status: outcome.status, ...(error !== undefined ? { error } : {}) });
    const row = this.rows.get(eventId);
    if (
      this.loseLease ||
      row === undefined ||
      row.processingToken !== token ||
      row.status !== EVENT_STATUS.processing
    ) {
      return false;
    }
    const { processingExpiresAt: _lease, lastError: _previousError, ...rest } = row;
    const replayDone = outcome.status === EVENT_STATUS.processed ? outcome.replayDone : undefined;
    this.rows.set(
      eventId,
      error === undefined
        ? {
            ...rest,
            status: outcome.status,
            processedAt: outcome.nowMs,
            ...(replayDone !== undefined ? { replayDone } : {}),
          }
        : { ...rest, status: outcome.status, failedAt: outcome.nowMs, lastError: error },
    );
    return true;
  }

  async commitProcessed(
    eventId: string,
    token: string,
    nowMs: number,
    effects: readonly DynamoDbEffect[],
    replayDone?: number,
  ): Promise<CommitOutcome> {
    const problems = effectProblems(effects, this.tableName);
    if (problems.length > 0) throw new EffectsRejectedError(problems);
    await Promise.resolve();
    this.maybeFail('commitProcessed');
    // DynamoDB's ClientRequestToken: the same request again within 10 minutes succeeds and writes nothing.
    const request = JSON.stringify([eventId, nowMs, effects, replayDone]);
    const seen = this.commitTokens.get(token);
    if (seen !== undefined) {
      if (seen === request) return 'committed';
      throw Object.assign(new Error('idempotent parameter mismatch'), {
        name: 'IdempotentParameterMismatchException',
      });
    }
    const row = this.rows.get(eventId);
    if (this.loseLease || row?.processingToken !== token || row.status !== EVENT_STATUS.processing) {
      return 'lease_lost';
    }
    const { processingExpiresAt: _lease, lastError: _previousError, ...rest } = row;
    this.rows.set(eventId, {
      ...rest,
      status: EVENT_STATUS.processed,
      processedAt: nowMs,
      ...(replayDone !== undefined ? { replayDone } : {}),
    });
    this.committedEffects.push({ eventId, effects: [...effects] });
    this.commitTokens.set(token, request);
    return 'committed';
  }

  async getHighWaterMark(locationId: number, contactId: number | string): Promise<number | undefined> {
    await Promise.resolve();
    return this.highWaterMarks.get(`${locationId}#${contactId}`);
  }

  /** As EventLedger.guardOrdering: one atomic compare-and-raise of the contact's mark. */
  async guardOrdering(
    locationId: number,
    contactId: number | string,
    tsMs: number,
    _nowMs?: number,
  ): Promise<{ isStale: boolean; highWaterMarkMs?: number }> {
    await Promise.resolve();
    this.maybeFail('guardOrdering');
    const key = `${locationId}#${contactId}`;
    const current = this.highWaterMarks.get(key);
    if (current !== undefined && current > tsMs) return { isStale: true, highWaterMarkMs: current };
    this.highWaterMarks.set(key, tsMs);
    return { isStale: false, ...(current !== undefined ? { highWaterMarkMs: current } : {}) };
  }
}
