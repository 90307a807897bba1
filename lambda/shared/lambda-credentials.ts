import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * Stands in for `@aws-sdk/credential-provider-node` inside the Lambda bundles only (an esbuild alias set
 * in lib/webhook-function.ts). Lambda always hands a function its role's credentials in environment
 * variables, so the default chain's SSO, INI, process, web-identity and IMDS providers, and the STS and
 * SSO clients they pull in, are dead weight: about a fifth of the bundle, parsed on every cold start.
 * Tests and the local stack import the handlers from source and keep the full chain.
 */
export const defaultProvider = (_init?: unknown) => fromEnv();
