import type { DefaultHandler } from 'fpt-webhook-receiver/runtime';

/**
 * Runs for every event type outside the v1.1 catalog, e.g. FPT's roadmap families (`membership.*`,
 * `payment.*`, `class.*`, ...) which have no documented `data` shape yet. It logs the type and
 * acknowledges: an unknown type must never fail, or it would be retried into the DLQ for nothing.
 */
export const defaultHandler: DefaultHandler = async (event, ctx) => {
  if (ctx.isTest) {
    // A test event from fpt-webhooks (made-up ids): acknowledge it without side effects.
    ctx.logger.info('test event: side effects skipped', { eventType: event.eventType });
    return;
  }
  ctx.logger.info('acknowledged event type without a handler', { eventType: event.eventType });
};
