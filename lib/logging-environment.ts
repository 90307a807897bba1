/**
 * The Powertools logging variables every function gets. Runtime-free (no CDK imports), so that `local/`
 * sets exactly what the constructs set without loading aws-cdk-lib.
 */

/** Log levels Powertools Logger accepts (`POWERTOOLS_LOG_LEVEL`). */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;

/**
 * How to treat values that may be known only at deployment (CDK tokens). The constructs pass CDK's
 * implementation (`CDK_DEPLOY_TIME_VALUES` in lib/webhook-function.ts); everything else has only literals.
 */
export interface DeployTimeValues {
  /** True when the value is a placeholder resolved at deployment, so it cannot be checked now. */
  isUnresolved(value: unknown): boolean;
  /** The number as an environment-variable string, keeping a placeholder a placeholder. */
  stringifyNumber(value: number): string;
}

/** Plain values only: nothing is deferred to deployment. */
export const LITERAL_VALUES: DeployTimeValues = {
  isUnresolved: () => false,
  stringifyNumber: (value) => String(value),
};

/**
 * The Powertools logging variables of a function: level and debug sampling rate. Shared by all functions.
 * @throws Error when the level is not a Powertools level or the rate is not between 0 and 1
 */
export function loggingEnvironment(
  logLevel = 'INFO',
  logSampleRate = 0,
  values: DeployTimeValues = LITERAL_VALUES,
): Record<string, string> {
  if (!values.isUnresolved(logLevel) && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new Error(`logLevel must be one of ${LOG_LEVELS.join(', ')}, but "${logLevel}" was provided`);
  }
  if (
    !values.isUnresolved(logSampleRate) &&
    (!Number.isFinite(logSampleRate) || logSampleRate < 0 || logSampleRate > 1)
  ) {
    throw new Error(
      `logSampleRate must be a number from 0 to 1 (e.g. 0.1 logs 10% of containers at DEBUG), but ${logSampleRate} was provided`,
    );
  }
  return {
    POWERTOOLS_LOG_LEVEL: logLevel,
    POWERTOOLS_LOGGER_SAMPLE_RATE: values.stringifyNumber(logSampleRate),
  };
}
