/**
 * The receiver's default settings, in one place. lib/config/schema.ts builds its defaults from these, and the
 * functions' composition roots fall back to them when a variable is unset, so a function wired by hand
 * (a test, a script, the local stack) behaves as the deployed one does. lambda/ never imports lib/, so
 * the numbers live here.
 */
export const DEFAULTS = {
  signatureToleranceSeconds: 300,
  ledgerRetentionDays: 30,
  maxReceiveCount: 5,
  processorTimeoutSeconds: 30,
  previousSecretGraceHours: 24,
  /** API Gateway's payload limit is 10 MB; FPT's events are small, so anything over 256 KiB is refused. */
  maxBodyBytes: 256 * 1024,
  /** How long a verifier claim blocks other deliveries of the same eventId: longer than its timeout. */
  claimLeaseMs: 30_000,
  /** How long a fetched signing secret is trusted before Secrets Manager is asked again. */
  secretTtlMs: 60_000,
  /** Event rows keep the event's exact body for the ledger's retention (docs/security.md). */
  keepEventBodies: true,
} as const;

/** The largest signature tolerance a configuration may set (lib/config validates it). */
export const MAX_SIGNATURE_TOLERANCE_SECONDS = 3600;

/**
 * How long a processor invocation owns an event: longer than any invocation can run, so a redelivered
 * copy never takes over a handler that is still running.
 */
export function processingLeaseSeconds(processorTimeoutSeconds: number): number {
  return processorTimeoutSeconds + 30;
}

/** The processing lease of the default configuration, as deployed (60 s). */
export const DEFAULT_PROCESSING_LEASE_SECONDS = processingLeaseSeconds(DEFAULTS.processorTimeoutSeconds);
