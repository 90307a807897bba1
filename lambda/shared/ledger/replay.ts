import { isUtf8 } from 'node:buffer';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { EVENT_STATUS, type EventRow, MESSAGE_ATTRIBUTES } from '../ledger-schema';
import {
  eventMessage,
  type QueueMessage,
  SQS_MAX_MESSAGE_BYTES,
  sha256Hex,
  sqsMessageBytes,
} from '../queue-message';
import { bodyBytesOf } from './stored-body';
import { conditionFailureItem, isConditionFailure, type LedgerTable } from './table';

/*
 * The request side of an explicit replay (`fpt-webhooks events replay`): record the request on the
 * event's row, then send the stored body to the work queue as the verifier sent it, marked with the
 * replay number. The processor side (processing-lease.ts) runs replay n at most once.
 */

/** The longest reason a replay records, in characters. */
export const REPLAY_REASON_MAX_CHARS = 200;

/** Statuses a replay may be requested in: the event is settled, no SQS message of it is still in play. */
const REPLAYABLE = [EVENT_STATUS.processed, EVENT_STATUS.deadLettered] as const;

/** Why a reason cannot be recorded, or undefined when it can. Names the rule, never echoes the text. */
export function replayReasonProblem(reason: string): string | undefined {
  if (reason.trim() === '') return 'the reason is empty';
  const chars = [...reason];
  if (chars.length > REPLAY_REASON_MAX_CHARS) {
    return `the reason has ${chars.length} characters; at most ${REPLAY_REASON_MAX_CHARS} are kept`;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(reason)) {
    return 'the reason holds a control character or a line break; give one line of printable text';
  }
  return undefined;
}

export interface ReplayRequestInput {
  readonly eventId: string;
  /** Recorded as `lastReplayReason`; checked with {@link replayReasonProblem} first. */
  readonly reason: string;
  /** The replay run's id, recorded as `lastReplayRun`: a run requests each event at most once. */
  readonly runId: string;
  readonly nowMs: number;
}

export type ReplayRequestResult =
  /** Recorded: `count` is the replay number n to send; `row` is the row after the request. */
  | { readonly kind: 'requested'; readonly count: number; readonly row: EventRow }
  /**
   * This run requested it before (a resumed run). `done` when the handler already ran replay `count`
   * (or a later success covered it): nothing to send. Otherwise send `count` again: the processor runs
   * replay n at most once, so the copy is only a redelivery.
   */
  | {
      readonly kind: 'requested_by_this_run';
      readonly count: number;
      readonly done: boolean;
      readonly row: EventRow;
    }
  | { readonly kind: 'not_found' }
  /** RECEIVED, ENQUEUED, PROCESSING or FAILED: SQS still holds a message of it and retries it. */
  | { readonly kind: 'in_flight'; readonly status: string }
  /** The row holds no body: `bodyNotKept` says why when the row knows (`disabled`, `too_large`). */
  | { readonly kind: 'no_body'; readonly bodyNotKept?: string };

/**
 * Records a replay request on the event's row in one conditional UpdateItem: `replayCount` goes up by
 * one, with `lastReplayAt`, `lastReplayReason` and `lastReplayRun`. The condition holds when the row
 * exists, is PROCESSED or DEAD_LETTERED, holds a body, and this run has not requested it already; when
 * it does not, the row as it was (ALL_OLD) says why.
 */
export async function requestReplay(
  table: Pick<LedgerTable, 'client' | 'tableName'>,
  input: ReplayRequestInput,
): Promise<ReplayRequestResult> {
  try {
    const out = await table.client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { pk: input.eventId },
        UpdateExpression:
          'SET #replayCount = if_not_exists(#replayCount, :zero) + :one, #lastReplayAt = :now, ' +
          '#lastReplayReason = :reason, #lastReplayRun = :run',
        ConditionExpression:
          'attribute_exists(#pk) AND #status IN (:processed, :deadLettered) AND ' +
          '(attribute_exists(#rawBody) OR attribute_exists(#rawBodyBase64)) AND ' +
          '(attribute_not_exists(#lastReplayRun) OR #lastReplayRun <> :run)',
        ExpressionAttributeNames: {
          '#pk': 'pk',
          '#status': 'status',
          '#rawBody': 'rawBody',
          '#rawBodyBase64': 'rawBodyBase64',
          '#replayCount': 'replayCount',
          '#lastReplayAt': 'lastReplayAt',
          '#lastReplayReason': 'lastReplayReason',
          '#lastReplayRun': 'lastReplayRun',
        },
        ExpressionAttributeValues: {
          ':processed': EVENT_STATUS.processed,
          ':deadLettered': EVENT_STATUS.deadLettered,
          ':zero': 0,
          ':one': 1,
          ':now': input.nowMs,
          ':reason': input.reason,
          ':run': input.runId,
        },
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    const row = out.Attributes as EventRow;
    return { kind: 'requested', count: row.replayCount ?? 1, row };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const old = conditionFailureItem(error);
    if (old === undefined) return { kind: 'not_found' };
    // Checked first: after this run's request the row may be PROCESSING its replay, which is no refusal.
    if (old.lastReplayRun === input.runId) {
      const count = typeof old.replayCount === 'number' ? old.replayCount : 1;
      const done = typeof old.replayDone === 'number' && old.replayDone >= count;
      return { kind: 'requested_by_this_run', count, done, row: old as unknown as EventRow };
    }
    const status = String(old.status);
    if (!(REPLAYABLE as readonly string[]).includes(status)) return { kind: 'in_flight', status };
    return {
      kind: 'no_body',
      ...(typeof old.bodyNotKept === 'string' ? { bodyNotKept: old.bodyNotKept } : {}),
    };
  }
}

/**
 * The work-queue message of replay `count` of a row: the stored bytes, encoded and attributed exactly as
 * the verifier sent them (lambda/shared/queue-message.ts `eventMessage`), plus `fpt-replay`. Refused,
 * with the reason, when the stored body is not what the verifier could have queued (not UTF-8, or not
 * the bytes whose hash the row keeps) or the message would exceed SQS's size limit.
 */
export function replayMessage(
  row: EventRow,
  count: number,
): { readonly message: QueueMessage } | { readonly problem: string } {
  let bytes: Buffer | undefined;
  try {
    bytes = bodyBytesOf(row);
  } catch (error) {
    return { problem: (error as Error).message };
  }
  if (bytes === undefined) return { problem: 'the row holds no body' };
  if (!isUtf8(bytes)) return { problem: 'the stored body is not UTF-8 text, so no verifier queued it' };
  const bodySha256 = sha256Hex(bytes);
  if (row.bodySha256 !== undefined && row.bodySha256 !== bodySha256) {
    return { problem: "the stored body does not match the row's bodySha256" };
  }
  if (typeof row.eventType !== 'string' || typeof row.subscription !== 'string') {
    return { problem: 'the row has no eventType or subscription' };
  }
  // A row the processor created after the claim's row expired may lack receivedAt: the request's time
  // stands in, which the processor reads as a late delivery (no ordering guard for an old event).
  const receivedAtMs = typeof row.receivedAt === 'number' ? row.receivedAt : row.lastReplayAt;
  if (receivedAtMs === undefined) return { problem: 'the row has no receivedAt' };
  const first = eventMessage({
    text: bytes.toString('utf8'),
    bodySha256,
    subscription: row.subscription,
    eventId: row.pk,
    eventType: row.eventType,
    receivedAtMs,
  });
  const message: QueueMessage = {
    body: first.body,
    attributes: {
      ...first.attributes,
      [MESSAGE_ATTRIBUTES.replay]: { DataType: 'String', StringValue: String(count) },
    },
  };
  const size = sqsMessageBytes(message);
  if (size > SQS_MAX_MESSAGE_BYTES) {
    return {
      problem: `its message would be ${size} bytes, over SQS's limit of ${SQS_MAX_MESSAGE_BYTES} (body and attributes)`,
    };
  }
  return { message };
}
