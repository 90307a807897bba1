/**
 * Receiver configuration: the one source of truth for the CDK stack and the local emulator stack.
 *
 * It is pure (no CDK imports) so that `local/` can derive exactly the same resources from it.
 */

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
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
  readonly previousSecretGraceHours: number;
  /** Largest accepted request body, fixed by the product: 256 KiB. */
  readonly maxBodyBytes: number;
}

export const DEFAULT_CONFIG = {
  subscriptions: ['default'],
  signatureToleranceSeconds: 300,
  ledgerRetentionDays: 30,
  maxReceiveCount: 5,
  logRetentionDays: 30,
  processorTimeoutSeconds: 30,
  processorBatchSize: 10,
  processorBatchingWindowSeconds: 0,
  throttlingRateLimit: 50,
  throttlingBurstLimit: 100,
  previousSecretGraceHours: 24,
} as const;

export const MAX_BODY_BYTES = 256 * 1024;

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
 * Applies defaults and validates everything at once, so a user fixes all problems in one pass.
 * @throws ConfigValidationError listing each problem
 */
export function resolveConfig(input: ReceiverConfigInput = {}): ReceiverConfig {
  const problems: string[] = [];
  const merged = { ...DEFAULT_CONFIG, ...stripUndefined(input) };
  const subscriptions = normaliseSubscriptions(problems, merged.subscriptions);

  checkInteger(problems, 'signatureToleranceSeconds', merged.signatureToleranceSeconds, 1, 3600);
  checkInteger(problems, 'ledgerRetentionDays', merged.ledgerRetentionDays, DLQ_RETENTION_DAYS + 1, 3650);
  checkInteger(problems, 'maxReceiveCount', merged.maxReceiveCount, 1, 1000);
  checkInteger(problems, 'processorTimeoutSeconds', merged.processorTimeoutSeconds, 1, 900);
  checkInteger(problems, 'processorBatchSize', merged.processorBatchSize, 1, 10);
  checkInteger(problems, 'processorBatchingWindowSeconds', merged.processorBatchingWindowSeconds, 0, 300);
  checkInteger(problems, 'throttlingRateLimit', merged.throttlingRateLimit, 1, 10000);
  checkInteger(problems, 'throttlingBurstLimit', merged.throttlingBurstLimit, 1, 5000);
  checkInteger(problems, 'previousSecretGraceHours', merged.previousSecretGraceHours, 0, 24 * 30);
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
    throttlingRateLimit: merged.throttlingRateLimit,
    throttlingBurstLimit: merged.throttlingBurstLimit,
    previousSecretGraceHours: merged.previousSecretGraceHours,
    maxBodyBytes: MAX_BODY_BYTES,
  };
}

function stripUndefined<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<T>;
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
  readonly verifierTimeoutSeconds: number;
}

/** Lambda's guidance for SQS event sources: visibility timeout at least 6x the function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

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
    // FPT waits 30 s for a 2xx; the verifier must answer well inside that.
    verifierTimeoutSeconds: 10,
  };
}
