import { randomUUID } from 'node:crypto';
import type { DynamoDbEffect, UpdateEffectProps } from '../../lambda/handlers/effects';
import type { ProcessorLedger } from '../../lambda/processor/process-record';
import { DEFAULTS } from '../../lambda/shared/defaults';
import { EffectsRejectedError } from '../../lambda/shared/errors';
import { BODY_NOT_KEPT, bodyBytesOf, MAX_STORED_BODY_BYTES } from '../../lambda/shared/ledger';
import { EVENT_STATUS, type EventStatus } from '../../lambda/shared/ledger-schema';
import type { LedgerPort } from '../../lambda/verifier/receive';

/** What both the fake and EventLedger offer, and what the contract reads back. */
export interface ContractLedger extends LedgerPort, ProcessorLedger {
  /** The ledger's table, which declared effects may not write to. */
  readonly tableName: string;
  getHighWaterMark(locationId: number, contactId: number | string): Promise<number | undefined>;
  getEvent(eventId: string): Promise<
    | {
        readonly status: EventStatus;
        readonly bodySha256?: string;
        readonly attempts?: number;
        readonly lastError?: string;
        readonly rawBody?: string;
        readonly rawBodyBase64?: string;
        readonly bodyNotKept?: string;
        readonly receivedAt?: number;
        readonly listDay?: string;
        readonly contactId?: number;
        readonly replayCount?: number;
        readonly replayDone?: number;
        readonly processedAt?: number;
      }
    | undefined
  >;
}

/** A replay's request as the contract makes it (CONTRACT.md: requestReplay's UpdateItem). */
export interface ContractReplayRequest {
  readonly nowMs: number;
  readonly reason: string;
  readonly run: string;
}

/**
 * How the contract requests a replay of a settled event (one that holds its body) on the default
 * ledger's table: replayCount + 1 and lastReplay*, as requestReplay (lambda/shared/ledger/replay.ts)
 * writes them. Resolves to the replay number n.
 */
export type ContractReplays = (eventId: string, request: ContractReplayRequest) => Promise<number>;

/** How a case asks for a ledger other than the default one. */
export interface ContractLedgerOptions {
  /** As LedgerOptions.keepEventBodies. */
  readonly keepEventBodies?: boolean;
}

/** The leases and retention every ledger under contract is built with. */
export const CONTRACT_OPTIONS = {
  claimLeaseMs: 30_000,
  processingLeaseMs: 60_000,
  retentionDays: 15,
} as const;

const T0 = Date.parse('2026-11-28T12:00:00.000Z');
const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);
const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_BODY = DEFAULTS.maxBodyBytes;

/** A fresh eventId per case, so the cases can share one table. */
const newEventId = (): string => randomUUID().replaceAll('-', '');

const claimInput = (eventId: string, bodySha256: string, nowMs: number) => ({
  eventId,
  subscription: 'default',
  eventType: 'contact.updated',
  eventTimestamp: new Date(T0).toISOString(),
  locationId: 1234,
  bodySha256,
  nowMs,
});

const startInput = (eventId: string, nowMs: number) => ({
  eventId,
  subscription: 'default',
  eventType: 'contact.updated',
  nowMs,
});

/** Where the contract's declared effects go, and how it reads back what they wrote. */
export interface ContractEffects {
  /** A table other than the ledger's, keyed on `pk` (a string). */
  readonly tableName: string;
  /** The `count` attribute of the effects table's item `pk`: how many committed effects added to it. */
  count(pk: string): Promise<number | undefined>;
}

/** An update that adds 1 to `count` of item `pk`: applied twice, it would show 2. */
export const countingUpdate = (tableName: string, pk: string): UpdateEffectProps => ({
  tableName,
  key: { pk },
  updateExpression: 'ADD #count :one',
  expressionAttributeNames: { '#count': 'count' },
  expressionAttributeValues: { ':one': 1 },
});

/** {@link countingUpdate} as a declared effect. */
export const countingEffect = (tableName: string, pk: string): DynamoDbEffect => ({
  kind: 'update',
  props: countingUpdate(tableName, pk),
});

/**
 * The ledger's contract: the same cases for the in-memory FakeLedger (test/unit/shared/ledger-contract.test.ts)
 * and for EventLedger on the emulator (test/integration/ledger-contract.test.ts). A case that passes for
 * one and fails for the other is a fake that no longer tells the truth.
 */
export function describeLedgerContract(
  name: string,
  ledgerFor: (options?: ContractLedgerOptions) => ContractLedger,
  effectsFor: () => ContractEffects,
  replaysFor: () => ContractReplays,
): void {
  describe(`ledger contract: ${name}`, () => {
    let ledger: ContractLedger;
    let effects: ContractEffects;
    let requestReplay: ContractReplays;
    beforeEach(() => {
      ledger = ledgerFor();
      effects = effectsFor();
      requestReplay = replaysFor();
    });

    describe('commit with declared effects', () => {
      const started = async (eventId: string, nowMs = T0) => {
        const lease = await ledger.startProcessing(startInput(eventId, nowMs));
        if (lease.kind !== 'started') throw new Error('lease not granted');
        return lease.token;
      };

      it('writes the effects and PROCESSED together, after which the event is never started again', async () => {
        const eventId = newEventId();
        const token = await started(eventId);

        const outcome = await ledger.commitProcessed(eventId, token, T0 + 1, [
          countingEffect(effects.tableName, eventId),
        ]);

        expect(outcome).toBe('committed');
        expect(await ledger.getEvent(eventId)).toMatchObject({ status: EVENT_STATUS.processed });
        expect(await effects.count(eventId)).toBe(1);
        expect(await ledger.startProcessing(startInput(eventId, T0 + 2))).toEqual({
          kind: 'already_processed',
        });
      });

      it('writes nothing and reports lease_lost when another invocation has taken the event over', async () => {
        const eventId = newEventId();
        const stale = await started(eventId);
        const owner = await started(eventId, T0 + CONTRACT_OPTIONS.processingLeaseMs + 1);

        const outcome = await ledger.commitProcessed(
          eventId,
          stale,
          T0 + CONTRACT_OPTIONS.processingLeaseMs + 2,
          [countingEffect(effects.tableName, eventId)],
        );

        expect(outcome).toBe('lease_lost');
        expect(await effects.count(eventId)).toBeUndefined();
        expect(await ledger.getEvent(eventId)).toMatchObject({ status: EVENT_STATUS.processing });
        expect(
          await ledger.commitProcessed(eventId, owner, T0 + CONTRACT_OPTIONS.processingLeaseMs + 3, [
            countingEffect(effects.tableName, eventId),
          ]),
        ).toBe('committed');
        expect(await effects.count(eventId)).toBe(1);
      });

      it('applies a commit sent twice with the same token (an SDK retry after a lost answer) once', async () => {
        const eventId = newEventId();
        const token = await started(eventId);
        const declared = [countingEffect(effects.tableName, eventId)];

        await ledger.commitProcessed(eventId, token, T0 + 1, declared);
        const replay = await ledger.commitProcessed(eventId, token, T0 + 1, declared);

        expect(replay).toBe('committed');
        expect(await effects.count(eventId)).toBe(1);
      });

      it('never replaces a committed PROCESSED with a failure recorded under the same token', async () => {
        const eventId = newEventId();
        const token = await started(eventId);
        await ledger.commitProcessed(eventId, token, T0 + 1, [countingEffect(effects.tableName, eventId)]);

        const failed = await ledger.finishProcessing(eventId, token, {
          status: EVENT_STATUS.failed,
          nowMs: T0 + 2,
          error: 'TimeoutError',
        });

        expect(failed).toBe(false);
        expect(await ledger.getEvent(eventId)).toMatchObject({ status: EVENT_STATUS.processed });
      });

      it('refuses, before writing anything, more effects than fit beside the transition, two on one item, or one on the ledger', async () => {
        const eventId = newEventId();
        const token = await started(eventId);
        const many = Array.from({ length: 100 }, (_, i) =>
          countingEffect(effects.tableName, `${eventId}-${i}`),
        );
        const twice = [
          countingEffect(effects.tableName, eventId),
          countingEffect(effects.tableName, eventId),
        ];

        await expect(ledger.commitProcessed(eventId, token, T0 + 1, many)).rejects.toThrow(
          EffectsRejectedError,
        );
        await expect(ledger.commitProcessed(eventId, token, T0 + 1, twice)).rejects.toThrow(
          'effects 0 and 1 act on the same item',
        );
        await expect(
          ledger.commitProcessed(eventId, token, T0 + 1, [
            { kind: 'put', props: { tableName: ledger.tableName, item: { pk: `x${eventId}` } } },
          ]),
        ).rejects.toThrow('writes to the event ledger table');
        expect(await effects.count(eventId)).toBeUndefined();
        expect(await effects.count(`${eventId}-0`)).toBeUndefined();
        expect(await ledger.getEvent(eventId)).toMatchObject({ status: EVENT_STATUS.processing });
      });
    });

    describe('claim', () => {
      it('claims a new eventId once; a second claim while the lease runs is in progress', async () => {
        const eventId = newEventId();

        const first = await ledger.claim(claimInput(eventId, HASH_A, T0));
        const second = await ledger.claim(claimInput(eventId, HASH_A, T0 + 1_000));

        expect(first.kind).toBe('claimed');
        expect(second).toEqual({ kind: 'in_progress' });
        expect(await ledger.getEvent(eventId)).toMatchObject({
          status: EVENT_STATUS.received,
          bodySha256: HASH_A,
        });
      });

      it('lets a delivery claim again once the previous claim lease has run out', async () => {
        const eventId = newEventId();
        await ledger.claim(claimInput(eventId, HASH_A, T0));

        const retry = await ledger.claim(claimInput(eventId, HASH_A, T0 + CONTRACT_OPTIONS.claimLeaseMs + 1));

        expect(retry.kind).toBe('claimed');
      });

      it('answers a claim of a queued event as a duplicate with the same body, or a different one', async () => {
        const eventId = newEventId();
        const claim = await ledger.claim(claimInput(eventId, HASH_A, T0));
        if (claim.kind !== 'claimed') throw new Error('first claim not granted');
        await ledger.startProcessing(startInput(eventId, T0 + 10));

        const same = await ledger.claim(claimInput(eventId, HASH_A, T0 + 20));
        const different = await ledger.claim(claimInput(eventId, HASH_B, T0 + 30));

        expect(same).toEqual({ kind: 'duplicate', status: EVENT_STATUS.processing, sameBody: true });
        expect(different).toEqual({ kind: 'duplicate', status: EVENT_STATUS.processing, sameBody: false });
      });

      it('never lets another body take over a claimed row, while its lease runs or after', async () => {
        // The claim is the verifier's only write: a RECEIVED row may be queued already. Another body under
        // the same eventId is answered as a duplicate of another body (the verifier parks it), never queued.
        const eventId = newEventId();
        await ledger.claim(claimInput(eventId, HASH_A, T0));

        const during = await ledger.claim(claimInput(eventId, HASH_B, T0 + 1_000));
        const after = await ledger.claim(claimInput(eventId, HASH_B, T0 + CONTRACT_OPTIONS.claimLeaseMs + 1));

        expect(during).toEqual({ kind: 'duplicate', status: EVENT_STATUS.received, sameBody: false });
        expect(after).toEqual({ kind: 'duplicate', status: EVENT_STATUS.received, sameBody: false });
        expect(await ledger.getEvent(eventId)).toMatchObject({ bodySha256: HASH_A });
      });

      it('claims anew an eventId whose row is past its retention', async () => {
        const eventId = newEventId();
        const claim = await ledger.claim(claimInput(eventId, HASH_A, T0));
        if (claim.kind !== 'claimed') throw new Error('first claim not granted');
        await ledger.startProcessing(startInput(eventId, T0 + 10));

        const later = await ledger.claim(
          claimInput(eventId, HASH_A, T0 + (CONTRACT_OPTIONS.retentionDays + 1) * DAY_MS),
        );

        expect(later.kind).toBe('claimed');
      });
    });

    describe('release', () => {
      it('frees the eventId on release with the claim token, so the retry claims it at once', async () => {
        const eventId = newEventId();
        const claim = await ledger.claim(claimInput(eventId, HASH_A, T0));
        if (claim.kind !== 'claimed') throw new Error('first claim not granted');

        await ledger.release(eventId, claim.token);

        expect(await ledger.getEvent(eventId)).toBeUndefined();
        expect((await ledger.claim(claimInput(eventId, HASH_A, T0 + 1))).kind).toBe('claimed');
      });

      it('keeps the claim when release comes with another token', async () => {
        const eventId = newEventId();
        await ledger.claim(claimInput(eventId, HASH_A, T0));

        await ledger.release(eventId, 'not-the-token');

        expect(await ledger.getEvent(eventId)).toMatchObject({ status: EVENT_STATUS.received });
      });

      it('leaves a row the processor has moved on alone when release comes late', async () => {
        const eventId = newEventId();
        const claim = await ledger.claim(claimInput(eventId, HASH_A, T0));
        if (claim.kind !== 'claimed') throw new Error('first claim not granted');
        await ledger.startProcessing(startInput(eventId, T0 + 5));

        await ledger.release(eventId, claim.token);

        expect(await ledger.getEvent(eventId)).toMatchObject({ status: EVENT_STATUS.processing });
      });
    });

    describe('body hash', () => {
      it('gives a row the processor created the message body hash: the same bytes are a duplicate, others a different body', async () => {
        // The processor creates the row when there is none: the verifier released its claim because
        // SendMessage's answer was lost although the message was queued, or the row expired away.
        const eventId = newEventId();
        const started = await ledger.startProcessing({ ...startInput(eventId, T0), bodySha256: HASH_A });
        if (started.kind !== 'started') throw new Error('lease not granted');
        await ledger.finishProcessing(eventId, started.token, {
          status: EVENT_STATUS.processed,
          nowMs: T0 + 1,
        });

        const row = await ledger.getEvent(eventId);
        const same = await ledger.claim(claimInput(eventId, HASH_A, T0 + 2));
        const different = await ledger.claim(claimInput(eventId, HASH_B, T0 + 3));

        expect(row).toMatchObject({ status: EVENT_STATUS.processed, bodySha256: HASH_A });
        expect(same).toEqual({ kind: 'duplicate', status: EVENT_STATUS.processed, sameBody: true });
        expect(different).toEqual({ kind: 'duplicate', status: EVENT_STATUS.processed, sameBody: false });
      });

      it('never reports a different body for a row without a body hash (a message from before fpt-body-sha256)', async () => {
        const eventId = newEventId();
        const started = await ledger.startProcessing(startInput(eventId, T0));
        if (started.kind !== 'started') throw new Error('lease not granted');
        await ledger.finishProcessing(eventId, started.token, {
          status: EVENT_STATUS.processed,
          nowMs: T0 + 1,
        });

        const row = await ledger.getEvent(eventId);
        const claim = await ledger.claim(claimInput(eventId, HASH_A, T0 + 2));

        expect(row?.status).toBe(EVENT_STATUS.processed);
        expect(row?.bodySha256).toBeUndefined();
        expect(claim).toEqual({ kind: 'duplicate', status: EVENT_STATUS.processed, sameBody: true });
      });

      it('keeps the claimed body hash when the message carries another one', async () => {
        const eventId = newEventId();
        const claim = await ledger.claim(claimInput(eventId, HASH_A, T0));
        if (claim.kind !== 'claimed') throw new Error('first claim not granted');

        await ledger.startProcessing({ ...startInput(eventId, T0 + 1), bodySha256: HASH_B });

        expect((await ledger.getEvent(eventId))?.bodySha256).toBe(HASH_A);
      });

      it('keeps the claimed body hash through processing, so a retry of the same bytes is the same body', async () => {
        const eventId = newEventId();
        const claim = await ledger.claim(claimInput(eventId, HASH_A, T0));
        if (claim.kind !== 'claimed') throw new Error('first claim not granted');
        const started = await ledger.startProcessing(startInput(eventId, T0 + 2));
        if (started.kind !== 'started') throw new Error('lease not granted');
        await ledger.finishProcessing(eventId, started.token, {
          status: EVENT_STATUS.processed,
          nowMs: T0 + 3,
        });

        const retry = await ledger.claim(claimInput(eventId, HASH_A, T0 + 4));

        expect((await ledger.getEvent(eventId))?.bodySha256).toBe(HASH_A);
        expect(retry).toEqual({ kind: 'duplicate', status: EVENT_STATUS.processed, sameBody: true });
      });
    });

    describe('event body', () => {
      // FPT-sized, with characters of two, three and four UTF-8 bytes.
      const fptBody = Buffer.from(
        JSON.stringify({
          eventId: 'x',
          eventType: 'contact.updated',
          data: { firstName: 'Zoë', note: '₂ 🏋️' },
        }),
        'utf8',
      );

      it('keeps the exact body of a claimed event as text on its row', async () => {
        const eventId = newEventId();
        await ledger.claim({ ...claimInput(eventId, HASH_A, T0), rawBody: fptBody });

        const row = await ledger.getEvent(eventId);

        expect(row?.rawBody).toBe(fptBody.toString('utf8'));
        expect(bodyBytesOf(row ?? {})?.equals(fptBody)).toBe(true);
        expect(row?.bodyNotKept).toBeUndefined();
      });

      it('keeps a 256 KiB body, as text when it is UTF-8 and as base64 when it is not, byte for byte', async () => {
        // The largest body the verifier accepts. Four-byte characters fill the text; 0xff bytes are
        // never valid UTF-8, so that body is stored as base64 (349,528 bytes) and must still fit.
        const text = Buffer.from('🏋'.repeat(MAX_BODY / 4), 'utf8');
        const binary = Buffer.alloc(MAX_BODY, 0xff);
        const textId = newEventId();
        const binaryId = newEventId();

        await ledger.claim({ ...claimInput(textId, HASH_A, T0), rawBody: text });
        await ledger.claim({ ...claimInput(binaryId, HASH_B, T0), rawBody: binary });
        const textRow = await ledger.getEvent(textId);
        const binaryRow = await ledger.getEvent(binaryId);

        expect(text.length).toBe(MAX_BODY);
        expect(bodyBytesOf(textRow ?? {})?.equals(text)).toBe(true);
        expect(textRow?.rawBodyBase64).toBeUndefined();
        expect(binaryRow?.rawBodyBase64?.length).toBe(349_528);
        expect(bodyBytesOf(binaryRow ?? {})?.equals(binary)).toBe(true);
      });

      it('claims a body too large to keep in one row, and records on the row why it has none', async () => {
        const eventId = newEventId();
        const tooLarge = Buffer.alloc(MAX_STORED_BODY_BYTES, 'a');

        const claim = await ledger.claim({ ...claimInput(eventId, HASH_A, T0), rawBody: tooLarge });
        const row = await ledger.getEvent(eventId);

        expect(claim.kind).toBe('claimed');
        expect(row).toMatchObject({ status: EVENT_STATUS.received, bodyNotKept: BODY_NOT_KEPT.tooLarge });
        expect(bodyBytesOf(row ?? {})).toBeUndefined();
      });

      it('gives a row the processor created the message body, and never replaces the claimed body', async () => {
        const created = newEventId();
        const claimed = newEventId();
        await ledger.claim({ ...claimInput(claimed, HASH_A, T0), rawBody: fptBody });

        await ledger.startProcessing({ ...startInput(created, T0), rawBody: fptBody });
        await ledger.startProcessing({ ...startInput(claimed, T0 + 1), rawBody: Buffer.from('{}') });

        expect(bodyBytesOf((await ledger.getEvent(created)) ?? {})?.equals(fptBody)).toBe(true);
        expect(bodyBytesOf((await ledger.getEvent(claimed)) ?? {})?.equals(fptBody)).toBe(true);
      });

      it('keeps no body when retention is off, and the claimed row says why', async () => {
        const off = ledgerFor({ keepEventBodies: false });
        const claimed = newEventId();
        const created = newEventId();

        const claim = await off.claim({ ...claimInput(claimed, HASH_A, T0), rawBody: fptBody });
        await off.startProcessing({ ...startInput(created, T0), rawBody: fptBody });
        const claimedRow = await off.getEvent(claimed);
        const createdRow = await off.getEvent(created);

        expect(claim.kind).toBe('claimed');
        expect(claimedRow?.bodyNotKept).toBe(BODY_NOT_KEPT.disabled);
        expect(bodyBytesOf(claimedRow ?? {})).toBeUndefined();
        expect(bodyBytesOf(createdRow ?? {})).toBeUndefined();
      });
    });

    describe('list index attributes', () => {
      it('writes the UTC day of receivedAt and the contactId in the claim', async () => {
        const eventId = newEventId();
        const lateEvening = Date.parse('2026-11-28T23:59:59.999Z');

        await ledger.claim({ ...claimInput(eventId, HASH_A, lateEvening), contactId: 5678 });

        expect(await ledger.getEvent(eventId)).toMatchObject({
          receivedAt: lateEvening,
          listDay: '2026-11-28',
          contactId: 5678,
        });
      });

      it('gives a row the processor creates the message receivedAt, its day and the contactId', async () => {
        const eventId = newEventId();
        const receivedAt = Date.parse('2026-11-27T10:00:00.000Z');

        await ledger.startProcessing({ ...startInput(eventId, T0), receivedAt, contactId: 42 });

        expect(await ledger.getEvent(eventId)).toMatchObject({
          receivedAt,
          listDay: '2026-11-27',
          contactId: 42,
        });
      });

      it("never moves a claimed row's receivedAt, listDay or contactId", async () => {
        const eventId = newEventId();
        await ledger.claim({ ...claimInput(eventId, HASH_A, T0), contactId: 7 });

        await ledger.startProcessing({
          ...startInput(eventId, T0 + 1),
          receivedAt: T0 + DAY_MS,
          contactId: 8,
        });

        expect(await ledger.getEvent(eventId)).toMatchObject({
          receivedAt: T0,
          listDay: '2026-11-28',
          contactId: 7,
        });
      });
    });

    describe('processing lease', () => {
      it('starts a claimed event with attempt 1 and the status it had', async () => {
        const eventId = newEventId();
        const claim = await ledger.claim(claimInput(eventId, HASH_A, T0));
        if (claim.kind !== 'claimed') throw new Error('first claim not granted');

        const started = await ledger.startProcessing(startInput(eventId, T0 + 2));

        expect(started).toMatchObject({
          kind: 'started',
          attempts: 1,
          previousStatus: EVENT_STATUS.received,
        });
      });

      it('starts an unknown event with no previous status', async () => {
        const started = await ledger.startProcessing(startInput(newEventId(), T0));

        expect(started.kind).toBe('started');
        expect(started).not.toHaveProperty('previousStatus');
      });

      it('refuses a second lease while the first runs, and grants it once the first has run out', async () => {
        const eventId = newEventId();
        await ledger.startProcessing(startInput(eventId, T0));

        const during = await ledger.startProcessing(startInput(eventId, T0 + 1_000));
        const after = await ledger.startProcessing(
          startInput(eventId, T0 + CONTRACT_OPTIONS.processingLeaseMs + 1),
        );

        expect(during).toEqual({ kind: 'in_progress' });
        expect(after).toMatchObject({
          kind: 'started',
          attempts: 2,
          previousStatus: EVENT_STATUS.processing,
        });
      });

      it('records success under the lease token, after which the event is never started again', async () => {
        const eventId = newEventId();
        const started = await ledger.startProcessing(startInput(eventId, T0));
        if (started.kind !== 'started') throw new Error('lease not granted');

        const finished = await ledger.finishProcessing(eventId, started.token, {
          status: EVENT_STATUS.processed,
          nowMs: T0 + 1,
        });
        const again = await ledger.startProcessing(
          startInput(eventId, T0 + 10 * CONTRACT_OPTIONS.processingLeaseMs),
        );

        expect(finished).toBe(true);
        expect(again).toEqual({ kind: 'already_processed' });
      });

      it('refuses to record an outcome under a lease another invocation has taken over', async () => {
        const eventId = newEventId();
        const first = await ledger.startProcessing(startInput(eventId, T0));
        if (first.kind !== 'started') throw new Error('lease not granted');
        await ledger.startProcessing(startInput(eventId, T0 + CONTRACT_OPTIONS.processingLeaseMs + 1));

        const stale = await ledger.finishProcessing(eventId, first.token, {
          status: EVENT_STATUS.processed,
          nowMs: T0 + CONTRACT_OPTIONS.processingLeaseMs + 2,
        });

        expect(stale).toBe(false);
        expect(await ledger.getEvent(eventId)).toMatchObject({ status: EVENT_STATUS.processing });
      });

      it('records a failure with its error, then counts the next attempt', async () => {
        const eventId = newEventId();
        const first = await ledger.startProcessing(startInput(eventId, T0));
        if (first.kind !== 'started') throw new Error('lease not granted');

        await ledger.finishProcessing(eventId, first.token, {
          status: EVENT_STATUS.failed,
          nowMs: T0 + 1,
          error: 'TypeError',
        });
        const failedRow = await ledger.getEvent(eventId);
        const second = await ledger.startProcessing(startInput(eventId, T0 + 2));

        expect(failedRow).toMatchObject({ status: EVENT_STATUS.failed, lastError: 'TypeError', attempts: 1 });
        expect(second).toMatchObject({ kind: 'started', attempts: 2, previousStatus: EVENT_STATUS.failed });
      });
    });

    describe('park', () => {
      it('parks a body once; the same bytes again report already parked', async () => {
        const rawBody = Buffer.from(`{"not":"an envelope","id":"${newEventId()}"}`);
        const bodySha256 = newEventId() + newEventId();
        const input = {
          bodySha256,
          subscription: 'default',
          problems: ['eventId missing'],
          rawBody,
          nowMs: T0,
        };

        expect(await ledger.park(input)).toBe(true);
        expect(await ledger.park({ ...input, nowMs: T0 + 1 })).toBe(false);
      });
    });

    describe('replay', () => {
      /** An event that ran to the given outcome under its first lease. */
      const settled = async (
        eventId: string,
        status: typeof EVENT_STATUS.processed | typeof EVENT_STATUS.deadLettered,
      ) => {
        await ledger.claim({ ...claimInput(eventId, HASH_A, T0), rawBody: Buffer.from('{"a":1}') });
        const lease = await ledger.startProcessing(startInput(eventId, T0 + 1));
        if (lease.kind !== 'started') throw new Error('lease not granted');
        await ledger.finishProcessing(
          eventId,
          lease.token,
          status === EVENT_STATUS.processed
            ? { status, nowMs: T0 + 2 }
            : { status, nowMs: T0 + 2, error: 'TypeError' },
        );
      };
      const replayInput = (eventId: string, replay: number, nowMs: number) => ({
        ...startInput(eventId, nowMs),
        replay,
      });
      const runReplay = async (eventId: string, replay: number, nowMs: number) => {
        const lease = await ledger.startProcessing(replayInput(eventId, replay, nowMs));
        if (lease.kind !== 'started') throw new Error(`replay lease not granted: ${lease.kind}`);
        const finished = await ledger.finishProcessing(eventId, lease.token, {
          status: EVENT_STATUS.processed,
          nowMs: nowMs + 1,
          ...(lease.replayCount !== undefined ? { replayDone: lease.replayCount } : {}),
        });
        return { lease, finished };
      };
      const T1 = T0 + DAY_MS;

      it('takes a PROCESSED event for a requested replay once; another copy of that replay is already processed', async () => {
        const eventId = newEventId();
        await settled(eventId, EVENT_STATUS.processed);
        const n = await requestReplay(eventId, { nowMs: T1, reason: 'handler fix 1.2.3', run: 'run-1' });

        const { lease, finished } = await runReplay(eventId, n, T1 + 10);
        const copy = await ledger.startProcessing(replayInput(eventId, n, T1 + 20));
        const firstDelivery = await ledger.startProcessing(startInput(eventId, T1 + 30));

        expect(n).toBe(1);
        expect(lease).toMatchObject({
          kind: 'started',
          attempts: 2,
          previousStatus: EVENT_STATUS.processed,
          replayCount: 1,
          replayRequest: { requestedAt: T1, reason: 'handler fix 1.2.3' },
        });
        expect(finished).toBe(true);
        expect(await ledger.getEvent(eventId)).toMatchObject({
          status: EVENT_STATUS.processed,
          replayCount: 1,
          replayDone: 1,
          processedAt: T1 + 11,
        });
        expect(copy).toEqual({ kind: 'already_processed' });
        expect(firstDelivery).toEqual({ kind: 'already_processed' });
      });

      it('takes a DEAD_LETTERED event for a requested replay, and a failed replay attempt again on its retry', async () => {
        const eventId = newEventId();
        await settled(eventId, EVENT_STATUS.deadLettered);
        const n = await requestReplay(eventId, { nowMs: T1, reason: 'contract', run: 'run-1' });

        const first = await ledger.startProcessing(replayInput(eventId, n, T1 + 10));
        if (first.kind !== 'started') throw new Error('replay lease not granted');
        await ledger.finishProcessing(eventId, first.token, {
          status: EVENT_STATUS.failed,
          nowMs: T1 + 11,
          error: 'TypeError',
        });
        const failedRow = await ledger.getEvent(eventId);
        const { lease } = await runReplay(eventId, n, T1 + 20);

        expect(first).toMatchObject({ kind: 'started', previousStatus: EVENT_STATUS.deadLettered });
        expect(failedRow).toMatchObject({ status: EVENT_STATUS.failed, replayCount: 1 });
        expect(failedRow?.replayDone).toBeUndefined();
        expect(lease).toMatchObject({ kind: 'started', previousStatus: EVENT_STATUS.failed, attempts: 3 });
        expect(await ledger.getEvent(eventId)).toMatchObject({
          status: EVENT_STATUS.processed,
          replayDone: 1,
        });
      });

      it('refuses a replay of an event the ledger does not hold, and creates no row', async () => {
        const eventId = newEventId();

        const refused = await ledger.startProcessing(replayInput(eventId, 1, T1));

        expect(refused).toEqual({ kind: 'replay_refused', reason: 'row_missing' });
        expect(await ledger.getEvent(eventId)).toBeUndefined();
      });

      it('refuses a replay number nobody requested, and leaves the row as it was', async () => {
        const eventId = newEventId();
        await settled(eventId, EVENT_STATUS.processed);
        await requestReplay(eventId, { nowMs: T1, reason: 'contract', run: 'run-1' });

        const refused = await ledger.startProcessing(replayInput(eventId, 2, T1 + 10));
        const neverRequested = newEventId();
        await settled(neverRequested, EVENT_STATUS.processed);
        const refusedToo = await ledger.startProcessing(replayInput(neverRequested, 1, T1 + 10));

        expect(refused).toEqual({ kind: 'replay_refused', reason: 'not_requested' });
        expect(refusedToo).toEqual({ kind: 'replay_refused', reason: 'not_requested' });
        expect(await ledger.getEvent(eventId)).toMatchObject({
          status: EVENT_STATUS.processed,
          attempts: 1,
          replayCount: 1,
        });
      });

      it('answers a replay copy in progress while another holds its lease, and grants it once that lease ran out', async () => {
        const eventId = newEventId();
        await settled(eventId, EVENT_STATUS.processed);
        const n = await requestReplay(eventId, { nowMs: T1, reason: 'contract', run: 'run-1' });
        await ledger.startProcessing(replayInput(eventId, n, T1 + 10));

        const during = await ledger.startProcessing(replayInput(eventId, n, T1 + 1_000));
        const after = await ledger.startProcessing(
          replayInput(eventId, n, T1 + 10 + CONTRACT_OPTIONS.processingLeaseMs + 1),
        );

        expect(during).toEqual({ kind: 'in_progress' });
        expect(after).toMatchObject({ kind: 'started', previousStatus: EVENT_STATUS.processing });
      });

      it('lets one success run every replay requested before its lease: the later replay copy is already processed', async () => {
        const eventId = newEventId();
        await settled(eventId, EVENT_STATUS.processed);
        const first = await requestReplay(eventId, { nowMs: T1, reason: 'first', run: 'run-1' });
        const second = await requestReplay(eventId, { nowMs: T1 + 5, reason: 'second', run: 'run-2' });

        const { lease } = await runReplay(eventId, first, T1 + 10);
        const laterCopy = await ledger.startProcessing(replayInput(eventId, second, T1 + 20));

        // The row's lastReplay* are the second request's, so the first replay runs without them.
        expect(lease).toMatchObject({ kind: 'started', replayCount: 2 });
        expect(lease).not.toHaveProperty('replayRequest');
        expect(await ledger.getEvent(eventId)).toMatchObject({ replayCount: 2, replayDone: 2 });
        expect(laterCopy).toEqual({ kind: 'already_processed' });
      });

      it('lets a first delivery redriven from the DLQ satisfy the replay requested before it was leased', async () => {
        const eventId = newEventId();
        await settled(eventId, EVENT_STATUS.deadLettered);
        const n = await requestReplay(eventId, { nowMs: T1, reason: 'contract', run: 'run-1' });

        const redriven = await ledger.startProcessing(startInput(eventId, T1 + 10));
        if (redriven.kind !== 'started') throw new Error('lease not granted');
        await ledger.finishProcessing(eventId, redriven.token, {
          status: EVENT_STATUS.processed,
          nowMs: T1 + 11,
          ...(redriven.replayCount !== undefined ? { replayDone: redriven.replayCount } : {}),
        });
        const replayCopy = await ledger.startProcessing(replayInput(eventId, n, T1 + 20));

        expect(redriven.replayCount).toBe(1);
        expect(replayCopy).toEqual({ kind: 'already_processed' });
      });

      it('records the replay done in the same transaction as the declared effects', async () => {
        const eventId = newEventId();
        await settled(eventId, EVENT_STATUS.processed);
        const n = await requestReplay(eventId, { nowMs: T1, reason: 'contract', run: 'run-1' });
        const lease = await ledger.startProcessing(replayInput(eventId, n, T1 + 10));
        if (lease.kind !== 'started') throw new Error('replay lease not granted');

        const outcome = await ledger.commitProcessed(
          eventId,
          lease.token,
          T1 + 11,
          [countingEffect(effects.tableName, eventId)],
          lease.replayCount,
        );

        expect(outcome).toBe('committed');
        expect(await effects.count(eventId)).toBe(1);
        expect(await ledger.getEvent(eventId)).toMatchObject({
          status: EVENT_STATUS.processed,
          replayDone: 1,
        });
        expect(await ledger.startProcessing(replayInput(eventId, n, T1 + 20))).toEqual({
          kind: 'already_processed',
        });
      });
    });

    describe('ordering guard', () => {
      it('judges each event against the mark before it and raises the mark, never lowering it', async () => {
        const contactId = Number.parseInt(newEventId().slice(0, 8), 16);

        const first = await ledger.guardOrdering(1234, contactId, T0, T0);
        const older = await ledger.guardOrdering(1234, contactId, T0 - 1_000, T0);
        const afterOlder = await ledger.getHighWaterMark(1234, contactId);
        const same = await ledger.guardOrdering(1234, contactId, T0, T0);
        const newer = await ledger.guardOrdering(1234, contactId, T0 + 1_000, T0);

        expect(first).toEqual({ isStale: false });
        expect(older).toEqual({ isStale: true, highWaterMarkMs: T0 });
        expect(afterOlder).toBe(T0);
        expect(same).toEqual({ isStale: false, highWaterMarkMs: T0 });
        expect(newer).toEqual({ isStale: false, highWaterMarkMs: T0 });
        expect(await ledger.getHighWaterMark(1234, contactId)).toBe(T0 + 1_000);
      });
    });
  });
}
