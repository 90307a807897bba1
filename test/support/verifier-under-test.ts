import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createVerifierCore, type VerifierDeps } from '../../lambda/verifier/receive';
import { FakeLedger } from './fake-ledger';
import { fptHeader } from './independent-signer';

type Required = Pick<VerifierDeps, 'subscriptions' | 'secrets' | 'now'>;

/**
 * The verifier core on a fake ledger and a recording queue, with the deployed defaults for what a test
 * does not set. `deliver` signs a body with the key given (as FPT, or as whoever holds that key would)
 * and publishes the metrics the call stored, so a test reads them from the captured output.
 */
export function verifierUnderTest(deps: Required & Partial<VerifierDeps>) {
  const ledger = new FakeLedger();
  const sent: string[] = [];
  const metrics = new Metrics({ namespace: 'Test', serviceName: 'test' });
  const core = createVerifierCore({
    toleranceSeconds: 300,
    maxBodyBytes: 256 * 1024,
    previousSecretGraceMs: 24 * 3_600_000,
    ledger,
    enqueue: async ({ envelope }) => {
      sent.push(envelope.eventId);
      return `m-${sent.length}`;
    },
    logger: new Logger({ serviceName: 'test' }),
    metrics,
    ...deps,
  });
  const deliver = async (subscription: string, signingKey: string, body: string) => {
    const response = await core({
      subscription,
      headers: { 'x-fpt-signature': fptHeader(signingKey, Math.floor(deps.now() / 1000), body) },
      body,
      isBase64Encoded: false,
    });
    metrics.publishStoredMetrics();
    return response;
  };
  return { deliver, ledger, sent };
}
