import type { DefaultHandler } from './types';

/**
 * Runs for every event type outside the v1.1 catalog, e.g. FPT's roadmap families (`membership.*`,
 * `payment.*`, `class.*`, ...) which have no documented `data` shape yet. It logs the type and
 * acknowledges: an unknown type must never fail, or it would be retried into the DLQ for nothing.
 */
export const defaultHandler: DefaultHandler = async (event, ctx) => {
  ctx.logger.info('acknowledged event type without a handler', { eventType: event.eventType });
};
