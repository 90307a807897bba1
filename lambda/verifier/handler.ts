import { getDocumentClient, getSecretsClient, getSqsClient } from '../shared/clients';
import { ENV, getIntFromEnv, getStringFromEnv, getSubscriptionsFromEnv } from '../shared/env';
import { EventLedger } from '../shared/ledger';
import { createLogger, createMetrics, METRIC } from '../shared/observability';
import { createVerifierHandler, sqsEnqueue, type VerifierHandler } from './create-handler';
import type { ReceiverDeps } from './receive';
import { SecretStore } from './secret-store';

/** Lambda entry point: wires the real clients from the environment, once per container. */
function depsFromEnvironment(): ReceiverDeps {
  const logger = createLogger('verifier');
  const metrics = createMetrics('verifier');
  const now = () => Date.now();
  return {
    subscriptions: getSubscriptionsFromEnv(),
    toleranceSeconds: getIntFromEnv(ENV.signatureToleranceSeconds, 300),
    maxBodyBytes: getIntFromEnv(ENV.maxBodyBytes, 256 * 1024),
    previousSecretGraceMs: getIntFromEnv(ENV.previousSecretGraceHours, 24) * 60 * 60 * 1000,
    ledger: new EventLedger({
      client: getDocumentClient(),
      tableName: getStringFromEnv(ENV.ledgerTableName),
      retentionDays: getIntFromEnv(ENV.ledgerRetentionDays, 30),
    }),
    secrets: new SecretStore({
      client: getSecretsClient(),
      now,
      onFetch: (stage) => {
        const refresh = metrics.singleMetric();
        refresh.addDimension('stage', stage);
        refresh.addMetric(METRIC.secretRefresh, 'Count', 1);
      },
    }),
    enqueue: sqsEnqueue(getSqsClient(), getStringFromEnv(ENV.queueUrl)),
    now,
    logger,
    metrics,
  };
}

export const handler: VerifierHandler = createVerifierHandler(depsFromEnvironment());
