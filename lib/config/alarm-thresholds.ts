/**
 * Alarm thresholds: the `alarms` object of the `fpt` configuration, its defaults and its bounds.
 *
 * Pure (no CDK imports), like the rest of lib/config/.
 */
import { ConfigValidationError, checkInteger, stripUndefined } from './validation';

/**
 * Alarm thresholds (see docs/runbooks/alarms.md for what each alarm means and docs/observability.md for
 * the metrics). Alarms on facts that are always worth a look (secret not configured, invalid envelope
 * parked, rotation due or failed) fire on the first occurrence and take no threshold.
 */
export interface AlarmsConfigInput {
  /**
   * Messages visible in the dead-letter queue at which `dlq-messages-visible` fires.
   * @default 1
   */
  readonly deadLetterQueueMessages?: number;
  /**
   * Age in seconds of the work queue's oldest message above which `queue-oldest-message-age` fires. A
   * message that keeps failing legitimately lives up to maxReceiveCount x the visibility timeout
   * (5 x 180 s with the defaults), so raise this with either.
   * @default 900
   */
  readonly queueOldestMessageAgeSeconds?: number;
  /**
   * Percentage of deliveries rejected for a bad signature or a stale/future timestamp above which
   * `verifier-signature-failures` fires (two of three 5-minute periods).
   * @default 10
   */
  readonly signatureFailureRatePercent?: number;
  /**
   * Fewest authentication failures in a 5-minute period before `verifier-signature-failures` counts
   * the period at all, so a stray probe on a quiet stack (one bad request among five) does not page.
   * @default 5
   */
  readonly signatureFailureMinCount?: number;
  /**
   * Verifier Lambda errors (crashes, timeouts) per 5 minutes at which `verifier-errors` fires.
   * @default 1
   */
  readonly verifierErrors?: number;
  /**
   * 5xx responses of the HTTP API per 5 minutes at which `api-5xx` fires. FPT retries a 5xx, so a few are
   * harmless.
   * @default 5
   */
  readonly apiServerErrors?: number;
  /**
   * Processor Lambda errors per 5 minutes at which `processor-errors` fires.
   * @default 1
   */
  readonly processorErrors?: number;
  /**
   * Processor Lambda throttles per 5 minutes at which `processor-throttles` fires.
   * @default 1
   */
  readonly processorThrottles?: number;
  /**
   * Throttled ledger requests (GetItem, PutItem, UpdateItem, DeleteItem) per 5 minutes at which
   * `ledger-throttles` fires. The SDK retries throttled requests, so a few are harmless.
   * @default 5
   */
  readonly ledgerThrottledRequests?: number;
  /**
   * Ledger system errors (HTTP 500 from DynamoDB) per 5 minutes at which `ledger-system-errors` fires.
   * @default 1
   */
  readonly ledgerSystemErrors?: number;
  /**
   * When set, `verifier-ingest-stopped` fires after this many hours without a single delivery. Only
   * useful when FPT sends something every few hours; off by default because quiet nights are normal.
   * @default - no ingest-stopped alarm
   */
  readonly ingestStoppedHours?: number;
}

/** {@link AlarmsConfigInput} with defaults applied. */
export interface AlarmsConfig {
  readonly deadLetterQueueMessages: number;
  readonly queueOldestMessageAgeSeconds: number;
  readonly signatureFailureRatePercent: number;
  readonly signatureFailureMinCount: number;
  readonly verifierErrors: number;
  readonly apiServerErrors: number;
  readonly processorErrors: number;
  readonly processorThrottles: number;
  readonly ledgerThrottledRequests: number;
  readonly ledgerSystemErrors: number;
  readonly ingestStoppedHours?: number;
}

export const DEFAULT_ALARMS = {
  deadLetterQueueMessages: 1,
  queueOldestMessageAgeSeconds: 900,
  signatureFailureRatePercent: 10,
  signatureFailureMinCount: 5,
  verifierErrors: 1,
  apiServerErrors: 5,
  processorErrors: 1,
  processorThrottles: 1,
  ledgerThrottledRequests: 5,
  ledgerSystemErrors: 1,
} as const;

/** Inclusive bounds of each alarm setting. */
const ALARM_LIMITS: { readonly [K in keyof Required<AlarmsConfigInput>]: readonly [number, number] } = {
  deadLetterQueueMessages: [1, 100_000],
  // The work queue keeps messages 4 days.
  queueOldestMessageAgeSeconds: [60, 4 * 24 * 60 * 60],
  signatureFailureRatePercent: [1, 100],
  signatureFailureMinCount: [1, 100_000],
  verifierErrors: [1, 100_000],
  apiServerErrors: [1, 100_000],
  processorErrors: [1, 100_000],
  processorThrottles: [1, 100_000],
  ledgerThrottledRequests: [1, 100_000],
  ledgerSystemErrors: [1, 100_000],
  // One-hour periods: CloudWatch evaluates at most 7 days.
  ingestStoppedHours: [1, 168],
};

/**
 * Applies alarm defaults and collects problems into `problems` (keys are reported as `alarms.<key>`).
 * @returns the resolved settings; meaningless when problems were added
 */
export function resolveAlarms(problems: string[], raw: unknown): AlarmsConfig {
  if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) {
    problems.push(
      `alarms must be an object such as {"queueOldestMessageAgeSeconds":1800}, but ${JSON.stringify(raw)} was provided`,
    );
    return { ...DEFAULT_ALARMS };
  }
  const input = stripUndefined((raw ?? {}) as AlarmsConfigInput);
  for (const key of Object.keys(input)) {
    if (!(key in ALARM_LIMITS)) {
      problems.push(
        `alarms.${key} is not an alarm setting; use one of ${Object.keys(ALARM_LIMITS).join(', ')}`,
      );
    }
  }
  const merged: AlarmsConfigInput = { ...DEFAULT_ALARMS, ...input };
  for (const [key, [min, max]] of Object.entries(ALARM_LIMITS)) {
    const value = merged[key as keyof AlarmsConfigInput];
    if (value !== undefined) checkInteger(problems, `alarms.${key}`, value, min, max);
  }
  return merged as AlarmsConfig;
}

/**
 * Applies alarm defaults and validates them, for constructs used without {@link resolveConfig}.
 * @throws ConfigValidationError listing each problem
 */
export function resolveAlarmsConfig(input: AlarmsConfigInput = {}): AlarmsConfig {
  const problems: string[] = [];
  const alarms = resolveAlarms(problems, input);
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return alarms;
}
