/**
 * Receiver configuration: the one source of truth for the CDK stack and the local emulator stack.
 *
 * It is pure (no CDK imports) so that `local/` can derive exactly the same resources from it.
 */

import { DEFAULTS, processingLeaseSeconds } from '../lambda/shared/defaults';

/** How an FPT subscription is scoped; documented in docs/subscriptions.md. */
export type SubscriptionScope = 'location' | 'organization';

export interface SubscriptionConfig {
  /** URL path segment: `POST /webhooks/{name}`. Lowercase letters, digits and dashes. */
  readonly name: string;
  /**
   * Informational: which FPT scope this subscription was created with.
   * @default 'location'
   */
  readonly scope?: SubscriptionScope;
}

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
  verifierErrors: [1, 100_000],
  apiServerErrors: [1, 100_000],
  processorErrors: [1, 100_000],
  processorThrottles: [1, 100_000],
  ledgerThrottledRequests: [1, 100_000],
  ledgerSystemErrors: [1, 100_000],
  // One-hour periods: CloudWatch evaluates at most 7 days.
  ingestStoppedHours: [1, 168],
};

export interface ReceiverConfigInput {
  /**
   * FPT subscriptions, by name or with details. Each gets its own URL path and signing secret.
   * @default ['default']
   */
  readonly subscriptions?: ReadonlyArray<string | SubscriptionConfig>;
  /**
   * Maximum |now - t| accepted on `X-FPT-Signature`, past and future.
   * @default 300
   */
  readonly signatureToleranceSeconds?: number;
  /**
   * How long an eventId is remembered for deduplication (DynamoDB TTL), in days.
   * @default 30
   */
  readonly ledgerRetentionDays?: number;
  /**
   * Receives of one message before SQS moves it to the DLQ.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * Retention of the Lambda and API access log groups, in days (a CloudWatch Logs retention value).
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * Email address subscribed to the alarm topic.
   * @default - no email subscription
   */
  readonly alarmEmail?: string;
  /**
   * Processor Lambda timeout in seconds. The queue's visibility timeout is 6x this.
   * @default 30
   */
  readonly processorTimeoutSeconds?: number;
  /**
   * SQS records per processor invocation.
   * @default 10
   */
  readonly processorBatchSize?: number;
  /**
   * Seconds the event source waits to fill a batch.
   * @default 0
   */
  readonly processorBatchingWindowSeconds?: number;
  /**
   * Most processor invocations the SQS event source runs at once (2 to 1000). Caps what handlers' own
   * dependencies (a CRM API, a database) receive and keeps the processor from taking the account's
   * Lambda concurrency from the verifier. Events beyond the cap wait in the queue; none is lost.
   * @default - no cap: the event source scales up to 1,250 concurrent batches
   */
  readonly processorMaxConcurrency?: number;
  /**
   * Lambda concurrency reserved for the verifier, so no other function in the account can starve
   * ingestion. It is also the verifier's ceiling: requests beyond it get 429 and FPT retries them.
   * @default - none: the verifier shares the account's unreserved concurrency
   */
  readonly verifierReservedConcurrency?: number;
  /**
   * Write units per second the ledger serves at once (DynamoDB warm throughput, 4,000 to 1,000,000).
   * An event costs about two writes to enqueue and three to process; see docs/capacity.md.
   * @default - DynamoDB's starting value for a new on-demand table (4,000)
   */
  readonly ledgerWarmWriteUnitsPerSecond?: number;
  /**
   * Active X-Ray tracing of the three functions. Off, nothing is traced and the functions' roles lose
   * their only `*` statement; at low volume that is the largest per-event saving (docs/cost.md).
   * @default true
   */
  readonly xrayTracing?: boolean;
  /**
   * Steady-state requests per second allowed by the API stage.
   * @default 50
   */
  readonly throttlingRateLimit?: number;
  /**
   * Burst of requests allowed by the API stage.
   * @default 100
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Hours during which the previous secret (AWSPREVIOUS) is still accepted after a new one is set.
   * @default 24
   */
  readonly previousSecretGraceHours?: number;
  /**
   * Days after which a signing secret is due for rotation. Secrets Manager runs the rotation function on
   * this schedule; with nothing staged it fails on purpose and the `rotation-due` alarm fires (see
   * docs/decisions/0005-secret-rotation.md). `secret status` reports secrets older than this as due.
   * @default 90
   */
  readonly secretMaxAgeDays?: number;
  /**
   * Alarm thresholds; each unset field takes its default.
   * @default - the defaults in {@link DEFAULT_ALARMS}, no ingest-stopped alarm
   */
  readonly alarms?: AlarmsConfigInput;
}

export interface ReceiverConfig {
  readonly subscriptions: ReadonlyArray<Required<SubscriptionConfig>>;
  readonly signatureToleranceSeconds: number;
  readonly ledgerRetentionDays: number;
  readonly maxReceiveCount: number;
  readonly logRetentionDays: number;
  readonly alarmEmail?: string;
  readonly processorTimeoutSeconds: number;
  readonly processorBatchSize: number;
  readonly processorBatchingWindowSeconds: number;
  readonly processorMaxConcurrency?: number;
  readonly verifierReservedConcurrency?: number;
  readonly ledgerWarmWriteUnitsPerSecond?: number;
  readonly xrayTracing: boolean;
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
  readonly previousSecretGraceHours: number;
  readonly secretMaxAgeDays: number;
  /** Alarm thresholds, defaults applied. */
  readonly alarms: AlarmsConfig;
  /** Largest accepted request body, fixed by the product: 256 KiB. */
  readonly maxBodyBytes: number;
}

export const DEFAULT_CONFIG = {
  subscriptions: ['default'],
  signatureToleranceSeconds: DEFAULTS.signatureToleranceSeconds,
  ledgerRetentionDays: DEFAULTS.ledgerRetentionDays,
  maxReceiveCount: DEFAULTS.maxReceiveCount,
  logRetentionDays: 30,
  processorTimeoutSeconds: DEFAULTS.processorTimeoutSeconds,
  processorBatchSize: 10,
  processorBatchingWindowSeconds: 0,
  throttlingRateLimit: 50,
  throttlingBurstLimit: 100,
  previousSecretGraceHours: DEFAULTS.previousSecretGraceHours,
  secretMaxAgeDays: 90,
  xrayTracing: true,
} as const;

export const MAX_BODY_BYTES = DEFAULTS.maxBodyBytes;

/** DLQ retention is fixed at the SQS maximum so a parked event survives a long weekend and more. */
export const DLQ_RETENTION_DAYS = 14;

/** CloudWatch Logs accepts only these retention values. */
export const LOG_RETENTION_VALUES = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const SUBSCRIPTION_NAME = /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Thrown when configuration is invalid; the message lists every problem and how to fix it. */
export class ConfigValidationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid fpt receiver configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigValidationError';
  }
}

function checkInteger(problems: string[], key: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    problems.push(
      `${key} must be a whole number from ${min} to ${max}, but ${JSON.stringify(value)} was provided (set "fpt.${key}" in cdk.json or the construct props)`,
    );
  }
}

/** {@link checkInteger} for a setting without a default: unset is fine. */
function checkOptionalInteger(
  problems: string[],
  key: string,
  value: unknown,
  min: number,
  max: number,
): void {
  if (value !== undefined) checkInteger(problems, key, value, min, max);
}

function normaliseSubscriptions(problems: string[], raw: unknown): Required<SubscriptionConfig>[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.push(
      `subscriptions must list at least one subscription name, e.g. ["default"], but ${JSON.stringify(raw)} was provided`,
    );
    return [];
  }
  const seen = new Set<string>();
  const out: Required<SubscriptionConfig>[] = [];
  for (const entry of raw) {
    const item: Partial<SubscriptionConfig> =
      typeof entry === 'string' ? { name: entry } : ((entry ?? {}) as Partial<SubscriptionConfig>);
    const name = item.name;
    if (typeof name !== 'string' || !SUBSCRIPTION_NAME.test(name)) {
      problems.push(
        `subscription name must be 1-48 lowercase letters, digits or dashes, starting and ending with a letter or digit, but ${JSON.stringify(name)} was provided`,
      );
      continue;
    }
    if (seen.has(name)) {
      problems.push(`subscription names must be unique, but "${name}" appears more than once`);
      continue;
    }
    const scope = item.scope ?? 'location';
    if (scope !== 'location' && scope !== 'organization') {
      problems.push(
        `subscription "${name}" scope must be "location" or "organization", but ${JSON.stringify(scope)} was provided`,
      );
      continue;
    }
    seen.add(name);
    out.push({ name, scope });
  }
  return out;
}

/**
 * Applies alarm defaults and collects problems into `problems` (keys are reported as `alarms.<key>`).
 * @returns the resolved settings; meaningless when problems were added
 */
function resolveAlarms(problems: string[], raw: unknown): AlarmsConfig {
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

/** Props of the construct that may also come from the `fpt` context but are read by the construct itself. */
export const CONSTRUCT_SETTING_KEYS = [
  'verifierMemorySize',
  'processorMemorySize',
  'logLevel',
  'logSampleRate',
] as const;

/** Every setting `resolveConfig` knows; a Record so adding a setting without listing it fails to compile. */
const CONFIG_KEYS: Readonly<Record<keyof ReceiverConfigInput, true>> = {
  subscriptions: true,
  signatureToleranceSeconds: true,
  ledgerRetentionDays: true,
  maxReceiveCount: true,
  logRetentionDays: true,
  alarmEmail: true,
  processorTimeoutSeconds: true,
  processorBatchSize: true,
  processorBatchingWindowSeconds: true,
  processorMaxConcurrency: true,
  verifierReservedConcurrency: true,
  ledgerWarmWriteUnitsPerSecond: true,
  xrayTracing: true,
  throttlingRateLimit: true,
  throttlingBurstLimit: true,
  previousSecretGraceHours: true,
  secretMaxAgeDays: true,
  alarms: true,
};

/**
 * Applies defaults and validates everything at once, so a user fixes all problems in one pass.
 * @param otherKeys keys the caller reads itself (construct props), accepted here and named in messages
 * @throws ConfigValidationError listing each problem
 */
export function resolveConfig(
  input: ReceiverConfigInput = {},
  otherKeys: readonly string[] = [],
): ReceiverConfig {
  const problems: string[] = [];
  const known = [...Object.keys(CONFIG_KEYS), ...otherKeys];
  for (const key of Object.keys(input)) {
    // A misspelt setting would otherwise be ignored in silence and the default used instead.
    if (!known.includes(key)) problems.push(`${key} is not a setting; use one of ${known.join(', ')}`);
  }
  const merged = { ...DEFAULT_CONFIG, ...stripUndefined(input) };
  const subscriptions = normaliseSubscriptions(problems, merged.subscriptions);
  const alarms = resolveAlarms(problems, input.alarms);

  checkInteger(problems, 'signatureToleranceSeconds', merged.signatureToleranceSeconds, 1, 3600);
  checkInteger(problems, 'ledgerRetentionDays', merged.ledgerRetentionDays, DLQ_RETENTION_DAYS + 1, 3650);
  checkInteger(problems, 'maxReceiveCount', merged.maxReceiveCount, 1, 1000);
  checkInteger(problems, 'processorTimeoutSeconds', merged.processorTimeoutSeconds, 1, 900);
  checkInteger(problems, 'processorBatchSize', merged.processorBatchSize, 1, 10);
  checkInteger(problems, 'processorBatchingWindowSeconds', merged.processorBatchingWindowSeconds, 0, 300);
  // The event source's own bounds: at least 2, at most 1,000.
  checkOptionalInteger(problems, 'processorMaxConcurrency', merged.processorMaxConcurrency, 2, 1000);
  // 0 would stop all ingestion; the upper bound only catches typos (the account quota is checked at deploy).
  checkOptionalInteger(
    problems,
    'verifierReservedConcurrency',
    merged.verifierReservedConcurrency,
    1,
    100000,
  );
  // DynamoDB starts on-demand tables at 4,000 and cannot set less; the upper bound catches typos.
  checkOptionalInteger(
    problems,
    'ledgerWarmWriteUnitsPerSecond',
    merged.ledgerWarmWriteUnitsPerSecond,
    4000,
    1_000_000,
  );
  if (typeof merged.xrayTracing !== 'boolean') {
    problems.push(
      `xrayTracing must be true or false, but ${JSON.stringify(merged.xrayTracing)} was provided`,
    );
  }
  checkInteger(problems, 'throttlingRateLimit', merged.throttlingRateLimit, 1, 10000);
  checkInteger(problems, 'throttlingBurstLimit', merged.throttlingBurstLimit, 1, 5000);
  checkInteger(problems, 'previousSecretGraceHours', merged.previousSecretGraceHours, 0, 24 * 30);
  // Secrets Manager accepts rotation schedules of 1 to 1000 days.
  checkInteger(problems, 'secretMaxAgeDays', merged.secretMaxAgeDays, 1, 1000);
  if (!(LOG_RETENTION_VALUES as readonly number[]).includes(merged.logRetentionDays as number)) {
    problems.push(
      `logRetentionDays must be one of ${LOG_RETENTION_VALUES.join(', ')}, but ${JSON.stringify(merged.logRetentionDays)} was provided`,
    );
  }
  if (
    typeof merged.processorTimeoutSeconds === 'number' &&
    merged.processorTimeoutSeconds * 6 > 12 * 60 * 60
  ) {
    problems.push(
      `processorTimeoutSeconds must be at most 7200 so the queue visibility timeout (6x) stays within the SQS limit of 12 hours, but ${merged.processorTimeoutSeconds} was provided`,
    );
  }
  if (
    merged.alarmEmail !== undefined &&
    (typeof merged.alarmEmail !== 'string' || !EMAIL.test(merged.alarmEmail))
  ) {
    problems.push(
      `alarmEmail must be an email address like ops@example.com, but ${JSON.stringify(merged.alarmEmail)} was provided`,
    );
  }
  if (problems.length > 0) throw new ConfigValidationError(problems);

  return {
    subscriptions,
    signatureToleranceSeconds: merged.signatureToleranceSeconds,
    ledgerRetentionDays: merged.ledgerRetentionDays,
    maxReceiveCount: merged.maxReceiveCount,
    logRetentionDays: merged.logRetentionDays,
    ...(merged.alarmEmail !== undefined ? { alarmEmail: merged.alarmEmail } : {}),
    processorTimeoutSeconds: merged.processorTimeoutSeconds,
    processorBatchSize: merged.processorBatchSize,
    processorBatchingWindowSeconds: merged.processorBatchingWindowSeconds,
    // The optional settings: present in the result only when set.
    ...stripUndefined({
      processorMaxConcurrency: merged.processorMaxConcurrency,
      verifierReservedConcurrency: merged.verifierReservedConcurrency,
      ledgerWarmWriteUnitsPerSecond: merged.ledgerWarmWriteUnitsPerSecond,
    }),
    xrayTracing: merged.xrayTracing,
    throttlingRateLimit: merged.throttlingRateLimit,
    throttlingBurstLimit: merged.throttlingBurstLimit,
    previousSecretGraceHours: merged.previousSecretGraceHours,
    secretMaxAgeDays: merged.secretMaxAgeDays,
    alarms,
    maxBodyBytes: MAX_BODY_BYTES,
  };
}

/** The object without its undefined fields, typed so each kept field is known to be defined. */
function stripUndefined<T extends object>(input: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}

/** Resources derived from the config; the CDK constructs and the local stack both build from these. */
export interface ResourceSpec {
  readonly queue: {
    readonly visibilityTimeoutSeconds: number;
    readonly retentionSeconds: number;
    readonly maxMessageSizeBytes: number;
  };
  readonly dlq: { readonly retentionSeconds: number; readonly maxReceiveCount: number };
  readonly ledger: {
    readonly partitionKey: string;
    readonly ttlAttribute: string;
    readonly retentionDays: number;
  };
  readonly eventSource: { readonly batchSize: number; readonly maxBatchingWindowSeconds: number };
  readonly processorTimeoutSeconds: number;
  readonly processingLeaseSeconds: number;
  readonly verifierTimeoutSeconds: number;
}

/** Lambda's guidance for SQS event sources: visibility timeout at least 6x the function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

export { processingLeaseSeconds };

export function deriveResourceSpec(config: ReceiverConfig): ResourceSpec {
  return {
    queue: {
      visibilityTimeoutSeconds: config.processorTimeoutSeconds * VISIBILITY_TIMEOUT_FACTOR,
      retentionSeconds: 4 * 24 * 60 * 60,
      // The raw body (up to 256 KiB) plus attributes must fit; SQS allows up to 1 MiB.
      maxMessageSizeBytes: 1024 * 1024,
    },
    dlq: { retentionSeconds: DLQ_RETENTION_DAYS * 24 * 60 * 60, maxReceiveCount: config.maxReceiveCount },
    ledger: { partitionKey: 'pk', ttlAttribute: 'expiresAt', retentionDays: config.ledgerRetentionDays },
    eventSource: {
      batchSize: config.processorBatchSize,
      maxBatchingWindowSeconds: config.processorBatchingWindowSeconds,
    },
    processorTimeoutSeconds: config.processorTimeoutSeconds,
    processingLeaseSeconds: processingLeaseSeconds(config.processorTimeoutSeconds),
    // FPT waits 30 s for a 2xx; the verifier must answer well inside that.
    verifierTimeoutSeconds: 10,
  };
}
