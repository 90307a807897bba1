import type { SQSRecord } from 'aws-lambda';
import { EVENT_STATUS, type EventRow, MESSAGE_ATTRIBUTES } from '../lambda/shared/ledger-schema';
import type { LogRecord } from './log-capture';
import type { BatchResult } from './poller';
import { escapeControls } from './terminal-text';

/** What the server saw of one verifier invocation. */
export interface VerifierOutcome {
  /** When the request reached the local API (epoch ms). */
  readonly arrivedAt: number;
  readonly subscription: string | undefined;
  readonly statusCode: number;
  /** The verifier's response body: a small fixed JSON document, never the request body. */
  readonly responseBody?: string;
  readonly logs: readonly LogRecord[];
  /** Set when the handler threw or timed out (API Gateway answers 500). */
  readonly error?: unknown;
}

export interface DeliveryViewOptions {
  /** Prints one finished line. */
  readonly write: (line: string) => void;
  /** Reads a ledger row; stage timings come from it. */
  readonly readRow: (eventId: string) => Promise<EventRow | undefined>;
  /**
   * How long an accepted delivery's line waits for the processor before it is printed without it.
   * @default 10_000
   */
  readonly holdMs?: number;
  /** @default false */
  readonly color?: boolean;
}

interface Pending {
  readonly arrivedAt: number;
  readonly subscription: string;
  readonly eventId: string;
  /** Resolves once the ledger row (verified/queued times, eventType) has been read. */
  readonly ready: Promise<EventRow | undefined>;
  timer?: NodeJS.Timeout;
}

const ANSI = { red: '31', green: '32', yellow: '33', dim: '2' } as const;

const pad2 = (n: number) => String(n).padStart(2, '0');
function clock(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** `+12ms`, `+1.2s`: time since the delivery arrived. */
export function formatOffset(ms: number): string {
  const value = Math.max(0, ms);
  return value < 1000 ? `+${Math.round(value)}ms` : `+${(value / 1000).toFixed(1)}s`;
}

/** Path segments are attacker-controlled text: print only a short, printable version. */
function printable(text: string | undefined, width: number): string {
  if (text === undefined || text === '') return '-';
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > width ? `${clean.slice(0, width - 1)}~` : clean;
}

function parseBody(body: string | undefined): { status?: string; eventId?: string } {
  if (body === undefined) return {};
  try {
    const parsed = JSON.parse(body) as { status?: unknown; eventId?: unknown };
    return {
      ...(typeof parsed.status === 'string' ? { status: parsed.status } : {}),
      ...(typeof parsed.eventId === 'string' && /^[0-9a-f]{32}$/.test(parsed.eventId)
        ? { eventId: parsed.eventId }
        : {}),
    };
  } catch {
    return {};
  }
}

/** The verifier logs `reason` on every rejection, and `error.name` on a 500. */
function reasonFrom(logs: readonly LogRecord[]): string | undefined {
  for (const record of logs) {
    if (typeof record.reason === 'string') return record.reason;
  }
  for (const record of logs) {
    const error = record.error as { name?: unknown } | undefined;
    if (error !== undefined && typeof error.name === 'string') return error.name;
  }
  return undefined;
}

/**
 * The live terminal view of `npm start`: one line per delivery with its stages and timings, rendered
 * from what the local API and poller observe (status codes, the verifier's logs, ledger rows).
 * It never prints a signature, secret or body.
 */
export class DeliveryView {
  private readonly pending = new Map<string, Pending>();
  private readonly holdMs: number;

  constructor(private readonly options: DeliveryViewOptions) {
    this.holdMs = options.holdMs ?? 10_000;
  }

  private paint(code: keyof typeof ANSI, text: string): string {
    return this.options.color === true ? `\u001b[${ANSI[code]}m${text}\u001b[0m` : text;
  }

  private line(
    at: number,
    eventId: string | undefined,
    eventType: string | undefined,
    subscription: string | undefined,
    stages: string,
  ): void {
    const id = eventId === undefined ? '--------' : eventId.slice(0, 8);
    this.options.write(
      `${this.paint('dim', clock(at))}  ${id}  ${printable(eventType, 25).padEnd(25)}  ${printable(subscription, 16).padEnd(16)}  ${stages}`,
    );
  }

  /** Records what the verifier did with one request. Resolves when its line is printed or held. */
  async verifierDone(outcome: VerifierOutcome): Promise<void> {
    const { status, eventId } = parseBody(outcome.responseBody);
    const reason = reasonFrom(outcome.logs);
    const subscription = outcome.subscription;

    if (outcome.statusCode === 202 && status === 'accepted' && eventId !== undefined) {
      const entry: Pending = {
        arrivedAt: outcome.arrivedAt,
        subscription: subscription ?? '-',
        eventId,
        ready: this.options.readRow(eventId).catch(() => undefined),
      };
      this.pending.set(eventId, entry);
      entry.timer = setTimeout(() => {
        void this.flushOne(eventId, this.paint('yellow', 'waiting for the processor'));
      }, this.holdMs);
      entry.timer.unref();
      return;
    }

    if (outcome.statusCode === 200 && status === 'duplicate' && eventId !== undefined) {
      const row = await this.options.readRow(eventId).catch(() => undefined);
      const known = row?.status === undefined ? '' : `, already ${row.status}`;
      this.line(
        outcome.arrivedAt,
        eventId,
        row?.eventType,
        subscription,
        this.paint('yellow', `duplicate (200${known})`),
      );
      return;
    }
    if (outcome.statusCode === 202 && status === 'parked') {
      this.line(
        outcome.arrivedAt,
        undefined,
        undefined,
        subscription,
        this.paint('yellow', 'parked (authentic, invalid envelope)'),
      );
      return;
    }
    if (outcome.statusCode === 409) {
      this.line(
        outcome.arrivedAt,
        eventId,
        undefined,
        subscription,
        this.paint('yellow', 'in progress (409, sender retries)'),
      );
      return;
    }
    const why = reason ?? (outcome.error instanceof Error ? outcome.error.name : undefined);
    const label = outcome.statusCode >= 500 ? 'error' : 'rejected';
    this.line(
      outcome.arrivedAt,
      undefined,
      undefined,
      subscription,
      this.paint(
        'red',
        `${label} ${outcome.statusCode}${why === undefined ? '' : ` (${escapeControls(why)})`}`,
      ),
    );
  }

  /**
   * `verified` is the ledger claim time (taken right after the signature matched), `queued` the ledger's
   * enqueuedAt or, when the processor moved the row on first, the message's SQS SentTimestamp.
   */
  private stagesUpToQueued(entry: Pending, row: EventRow | undefined, sentTimestamp?: number): string {
    const parts = ['received'];
    if (row?.receivedAt !== undefined)
      parts.push(`verified ${formatOffset(row.receivedAt - entry.arrivedAt)}`);
    else parts.push('verified');
    const queuedAt = row?.enqueuedAt ?? sentTimestamp;
    if (queuedAt !== undefined) parts.push(`queued ${formatOffset(queuedAt - entry.arrivedAt)}`);
    else parts.push('queued');
    return parts.join(' → ');
  }

  private async flushOne(eventId: string, last: string): Promise<void> {
    const entry = this.pending.get(eventId);
    if (entry === undefined) return;
    this.pending.delete(eventId);
    clearTimeout(entry.timer);
    const row = await entry.ready;
    this.line(
      entry.arrivedAt,
      eventId,
      row?.eventType,
      entry.subscription,
      `${this.stagesUpToQueued(entry, row)} → ${last}`,
    );
  }

  /** Prints every held line now (on shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending.keys()].map((id) => this.flushOne(id, 'not processed yet')));
  }

  /** Records one processor invocation: one line per record. */
  async batchDone(result: BatchResult): Promise<void> {
    for (const record of result.records) {
      await this.recordDone(record, result);
    }
  }

  private async recordDone(record: SQSRecord, result: BatchResult): Promise<void> {
    const eventId = record.messageAttributes?.[MESSAGE_ATTRIBUTES.eventId]?.stringValue;
    const subscription = record.messageAttributes?.[MESSAGE_ATTRIBUTES.subscription]?.stringValue;
    const eventType = record.messageAttributes?.[MESSAGE_ATTRIBUTES.eventType]?.stringValue;
    const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? 1);
    const sent = Number(record.attributes?.SentTimestamp);
    const sentTimestamp = Number.isFinite(sent) && sent > 0 ? sent : undefined;
    if (eventId === undefined || !/^[0-9a-f]{32}$/.test(eventId)) {
      const failed = result.failedMessageIds.has(record.messageId);
      this.line(
        result.endedAt,
        undefined,
        undefined,
        subscription,
        this.paint('red', `${failed ? 'failed' : 'processed'} (unreadable message, receive ${receiveCount})`),
      );
      return;
    }
    const entry = this.pending.get(eventId);
    if (entry !== undefined) {
      clearTimeout(entry.timer);
      await entry.ready;
    }
    const row = await this.options.readRow(eventId).catch(() => undefined);
    const attempt = row?.attempts ?? receiveCount;
    // A replay (fpt-webhooks events replay) is sent by the CLI, not the verifier: it has no request line.
    // Printed only as the number the processor accepts: an attribute is not trusted terminal text.
    const replayRaw = record.messageAttributes?.[MESSAGE_ATTRIBUTES.replay]?.stringValue;
    const replay =
      replayRaw === undefined ? undefined : /^[1-9][0-9]{0,15}$/.test(replayRaw) ? replayRaw : '?';
    let outcome: string;
    let at: number | undefined;
    if (!result.failedMessageIds.has(record.messageId)) {
      if (row?.status === EVENT_STATUS.processed && (row.processedAt ?? 0) < result.startedAt) {
        outcome = this.paint(
          'yellow',
          replay !== undefined
            ? `replay ${replay}: duplicate (already run)`
            : 'duplicate (already processed)',
        );
      } else if (replay !== undefined) {
        outcome = this.paint('green', `replay ${replay} processed`);
        at = row?.processedAt;
      } else {
        outcome = this.paint('green', attempt > 1 ? `processed (attempt ${attempt})` : 'processed');
        at = row?.processedAt;
      }
    } else if (replay !== undefined && (row === undefined || (row.replayCount ?? 0) < Number(replay))) {
      // The processor refuses it (docs/architecture.md, "Replay"); the queue moves it to the DLQ.
      outcome = this.paint('red', 'refused (not in the ledger)');
    } else if (result.invocationError !== undefined) {
      const name = result.invocationError instanceof Error ? result.invocationError.name : 'error';
      outcome = this.paint('red', `failed (attempt ${attempt}, invocation ${escapeControls(name)})`);
    } else if (row?.status === EVENT_STATUS.deadLettered) {
      outcome = this.paint('red', `dead-lettered (attempt ${attempt})`);
    } else if (row?.status === EVENT_STATUS.processing) {
      outcome = this.paint('yellow', 'retry (another invocation holds the event)');
    } else {
      outcome = this.paint('red', `failed (attempt ${attempt})`);
    }
    if (replay !== undefined && result.failedMessageIds.has(record.messageId)) {
      outcome = `${this.paint('red', `replay ${replay}:`)} ${outcome}`;
    }

    if (entry !== undefined && this.pending.get(eventId) === entry) {
      this.pending.delete(eventId);
      const first = await entry.ready;
      const timing = at === undefined ? '' : ` ${formatOffset(at - entry.arrivedAt)}`;
      this.line(
        entry.arrivedAt,
        eventId,
        row?.eventType ?? first?.eventType ?? eventType,
        entry.subscription,
        `${this.stagesUpToQueued(entry, first, sentTimestamp)} → ${outcome}${timing}`,
      );
      return;
    }
    this.line(result.endedAt, eventId, row?.eventType ?? eventType, subscription, outcome);
  }
}
