import { EnvelopeValidationError } from '../../lambda/shared/errors';

/** The problems an EnvelopeValidationError thrown by `run` lists; none when it does not throw. */
export function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof EnvelopeValidationError) return error.problems;
    throw error;
  }
  return [];
}
