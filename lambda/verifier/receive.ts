import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  describeError,
  EnqueueFailedError,
  EnvelopeValidationError,
  EventInProgressError,
  HttpError,
  PayloadTooLargeError,
  SecretMalformedError,
  SecretNotConfiguredError,
  SignatureVerificationError,
  UnknownSubscriptionError,
} from '../shared/errors';
import { eventTimestampProblem } from '../shared/event-time';
import type { FptEnvelope } from '../shared/fpt-events';
import type { EventLedger } from '../shared/ledger';
import { contactIdOf, PARK_REASON, type ParkReason } from '../shared/ledger-schema';
import { METRIC } from '../shared/observability';
import { sha256Hex } from '../shared/queue-message';
import { type SubscriptionScopeBounds, scopeProblems } from '../shared/subscription-scope';
import { isWellFormed, parseEnvelope } from './envelope';
import type { SecretStore } from './secret-store';
import {
  checkSignatureHeader,
  matchesSignature,
  type ParsedSignatureHeader,
  SIGNATURE_HEADER,
} from './signature';

/** What the verifier needs from an HTTP request; built from the API Gateway event by the handler. */
export interface IncomingDelivery {
  readonly subscription: string | undefined;
  /** Header names in any case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string | undefined;
  readonly isBase64Encoded: boolean;
}

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Sends a verified event to the queue; resolves to the SQS message id. */
export type EnqueueFn = (input: {
  envelope: FptEnvelope;
  /** The exact UTF-8 decoding of the signed bytes. */
  rawBody: string;
  /** Hex SHA-256 of the signed bytes. */
  bodySha256: string;
  subscription: string;
  receivedAtMs: number;
}) => Promise<string>;

export type LedgerPort = Pick<EventLedger, 'claim' | 'release' | 'park'>;
export type SecretPort = Pick<SecretStore, 'get' | 'tryInvalidate'>;

export interface VerifierDeps {
  /** subscription name -> Secrets Manager secret id */
  readonly subscriptions: ReadonlyMap<string, string>;
  readonly toleranceSeconds: number;
  readonly maxBodyBytes: number;
  /** How long after a new secret is set the previous one is still accepted. */
  readonly previousSecretGraceMs: number;
  /**
   * subscription name -> the FPT organization and locations it is bound to; a subscription not listed
   * is not bound (doctor warns).
   * @default - no subscription is bound
   */
  readonly scopes?: ReadonlyMap<string, SubscriptionScopeBounds>;
  readonly ledger: LedgerPort;
  readonly secrets: SecretPort;
  readonly enqueue: EnqueueFn;
  readonly now: () => number;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

function respond(statusCode: number, body: Record<string, string>): HttpResponse {
  return { statusCode, headers: { ...JSON_HEADERS }, body: JSON.stringify(body) };
}

function errorResponse(error: HttpError): HttpResponse {
  const response = respond(error.statusCode, { message: error.publicMessage });
  if (error.statusCode === 409 || error.statusCode === 503) response.headers['retry-after'] = '5';
  return response;
}

function findHeader(headers: IncomingDelivery['headers'], wanted: string): string | undefined {
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** The decoded size without decoding: base64 carries 3 bytes per 4 characters. */
function decodedLength(body: string, isBase64Encoded: boolean): number {
  if (!isBase64Encoded) return Buffer.byteLength(body, 'utf8');
  const padding = body.endsWith('==') ? 2 : body.endsWith('=') ? 1 : 0;
  return Math.floor((body.length * 3) / 4) - padding;
}

/**
 * The verifier's core: authenticate, then deduplicate and enqueue, in that order and no other.
 *
 * Until the signature matches, nothing from the body is parsed, logged or stored. Once it matches, the
 * event is never lost: it is queued (202), known already (200), parked for inspection (202), or the
 * caller gets a non-2xx so FPT delivers it again.
 */
export function createVerifierCore(
  deps: VerifierDeps,
): (delivery: IncomingDelivery) => Promise<HttpResponse> {
  return (delivery) => verifyDelivery(deps, delivery);
}

/** One delivery through the verifier; see {@link createVerifierCore}. Never throws: errors become responses. */
export async function verifyDelivery(deps: VerifierDeps, delivery: IncomingDelivery): Promise<HttpResponse> {
  const started = deps.now();
  try {
    return await authenticateThenAccept(deps, delivery);
  } catch (error) {
    return failureResponse(deps, error);
  } finally {
    deps.metrics.addMetric(METRIC.verifierDuration, MetricUnit.Milliseconds, deps.now() - started);
  }
}

/** An authenticated delivery: from here on its body may be read. */
interface AuthenticDelivery {
  readonly subscription: string;
  readonly rawBody: Buffer;
  /** The body as text when it is already at hand without decoding rawBody again. */
  readonly bodyText: string | undefined;
}

/** Checks everything that can be checked before the body is trusted, then accepts the event. */
async function authenticateThenAccept(deps: VerifierDeps, delivery: IncomingDelivery): Promise<HttpResponse> {
  const secretId =
    delivery.subscription === undefined ? undefined : deps.subscriptions.get(delivery.subscription);
  if (delivery.subscription === undefined || secretId === undefined) {
    return rejectDelivery(deps, new UnknownSubscriptionError());
  }
  deps.logger.appendKeys({ subscription: delivery.subscription });
  const body = delivery.body ?? '';
  if (decodedLength(body, delivery.isBase64Encoded) > deps.maxBodyBytes) {
    return rejectDelivery(deps, new PayloadTooLargeError());
  }
  const parsed = checkSignatureHeader(
    findHeader(delivery.headers, SIGNATURE_HEADER),
    deps.now(),
    deps.toleranceSeconds,
  );
  const rawBody = delivery.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  if (rawBody.length > deps.maxBodyBytes) return rejectDelivery(deps, new PayloadTooLargeError());
  await authenticate(deps, secretId, parsed, rawBody);

  // API Gateway hands a text body over as a string. When it has no lone surrogates, it is exactly the
  // UTF-8 decoding of rawBody, so decoding rawBody again (twice: parse and enqueue) is pure cost.
  const bodyText = !delivery.isBase64Encoded && isWellFormed(body) ? body : undefined;
  return accept(deps, { subscription: delivery.subscription, rawBody, bodyText });
}

/**
 * Matches the signature against the current secret and, within the grace period, the previous one.
 * @throws SecretNotConfiguredError when the subscription's secret has no value
 * @throws SecretMalformedError when the current secret breaks FPT's shape
 * @throws SignatureVerificationError when no secret matches
 */
async function authenticate(
  deps: VerifierDeps,
  secretId: string,
  parsed: ParsedSignatureHeader,
  rawBody: Buffer,
): Promise<void> {
  const now = deps.now();
  let previousMalformed = false;
  for (let pass = 0; pass < 2; pass++) {
    const current = await deps.secrets.get(secretId, 'AWSCURRENT');
    if (current.value === undefined) {
      if (pass === 0 && deps.secrets.tryInvalidate(secretId)) continue;
      if (current.shape === 'malformed') throw new SecretMalformedError(secretId);
      throw new SecretNotConfiguredError(secretId);
    }
    if (matchesSignature(parsed, rawBody, current.value)) return;
    const withinGrace =
      current.createdAtMs === undefined || now - current.createdAtMs <= deps.previousSecretGraceMs;
    if (withinGrace) {
      const previous = await deps.secrets.get(secretId, 'AWSPREVIOUS');
      if (previous.value !== undefined && matchesSignature(parsed, rawBody, previous.value)) return;
      // Never used, and not a reason to fail closed: FPT never issued a value of that shape, so no
      // authentic delivery can need it, and refusing would hold back deliveries AWSCURRENT verifies.
      previousMalformed = previous.shape === 'malformed';
    }
    // The secret may have just been set: look again, at most once per refresh interval.
    if (pass === 0 && deps.secrets.tryInvalidate(secretId)) continue;
    break;
  }
  if (previousMalformed) countMalformedSecret(deps, 'AWSPREVIOUS');
  throw new SignatureVerificationError('bad_signature');
}

/** Parses the authentic body: a valid envelope is ingested, an invalid one parked. */
async function accept(deps: VerifierDeps, delivery: AuthenticDelivery): Promise<HttpResponse> {
  let envelope: FptEnvelope;
  try {
    envelope = parseEnvelope(delivery.rawBody, delivery.bodyText);
  } catch (error) {
    if (!(error instanceof EnvelopeValidationError)) throw error;
    return parkDelivery(deps, delivery, error.problems, PARK_REASON.invalidEnvelope);
  }
  // Authorisation after authentication: a key holder may sign anything, so an event for another
  // organization or location is kept but never handled, and never reaches the ordering guard.
  const outOfScope = scopeProblems(deps.scopes?.get(delivery.subscription), envelope);
  if (outOfScope.length > 0) {
    return parkDelivery(deps, delivery, outOfScope, PARK_REASON.scopeMismatch, envelope);
  }
  const timeProblem = eventTimestampProblem(
    Date.parse(envelope.eventTimestamp),
    deps.now(),
    deps.toleranceSeconds,
  );
  if (timeProblem !== undefined) {
    return parkDelivery(deps, delivery, [timeProblem], PARK_REASON.eventTimeOutOfBounds, envelope);
  }
  return ingest(deps, delivery, envelope);
}

/** The reasons the verifier parks a delivery for; a conflicting duplicate is parked by the claim. */
type VerifierParkReason = Exclude<ParkReason, typeof PARK_REASON.conflictingDuplicate>;

/** Per reason, the metric its alarm reads and the log line. */
const PARKED: Record<VerifierParkReason, { readonly metric: string; readonly message: string }> = {
  [PARK_REASON.invalidEnvelope]: {
    metric: METRIC.invalidEnvelopeParked,
    message: 'authentic event with an invalid envelope parked',
  },
  [PARK_REASON.eventTimeOutOfBounds]: {
    metric: METRIC.invalidEnvelopeParked,
    message: 'authentic event with an invalid envelope parked',
  },
  [PARK_REASON.scopeMismatch]: {
    metric: METRIC.scopeMismatch,
    message: 'authentic event outside its subscription scope parked',
  },
};

/**
 * Keeps an authentic delivery that must not be processed (invalid envelope, out of scope, implausible
 * eventTimestamp); 202 stops FPT retrying it forever. Each reason is counted for its alarm.
 */
async function parkDelivery(
  deps: VerifierDeps,
  delivery: AuthenticDelivery,
  problems: readonly string[],
  reason: VerifierParkReason,
  envelope?: FptEnvelope,
): Promise<HttpResponse> {
  const bodySha256 = sha256Hex(delivery.rawBody);
  await deps.ledger.park({
    bodySha256,
    subscription: delivery.subscription,
    problems,
    reason,
    ...(envelope !== undefined ? optionalContactId(envelope.data) : {}),
    rawBody: delivery.rawBody,
    nowMs: deps.now(),
  });
  const { metric, message } = PARKED[reason];
  deps.metrics.addMetric(metric, MetricUnit.Count, 1);
  deps.logger.warn(message, { problems, reason, bodySha256 });
  return respond(202, { status: 'parked' });
}

/** Claims the eventId; a new event is enqueued, a known one answered as a duplicate. */
async function ingest(
  deps: VerifierDeps,
  delivery: AuthenticDelivery,
  envelope: FptEnvelope,
): Promise<HttpResponse> {
  const receivedAtMs = deps.now();
  const bodySha256 = sha256Hex(delivery.rawBody);
  deps.logger.appendKeys({ eventId: envelope.eventId });

  const claim = await deps.ledger.claim({
    eventId: envelope.eventId,
    subscription: delivery.subscription,
    eventType: envelope.eventType,
    eventTimestamp: envelope.eventTimestamp,
    locationId: envelope.locationId,
    ...optionalContactId(envelope.data),
    bodySha256,
    rawBody: delivery.rawBody,
    nowMs: receivedAtMs,
  });
  if (claim.kind === 'in_progress') {
    deps.logger.info('delivery of an event already being queued; asking FPT to retry');
    return errorResponse(new EventInProgressError());
  }
  if (claim.kind === 'duplicate') {
    deps.metrics.addMetric(METRIC.duplicate, MetricUnit.Count, 1);
    if (!claim.sameBody) {
      await parkConflictingDuplicate(deps, delivery, envelope, bodySha256, receivedAtMs);
    } else {
      deps.logger.info('duplicate delivery', { ledgerStatus: claim.status });
    }
    return respond(200, { status: 'duplicate', eventId: envelope.eventId });
  }
  return enqueueClaimed(deps, delivery, envelope, { token: claim.token, bodySha256, receivedAtMs });
}

/** The row's `contactId` when the event has one (`events list --contact`). */
function optionalContactId(data: unknown): { contactId?: number } {
  const contactId = contactIdOf(data);
  return contactId !== undefined ? { contactId } : {};
}

/** Same eventId, different bytes: not a true duplicate. Keep it so nothing authentic is lost. */
async function parkConflictingDuplicate(
  deps: VerifierDeps,
  delivery: AuthenticDelivery,
  envelope: FptEnvelope,
  bodySha256: string,
  nowMs: number,
): Promise<void> {
  await deps.ledger.park({
    bodySha256,
    subscription: delivery.subscription,
    problems: ['eventId already seen with a different body'],
    reason: PARK_REASON.conflictingDuplicate,
    ...optionalContactId(envelope.data),
    rawBody: delivery.rawBody,
    nowMs,
  });
  deps.metrics.addMetric(METRIC.invalidEnvelopeParked, MetricUnit.Count, 1);
  deps.logger.warn('duplicate eventId with a different body; parked for inspection');
}

/**
 * Sends a claimed event to the queue. Nothing is written after the send: the claim's row stays
 * RECEIVED until the processor takes it, and the SQS message id goes to the log line instead
 * (docs/architecture.md, the idempotency protocol).
 * @throws EnqueueFailedError when the send fails, after giving the claim back
 */
async function enqueueClaimed(
  deps: VerifierDeps,
  delivery: AuthenticDelivery,
  envelope: FptEnvelope,
  claim: { readonly token: string; readonly bodySha256: string; readonly receivedAtMs: number },
): Promise<HttpResponse> {
  const { logger } = deps;
  const { token, bodySha256, receivedAtMs } = claim;
  let messageId: string;
  try {
    messageId = await deps.enqueue({
      envelope,
      rawBody: delivery.bodyText ?? delivery.rawBody.toString('utf8'),
      bodySha256,
      subscription: delivery.subscription,
      receivedAtMs,
    });
  } catch (error) {
    // Give the claim back so FPT's retry is not blocked for the lease; if this fails too, the lease
    // expires on its own and the retry after it gets through.
    await deps.ledger.release(envelope.eventId, token).catch((releaseError: unknown) => {
      logger.error('could not release claim; it will expire', { error: describeError(releaseError) });
    });
    throw new EnqueueFailedError({ cause: error });
  }
  deps.metrics.addMetric(METRIC.enqueued, MetricUnit.Count, 1);
  logger.info('event queued', { eventType: envelope.eventType, messageId });
  return respond(202, { status: 'accepted', eventId: envelope.eventId });
}

/** A fixed 4xx for what the caller got wrong; a generic 500 (FPT retries) for everything else. */
function failureResponse(deps: VerifierDeps, error: unknown): HttpResponse {
  if (error instanceof SecretNotConfiguredError) {
    deps.metrics.addMetric(METRIC.secretNotConfigured, MetricUnit.Count, 1);
    deps.logger.error('signing secret not configured; failing closed', { reason: error.reason });
    return rejectDelivery(deps, error);
  }
  if (error instanceof SecretMalformedError) {
    countMalformedSecret(deps, 'AWSCURRENT');
    return rejectDelivery(deps, error);
  }
  if (error instanceof HttpError && error.statusCode < 500) return rejectDelivery(deps, error);
  deps.logger.error('delivery failed; FPT will retry', { error: describeError(error) });
  return respond(500, { message: 'Internal Server Error' });
}

/** A stored secret of the wrong shape: counted for the secret-malformed alarm; the value is never logged. */
function countMalformedSecret(deps: VerifierDeps, stage: 'AWSCURRENT' | 'AWSPREVIOUS'): void {
  deps.metrics.addMetric(METRIC.secretMalformed, MetricUnit.Count, 1);
  deps.logger.error(
    stage === 'AWSCURRENT'
      ? 'signing secret malformed; failing closed'
      : 'previous signing secret malformed; not used',
    { stage, reason: 'secret_malformed' },
  );
}

function rejectDelivery(deps: VerifierDeps, error: HttpError): HttpResponse {
  // A single metric, so the reason dimension does not leak onto the invocation's other metrics.
  const rejected = deps.metrics.singleMetric();
  rejected.addDimension('reason', error.reason);
  rejected.addMetric(METRIC.rejected, MetricUnit.Count, 1);
  deps.logger.warn('delivery rejected', { reason: error.reason, statusCode: error.statusCode });
  return errorResponse(error);
}
