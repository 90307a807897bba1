/**
 * The value the stack stores in each signing secret until an operator sets the real one. The verifier
 * treats it as "not configured" and fails closed. It is not a secret, which is why it can live here.
 */
export const SECRET_PLACEHOLDER = 'FPT_SIGNING_SECRET_NOT_CONFIGURED';

/** True when a stored value must never be used to verify anything. */
export function isUnusableSecret(value: string | undefined): boolean {
  return value === undefined || value.trim() === '' || value === SECRET_PLACEHOLDER;
}
