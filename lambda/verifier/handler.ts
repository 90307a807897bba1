import { composeVerifier } from './composition';
import type { VerifierHandler } from './create-handler';

/** Lambda entry point: the real clients and the environment's settings, wired once per container. */
export const handler: VerifierHandler = composeVerifier();
