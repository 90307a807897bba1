/**
 * The event ledger: one DynamoDB table, partition key `pk`.
 *
 * Row kinds, told apart by the key:
 *   - `<eventId>`                      one row per FPT event (32 lowercase hex characters)
 *   - `parked#<sha256 of body>`        an authentic delivery kept instead of queued (see PARK_REASON)
 *   - `order#<locationId>#<contactId>` the ordering guard's high-water mark of eventTimestamp
 */
export const LEDGER = {
  partitionKey: 'pk',
  ttlAttribute: 'expiresAt',
  /**
   * The list index (GSI): event and parked rows by the UTC day they were received, newest last. Its keys
   * and projected attributes are written once per row, so no later update of the row writes the index;
   * `status`, which changes on every step, is read from the table instead (cli/event-selection.ts).
   */
  listIndex: {
    name: 'byReceivedDay',
    partitionKey: 'listDay',
    sortKey: 'receivedAt',
    projected: ['eventType', 'subscription', 'contactId', 'locationId'],
  },
} as const;

/** The list index's partition key of a row received at `receivedAtMs`: its UTC day, `YYYY-MM-DD`. */
export function listDayOf(receivedAtMs: number): string {
  return new Date(receivedAtMs).toISOString().slice(0, 10);
}

/** FPT's `data.contactId` when it is a safe integer, as the ledger's `contactId` attribute keeps it. */
export function contactIdOf(data: unknown): number | undefined {
  const contactId = (data as { contactId?: unknown } | null | undefined)?.contactId;
  return typeof contactId === 'number' && Number.isSafeInteger(contactId) ? contactId : undefined;
}

/**
 * Event row lifecycle:
 *   RECEIVED (claimed by the verifier; queued unless that delivery got no 2xx) -> PROCESSING -> PROCESSED
 *                                                                                          \-> FAILED -> PROCESSING ...
 *                                                                                          \-> DEAD_LETTERED
 * ENQUEUED is written by no current code: rows of earlier versions may hold it, and it reads as queued.
 *
 * Replay (docs/architecture.md, "Replay"): a request on a PROCESSED or DEAD_LETTERED row raises
 * `replayCount` to n, then sends a message carrying `fpt-replay: n`. That message takes the row, even
 * PROCESSED, back to PROCESSING while `replayDone < n <= replayCount`; the attempt ends as any does, and
 * every success sets `replayDone` to the `replayCount` its lease saw. A replay never creates a row.
 */
export const EVENT_STATUS = {
  received: 'RECEIVED',
  enqueued: 'ENQUEUED',
  processing: 'PROCESSING',
  processed: 'PROCESSED',
  failed: 'FAILED',
  deadLettered: 'DEAD_LETTERED',
} as const;
export type EventStatus = (typeof EVENT_STATUS)[keyof typeof EVENT_STATUS];

export const PARKED_STATUS = 'INVALID_ENVELOPE';

/**
 * Why an authentic delivery was parked, in the parked row's `reason`: its envelope is invalid, its
 * eventId came again with another body, it is outside its subscription's FPT scope, or its
 * eventTimestamp is outside the plausible range (lambda/shared/event-time.ts). Rows parked before the
 * attribute existed have none and are `invalid_envelope` or `conflicting_duplicate` by their problems.
 */
export const PARK_REASON = {
  invalidEnvelope: 'invalid_envelope',
  conflictingDuplicate: 'conflicting_duplicate',
  scopeMismatch: 'scope_mismatch',
  eventTimeOutOfBounds: 'event_time_out_of_bounds',
} as const;
export type ParkReason = (typeof PARK_REASON)[keyof typeof PARK_REASON];

/** A ledger event row as stored. Timestamps are epoch milliseconds except `expiresAt` (epoch seconds, TTL). */
export interface EventRow {
  readonly pk: string;
  readonly status: EventStatus;
  readonly subscription: string;
  readonly eventType?: string;
  readonly eventTimestamp?: string;
  readonly locationId?: number;
  /** FPT's `data.contactId`; absent when the event has none. Projected into the list index. */
  readonly contactId?: number;
  /** {@link listDayOf} `receivedAt`: the list index's partition key; absent on rows older than the index. */
  readonly listDay?: string;
  /** Set by the verifier's claim; absent on a row the processor created after the claim's row expired. */
  readonly bodySha256?: string;
  /** The event's exact body (lambda/shared/ledger/stored-body.ts): text, or base64 when not UTF-8. */
  readonly rawBody?: string;
  readonly rawBodyBase64?: string;
  /** Why the row holds no body: `disabled` (config keepEventBodies false) or `too_large`. */
  readonly bodyNotKept?: string;
  readonly receivedAt: number;
  readonly expiresAt: number;
  /** Verifier claim lease: while RECEIVED and unexpired, other deliveries wait. */
  readonly leaseToken?: string;
  readonly leaseExpiresAt?: number;
  readonly enqueuedAt?: number;
  readonly messageId?: string;
  /** Processor lease: while PROCESSING and unexpired, other invocations leave the event alone. */
  readonly processingToken?: string;
  readonly processingExpiresAt?: number;
  readonly attempts?: number;
  readonly processedAt?: number;
  readonly lastError?: string;
  /** Replays requested so far (`fpt-webhooks events replay`); only ever goes up. */
  readonly replayCount?: number;
  /** Every replay up to this count has run the handler to success; absent means 0. */
  readonly replayDone?: number;
  /** When the last replay was requested, epoch ms. */
  readonly lastReplayAt?: number;
  /** The operator's reason for the last replay (at most 200 printable characters). */
  readonly lastReplayReason?: string;
  /** The id of the replay run that made the last request, so a resumed run does not request again. */
  readonly lastReplayRun?: string;
}

export const parkedKey = (bodySha256: string): string => `parked#${bodySha256}`;
export const orderKey = (locationId: number, contactId: number | string): string =>
  `order#${locationId}#${contactId}`;

/** SQS message attributes set by the verifier and read by the processor. */
export const MESSAGE_ATTRIBUTES = {
  subscription: 'fpt-subscription',
  eventId: 'fpt-event-id',
  eventType: 'fpt-event-type',
  receivedAt: 'fpt-received-at',
  /** `base64` when the body is base64 of the signed bytes (see queue-message.ts); absent for plain text. */
  bodyEncoding: 'fpt-body-encoding',
  /** Hex SHA-256 of the signed bytes, so the processor knows the body it decodes is the one FPT signed. */
  bodySha256: 'fpt-body-sha256',
  /**
   * On a replay message only: the decimal replay number n (the row's `replayCount` its request set).
   * The processor runs replay n at most once, so copies of one replay message are only redeliveries.
   */
  replay: 'fpt-replay',
} as const;
