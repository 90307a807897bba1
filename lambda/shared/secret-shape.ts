import { SECRET_PLACEHOLDER } from './secret-placeholder';

/** FPT's signing secrets have "32 or more characters" (developer.fitprotracker.com/webhooks/signing). */
export const MIN_SECRET_LENGTH = 32;

/** Secrets Manager's largest SecretString (PutSecretValue: "Maximum length of 65536"). */
export const SECRET_VALUE_MAX_BYTES = 65_536;

/**
 * The one shape rule for a signing secret, shared by the CLI (before storing), the rotation function
 * (before promoting) and the verifier (before using): FPT's shape, 32 or more characters and no
 * whitespace, and no larger than Secrets Manager stores (a bigger paste is not a secret alone). The
 * problem text names the defect, never the value, so it may reach logs and the terminal.
 * @returns the problem, or undefined when the value is usable
 */
export function secretValueProblem(value: string): string | undefined {
  if (value === SECRET_PLACEHOLDER) return 'it is the placeholder the stack stores';
  if (/\s/.test(value)) return 'it contains whitespace (copy it again without spaces or line breaks)';
  if (value.length < MIN_SECRET_LENGTH) {
    return `it has ${value.length} characters; FPT secrets have at least ${MIN_SECRET_LENGTH}`;
  }
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > SECRET_VALUE_MAX_BYTES) {
    return `it has ${bytes} bytes; Secrets Manager stores at most ${SECRET_VALUE_MAX_BYTES} (is it the whole secret, and only the secret?)`;
  }
  return undefined;
}

/** What a stored value is to the verifier: unset (missing, blank, the placeholder), malformed, or usable. */
export type StoredSecretShape = 'unset' | 'malformed' | 'usable';

/** Classifies a stored value; `unset` keeps its meaning (never configured), `malformed` is a bad value. */
export function storedSecretShape(value: string | undefined): StoredSecretShape {
  if (value === undefined || value.trim() === '' || value === SECRET_PLACEHOLDER) return 'unset';
  return secretValueProblem(value) === undefined ? 'usable' : 'malformed';
}
