import { randomUUID } from 'node:crypto';
import type { ClaimInput, ClaimResult } from '../../lambda/shared/ledger';
import { EVENT_STATUS, type EventStatus } from '../../lambda/shared/ledger-schema';

interface Row {
  status: EventStatus;
  bodySha256: string;
  leaseToken?: string;
  leaseExpiresAt?: number;
  messageId?: string;
}

/**
 * An in-memory ledger with the verifier-side semantics of EventLedger (conditional claim with a lease,
 * token-guarded release and markEnqueued). Each call is atomic, as a single DynamoDB write is.
 */
export class FakeLedger {
  readonly rows = new Map<string, Row>();
  readonly parked = new Map<string, { problems: readonly string[]; rawBody: string; bytes: Buffer }>();
  claimLeaseMs = 30_000;
  failNext: Partial<Record<'claim' | 'release' | 'markEnqueued' | 'park', Error>> = {};

  private maybeFail(op: keyof FakeLedger['failNext']): void {
    const error = this.failNext[op];
    if (error) {
      delete this.failNext[op];
      throw error;
    }
  }

  async claim(input: ClaimInput): Promise<ClaimResult> {
    await Promise.resolve();
    this.maybeFail('claim');
    const existing = this.rows.get(input.eventId);
    const leaseOver =
      existing?.status === EVENT_STATUS.received && (existing.leaseExpiresAt ?? 0) < input.nowMs;
    if (existing && !leaseOver) {
      if (existing.status === EVENT_STATUS.received) return { kind: 'in_progress' };
      return {
        kind: 'duplicate',
        status: existing.status,
        sameBody: existing.bodySha256 === input.bodySha256,
      };
    }
    const token = randomUUID();
    this.rows.set(input.eventId, {
      status: EVENT_STATUS.received,
      bodySha256: input.bodySha256,
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

  async markEnqueued(eventId: string, token: string, messageId: string): Promise<void> {
    await Promise.resolve();
    this.maybeFail('markEnqueued');
    const row = this.rows.get(eventId);
    if (row?.status === EVENT_STATUS.received && row.leaseToken === token) {
      row.status = EVENT_STATUS.enqueued;
      row.messageId = messageId;
      delete row.leaseExpiresAt;
    }
  }

  async park(input: { bodySha256: string; problems: readonly string[]; rawBody: Buffer }): Promise<boolean> {
    await Promise.resolve();
    this.maybeFail('park');
    if (this.parked.has(input.bodySha256)) return false;
    this.parked.set(input.bodySha256, {
      problems: input.problems,
      rawBody: input.rawBody.toString('utf8'),
      bytes: Buffer.from(input.rawBody),
    });
    return true;
  }
}
