/**
 * The processor Lambda: SQS (from the verifier) -> ledger lease -> ordering guard -> your handler in
 * lambda/handlers -> ledger outcome. Failed records are reported individually (`batchItemFailures`).
 *
 * Everything below is built once per container and fails fast at cold start if configuration is
 * missing. Clients take their endpoint from the SDK's standard settings (`AWS_ENDPOINT_URL`), so a
 * local poller can import `handler` as is against emulators.
 */
import { defaultHandler, handlers } from '../handlers';
import { getDocumentClient } from '../shared/clients';
import { ENV, getIntFromEnv, getStringFromEnv } from '../shared/env';
import { EventLedger } from '../shared/ledger';
import { createLogger, createMetrics } from '../shared/observability';
import { createProcessorHandler } from './create-handler';

/** Matches DEFAULT_CONFIG in lib/config.ts; the construct always sets the variables explicitly. */
const DEFAULT_LEDGER_RETENTION_DAYS = 30;
const DEFAULT_MAX_RECEIVE_COUNT = 5;
const DEFAULT_PROCESSING_LEASE_SECONDS = 180;

const logger = createLogger('processor');
const metrics = createMetrics('processor');
const ledger = new EventLedger({
  client: getDocumentClient(),
  tableName: getStringFromEnv(ENV.ledgerTableName),
  retentionDays: getIntFromEnv(ENV.ledgerRetentionDays, DEFAULT_LEDGER_RETENTION_DAYS),
  processingLeaseMs: getIntFromEnv(ENV.processingLeaseSeconds, DEFAULT_PROCESSING_LEASE_SECONDS) * 1000,
});

export const handler = createProcessorHandler({
  ledger,
  logger,
  metrics,
  maxReceiveCount: getIntFromEnv(ENV.maxReceiveCount, DEFAULT_MAX_RECEIVE_COUNT),
  handlers,
  defaultHandler,
});

export { createProcessorHandler, type ProcessorHandler, type ProcessorHandlerDeps } from './create-handler';
