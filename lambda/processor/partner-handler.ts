/**
 * The processor Lambda of a construct given `handlers: { entry }`: the same pipeline as handler.ts, routed
 * to the partner's handler module. `fpt-webhook-receiver/partner-handlers` is not a real package: the
 * construct's esbuild alias points it at the partner's file (lib/processor-function.ts), and
 * partner-handlers.d.ts types it for the compiler here.
 */
import { defaultHandler, handlers } from 'fpt-webhook-receiver/partner-handlers';
import { composeProcessor } from './composition';

export const handler = composeProcessor({ handlers, defaultHandler });
