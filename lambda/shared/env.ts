import { DEFAULTS } from './defaults';

/** Environment variable names shared by the constructs (which set them) and the functions (which read them). */
export const ENV = {
  ledgerTableName: 'LEDGER_TABLE_NAME',
  queueUrl: 'QUEUE_URL',
  /** JSON object: subscription name -> secret id (name or ARN). Never a secret value. */
  subscriptions: 'FPT_SUBSCRIPTIONS',
  /**
   * JSON object: subscription name -> `{"org": organizationId, "loc": [locationId, ...]}`, only for
   * subscriptions bound to an FPT scope; unset when none is (lambda/shared/subscription-scope.ts).
   */
  subscriptionScopes: 'FPT_SUBSCRIPTION_SCOPES',
  signatureToleranceSeconds: 'SIGNATURE_TOLERANCE_SECONDS',
  ledgerRetentionDays: 'LEDGER_RETENTION_DAYS',
  maxBodyBytes: 'MAX_BODY_BYTES',
  maxReceiveCount: 'MAX_RECEIVE_COUNT',
  previousSecretGraceHours: 'PREVIOUS_SECRET_GRACE_HOURS',
  /** How long a processor invocation owns an event; longer than the processor timeout. */
  processingLeaseSeconds: 'PROCESSING_LEASE_SECONDS',
  /** `on`: also publish the metric series only the dashboard reads (config `dashboard`). */
  dashboardMetrics: 'FPT_DASHBOARD_METRICS',
  /** `off`: event rows keep no body (config `keepEventBodies: false`); unset keeps them. */
  keepEventBodies: 'KEEP_EVENT_BODIES',
} as const;

/** Reads a required variable, failing fast with the variable's name (never its value). */
export function getStringFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new Error(`environment variable ${name} is required but not set`);
  }
  return value;
}

/** Whether event rows keep their body: unless the variable is `off`. */
export function keepsEventBodies(env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = env[ENV.keepEventBodies];
  return raw === undefined || raw === '' ? DEFAULTS.keepEventBodies : raw !== 'off';
}

export function getIntFromEnv(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value)) {
    throw new Error(`environment variable ${name} must be a whole number`);
  }
  return value;
}

export function getSubscriptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ReadonlyMap<string, string> {
  const raw = getStringFromEnv(ENV.subscriptions, env);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`environment variable ${ENV.subscriptions} must be a JSON object`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`environment variable ${ENV.subscriptions} must be a JSON object`);
  }
  return new Map(Object.entries(parsed as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}
