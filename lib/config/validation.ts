/** What the configuration modules share: the error they throw and how they check a setting. */

/** Thrown when configuration is invalid; the message lists every problem and how to fix it. */
export class ConfigValidationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid fpt receiver configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigValidationError';
  }
}

export function checkInteger(
  problems: string[],
  key: string,
  value: unknown,
  min: number,
  max: number,
): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    problems.push(
      `${key} must be a whole number from ${min} to ${max}, but ${JSON.stringify(value)} was provided (set "fpt.${key}" in cdk.json or the construct props)`,
    );
  }
}

/** {@link checkInteger} for a setting without a default: unset is fine. */
export function checkOptionalInteger(
  problems: string[],
  key: string,
  value: unknown,
  min: number,
  max: number,
): void {
  if (value !== undefined) checkInteger(problems, key, value, min, max);
}

/** The object without its undefined fields, typed so each kept field is known to be defined. */
export function stripUndefined<T extends object>(input: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
