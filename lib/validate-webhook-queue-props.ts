import { type Duration, Token } from 'aws-cdk-lib';
import { VISIBILITY_TIMEOUT_FACTOR } from './config';

/**
 * Checks that the queue's visibility timeout leaves room for the processor's retries, as Lambda advises
 * for SQS event sources (at least 6x the function timeout). Unresolved tokens are skipped.
 * @throws Error saying which value to raise
 */
export function validateVisibilityTimeout(visibilityTimeout: Duration, processorTimeout: Duration): void {
  if (Token.isUnresolved(visibilityTimeout.toSeconds()) || Token.isUnresolved(processorTimeout.toSeconds())) {
    return;
  }
  const minimum = processorTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR;
  const given = visibilityTimeout.toSeconds();
  if (given < minimum) {
    throw new Error(
      `visibility timeout must be at least ${VISIBILITY_TIMEOUT_FACTOR}x the processor timeout (${minimum} seconds), but ${given} seconds was provided; raise visibilityTimeout or leave it unset to use ${VISIBILITY_TIMEOUT_FACTOR}x processorTimeout`,
    );
  }
}
