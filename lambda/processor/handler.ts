/**
 * The processor Lambda: SQS (from the verifier) -> ledger lease -> ordering guard -> your handler in
 * lambda/handlers -> ledger outcome. Failed records are reported individually (`batchItemFailures`).
 *
 * Everything is built once per container by the composition root (composition.ts) and fails fast at
 * cold start if configuration is missing. Clients take their endpoint from the SDK's standard settings
 * (`AWS_ENDPOINT_URL`), so a local poller can import `handler` as is against emulators. A construct given
 * `handlers.entry` bundles partner-handler.ts instead, which routes to the partner's module.
 */
import { defaultHandler, handlers } from '../handlers';
import { composeProcessor } from './composition';

export const handler = composeProcessor({ handlers, defaultHandler });

export { createProcessorHandler, type ProcessorHandler, type ProcessorHandlerDeps } from './create-handler';
