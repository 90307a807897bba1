/**
 * The receiver's error hierarchy. Only `HttpError`s with a status below 500 are shown to callers, and
 * always with a fixed body; everything else becomes a generic 500 and its detail goes to the logs.
 */

export class ReceiverError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReceiverError';
  }
}

/** An error that maps to an HTTP response. `publicBody` is the fixed text a caller sees. */
export class HttpError extends ReceiverError {
  constructor(
    readonly statusCode: number,
    readonly publicMessage: string,
    /** Log and metric label; never contains request data. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${statusCode} ${reason}`, options);
    this.name = 'HttpError';
  }
}

export type SignatureFailureReason =
  | 'missing_header'
  | 'malformed_header'
  | 'stale_timestamp'
  | 'future_timestamp'
  | 'bad_signature';

/** Every signature failure gets the same 401 body, so the response tells an attacker nothing. */
export class SignatureVerificationError extends HttpError {
  constructor(readonly failure: SignatureFailureReason) {
    super(401, 'Unauthorized', failure);
    this.name = 'SignatureVerificationError';
  }
}

export class UnknownSubscriptionError extends HttpError {
  constructor() {
    super(404, 'Not Found', 'unknown_subscription');
    this.name = 'UnknownSubscriptionError';
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor() {
    super(413, 'Payload Too Large', 'oversize');
    this.name = 'PayloadTooLargeError';
  }
}

export class MethodNotAllowedError extends HttpError {
  constructor() {
    super(405, 'Method Not Allowed', 'method_not_allowed');
    this.name = 'MethodNotAllowedError';
  }
}

/** The subscription's secret is missing, empty or still the placeholder: fail closed, FPT retries later. */
export class SecretNotConfiguredError extends HttpError {
  constructor(readonly subscription: string) {
    super(503, 'Service Unavailable', 'not_configured');
    this.name = 'SecretNotConfiguredError';
  }
}

/**
 * The subscription's current secret breaks FPT's shape (under 32 characters, or whitespace such as the
 * trailing newline of a console paste): fail closed rather than verify with a value FPT never issued.
 */
export class SecretMalformedError extends HttpError {
  constructor(readonly subscription: string) {
    super(503, 'Service Unavailable', 'secret_malformed');
    this.name = 'SecretMalformedError';
  }
}

/** Another delivery of the same eventId holds the lease; answering non-2xx makes FPT retry later. */
export class EventInProgressError extends HttpError {
  constructor() {
    super(409, 'Conflict', 'in_progress');
    this.name = 'EventInProgressError';
  }
}

/** The event was claimed but could not be queued; the claim was released and FPT must retry. */
export class EnqueueFailedError extends ReceiverError {
  constructor(options?: { cause?: unknown }) {
    super('event could not be queued; claim released for retry', options);
    this.name = 'EnqueueFailedError';
  }
}

/** The envelope of an authentic event is not valid. It is parked, never retried forever. */
export class EnvelopeValidationError extends ReceiverError {
  constructor(readonly problems: readonly string[]) {
    super(`invalid envelope: ${problems.join('; ')}`);
    this.name = 'EnvelopeValidationError';
  }
}

/** A handler threw; the record is reported as a batch item failure and retried by SQS. */
export class HandlerFailedError extends ReceiverError {
  constructor(
    readonly eventId: string,
    options?: { cause?: unknown },
  ) {
    super(`handler failed for event ${eventId}`, options);
    this.name = 'HandlerFailedError';
  }
}

/** Another processor invocation holds the processing lease for this event. */
export class ProcessingInProgressError extends ReceiverError {
  constructor(readonly eventId: string) {
    super(`event ${eventId} is being processed by another invocation`);
    this.name = 'ProcessingInProgressError';
  }
}

/**
 * A replay message names a replay the ledger does not hold: the event's row is gone (past its retention)
 * or no such replay was requested on it. The handler does not run and nothing is written; the record is
 * retried and then kept in the DLQ, with its body, for the operator.
 */
export class ReplayRefusedError extends ReceiverError {
  constructor(
    readonly eventId: string,
    readonly replay: number,
    /** `row_missing` or `not_requested`. */
    readonly reason: string,
  ) {
    super(`replay ${replay} of event ${eventId} refused: ${reason}`);
    this.name = 'ReplayRefusedError';
  }
}

/**
 * A handler's declared effects cannot be committed: too many, two on one item, one on the ledger, or
 * DynamoDB cancelled the transaction for a reason other than the lease. Nothing was written. Problems
 * name effects by index and DynamoDB's reason codes, never values.
 */
export class EffectsRejectedError extends ReceiverError {
  constructor(readonly problems: readonly string[]) {
    super(`effects not committed: ${problems.join('; ')}`);
    this.name = 'EffectsRejectedError';
  }
}

/**
 * The processing lease was no longer this invocation's when it tried to record the outcome: another
 * invocation took the event over. Nothing this invocation declared was written; the record is retried
 * and then finds the event PROCESSED (or still being processed).
 */
export class ProcessingLeaseLostError extends ReceiverError {
  constructor(readonly eventId: string) {
    super(`processing lease for event ${eventId} was taken over; effects not committed`);
    this.name = 'ProcessingLeaseLostError';
  }
}

/** What a log line may say about an error: names, AWS status and request id, never free text. */
export interface LoggableError {
  readonly name: string;
  readonly httpStatusCode?: number;
  readonly awsRequestId?: string;
  readonly cause?: LoggableError;
}

/**
 * Describes an error for the logs without its message: an SDK or runtime message can quote the values
 * it was given, and those may be payload data. The name and the AWS request id are enough to diagnose
 * and to open a support case.
 */
export function describeError(error: unknown, depth = 0): LoggableError {
  if (!(error instanceof Error)) return { name: typeof error };
  const metadata = (error as { $metadata?: { httpStatusCode?: number; requestId?: string } }).$metadata;
  return {
    name: error.name,
    ...(metadata?.httpStatusCode !== undefined ? { httpStatusCode: metadata.httpStatusCode } : {}),
    ...(metadata?.requestId !== undefined ? { awsRequestId: metadata.requestId } : {}),
    ...(error.cause !== undefined && depth < 3 ? { cause: describeError(error.cause, depth + 1) } : {}),
  };
}
