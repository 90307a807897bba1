/**
 * The receiver's configuration as written in `cdk.json` (context `fpt`) or the construct props: the
 * settings, their defaults and bounds, and {@link resolveConfig}, which checks them all at once. The one
 * source of truth for the CDK stack and the local emulator stack.
 *
 * Pure (no CDK imports) so that `local/` can derive exactly the same resources from it.
 */

import { DEFAULTS, MAX_SIGNATURE_TOLERANCE_SECONDS } from '../../lambda/shared/defaults';
import { type AlarmsConfig, type AlarmsConfigInput, DEFAULT_ALARMS, resolveAlarms } from './alarm-thresholds';
import { ConfigValidationError, checkInteger, checkOptionalInteger, stripUndefined } from './validation';

/** How an FPT subscription is scoped; documented in docs/subscriptions.md. */
export type SubscriptionScope = 'location' | 'organization';

export interface SubscriptionConfig {
  /** URL path segment: `POST /webhooks/{name}`. Lowercase letters, digits and dashes. */
  readonly name: string;
  /**
   * Which FPT scope this subscription was created with.
   * @default 'location'
   */
  readonly scope?: SubscriptionScope;
  /**
   * The FPT organization the subscription belongs to (`organizationId` of its events; 0 for a location
   * without a parent). An authentic event for another organization is parked, never handled.
   * @default - not checked (`doctor` warns)
   */
  readonly organizationId?: number;
  /**
   * The FPT locations the subscription covers. An authentic event for another location is parked, never
   * handled. For a location-scoped subscription, its one location (or the few it covers).
   * @default - not checked (`doctor` warns for a location-scoped subscription)
   */
  readonly locationIds?: readonly number[];
}

/** A subscription after validation: name and scope always set, bounds only when configured. */
export interface ResolvedSubscription {
  readonly name: string;
  readonly scope: SubscriptionScope;
  readonly organizationId?: number;
  readonly locationIds?: readonly number[];
}

/**
 * Most locationIds one subscription may list. The bounds travel in the verifier's environment, which
 * Lambda caps at 4 KB for all variables together (checked at synth in lib/aws-limits.ts); an
 * organization-wide subscription is bound by `organizationId` instead.
 */
export const MAX_LOCATION_IDS = 50;

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
   * Active X-Ray tracing of the three functions. Lambda samples traced functions at its own fixed rate
   * (the first request each second and 5% of the rest), which a sampling rule cannot lower, so below
   * about one event a second nearly every event is a trace: the largest line at low volume
   * (docs/cost.md prices it). Off, nothing is traced and the functions' roles lose their only `*`
   * statement.
   * @default false
   */
  readonly xrayTracing?: boolean;
  /**
   * The CloudWatch dashboard (FptWebhookReceiverStack) and the metric series only it reads: Enqueued,
   * Processed by event type, EndToEndLatency, VerifierDuration, HandlerDuration and SecretRefresh. Off,
   * the functions publish only the series an alarm reads; the alarms are the same either way
   * (docs/observability.md, docs/cost.md prices both).
   * @default false
   */
  readonly dashboard?: boolean;
  /**
   * Event rows keep each authentic event's exact body for the ledger's retention, in the claim's own
   * write (docs/security.md: personal data; docs/cost.md: no extra write unit for FPT's small bodies).
   * Off, rows keep metadata and the body hash only, and `fpt-webhooks events export` says why it has
   * no body.
   * @default true
   */
  readonly keepEventBodies?: boolean;
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
  readonly subscriptions: ReadonlyArray<ResolvedSubscription>;
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
  readonly dashboard: boolean;
  readonly keepEventBodies: boolean;
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
  xrayTracing: false,
  dashboard: false,
  keepEventBodies: DEFAULTS.keepEventBodies,
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

function normaliseSubscriptions(problems: string[], raw: unknown): ResolvedSubscription[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.push(
      `subscriptions must list at least one subscription name, e.g. ["default"], but ${JSON.stringify(raw)} was provided`,
    );
    return [];
  }
  const seen = new Set<string>();
  const out: ResolvedSubscription[] = [];
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
    const bounds = scopeBounds(problems, name, item);
    if (bounds === undefined) continue;
    seen.add(name);
    out.push({ name, scope, ...bounds });
  }
  return out;
}

const isFptId = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** The subscription's validated organizationId and locationIds; undefined after reporting a problem. */
function scopeBounds(
  problems: string[],
  name: string,
  item: Partial<SubscriptionConfig>,
): Pick<ResolvedSubscription, 'organizationId' | 'locationIds'> | undefined {
  const { organizationId, locationIds } = item;
  const before = problems.length;
  if (organizationId !== undefined && !isFptId(organizationId)) {
    problems.push(
      `subscription "${name}" organizationId must be FPT's whole-number organization id (0 for a location without a parent), but ${JSON.stringify(organizationId)} was provided`,
    );
  }
  if (locationIds !== undefined) {
    if (
      !Array.isArray(locationIds) ||
      locationIds.length === 0 ||
      locationIds.length > MAX_LOCATION_IDS ||
      !locationIds.every(isFptId)
    ) {
      problems.push(
        `subscription "${name}" locationIds must list 1 to ${MAX_LOCATION_IDS} of FPT's whole-number location ids, e.g. [1234], but ${JSON.stringify(locationIds)} was provided`,
      );
    } else if (new Set(locationIds).size !== locationIds.length) {
      problems.push(`subscription "${name}" locationIds lists a location more than once`);
    }
  }
  if (problems.length > before) return undefined;
  return {
    ...(organizationId !== undefined ? { organizationId } : {}),
    ...(locationIds !== undefined ? { locationIds: [...locationIds] } : {}),
  };
}

/** Props of the construct that may also come from the `fpt` context but are read by the construct itself. */
export const CONSTRUCT_SETTING_KEYS = [
  'handlers',
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
  dashboard: true,
  keepEventBodies: true,
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

  checkInteger(
    problems,
    'signatureToleranceSeconds',
    merged.signatureToleranceSeconds,
    1,
    MAX_SIGNATURE_TOLERANCE_SECONDS,
  );
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
  if (typeof merged.keepEventBodies !== 'boolean') {
    problems.push(
      `keepEventBodies must be true or false, but ${JSON.stringify(merged.keepEventBodies)} was provided`,
    );
  }
  if (typeof merged.dashboard !== 'boolean') {
    problems.push(`dashboard must be true or false, but ${JSON.stringify(merged.dashboard)} was provided`);
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
    dashboard: merged.dashboard,
    keepEventBodies: merged.keepEventBodies,
    throttlingRateLimit: merged.throttlingRateLimit,
    throttlingBurstLimit: merged.throttlingBurstLimit,
    previousSecretGraceHours: merged.previousSecretGraceHours,
    secretMaxAgeDays: merged.secretMaxAgeDays,
    alarms,
    maxBodyBytes: MAX_BODY_BYTES,
  };
}
