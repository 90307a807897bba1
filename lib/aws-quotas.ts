/*
 * AWS quotas the receiver is checked against, with no CDK import so the CLI (doctor) can use them too.
 * Documented in docs/aws-contracts.md.
 */

/** Lambda: all of a function's environment variables together, in bytes. */
export const LAMBDA_ENVIRONMENT_MAX_BYTES = 4096;
/** Lambda's default concurrent executions quota per Region; new accounts can start far lower (10). */
export const LAMBDA_DEFAULT_CONCURRENT_EXECUTIONS = 1000;
/** Lambda keeps this much of the account's concurrency unreserved (all of it on a quota below it). */
export const LAMBDA_MIN_UNRESERVED_CONCURRENCY = 100;
/** SNS topic display name. */
export const SNS_DISPLAY_NAME_MAX_LENGTH = 100;
/** Service Quotas code of Lambda's "Concurrent executions", for messages that say what to ask for. */
export const LAMBDA_CONCURRENCY_QUOTA_CODE = 'L-B99A9384';

/** The least unreserved concurrency Lambda allows an account with this quota to keep. */
export function minimumUnreservedConcurrency(accountLimit: number): number {
  return Math.min(LAMBDA_MIN_UNRESERVED_CONCURRENCY, accountLimit);
}

/**
 * Whether reserving `reserved` for a function fits an account, and if not, what to ask AWS for.
 * @param unreserved the account's unreserved concurrency now, not counting this function's own reservation
 * @returns the problem, or undefined when it fits
 */
export function reservedConcurrencyProblem(
  reserved: number,
  account: { readonly limit: number; readonly unreserved: number },
): string | undefined {
  const floor = minimumUnreservedConcurrency(account.limit);
  if (account.unreserved - reserved >= floor) return undefined;
  const needed = account.limit - account.unreserved + reserved + floor;
  return `verifierReservedConcurrency ${reserved} would leave ${account.unreserved - reserved} unreserved, below Lambda's minimum of ${floor}: ask AWS to raise the Lambda quota "Concurrent executions" (${LAMBDA_CONCURRENCY_QUOTA_CODE}) to at least ${needed}, or lower verifierReservedConcurrency`;
}
