import type { EventHandler } from 'fpt-webhook-receiver/runtime';

/**
 * `contact.updated`: something on an existing contact changed (data: contactId, operation "update"; no diff).
 *
 * Example handler: replace the body with your own code. It is called at least once per eventId, so
 * make it idempotent (see docs/handlers.md).
 */
export const handleContactUpdated: EventHandler<'contact.updated'> = async (event, ctx) => {
  if (ctx.isTest) {
    // A test event from fpt-webhooks (made-up ids): acknowledge it without side effects.
    ctx.logger.info('test event: side effects skipped', { eventType: event.eventType });
    return;
  }
  // "Something changed, go look": the payload says nothing about what. Rapid edits are coalesced.
  ctx.logger.info('handled', { eventType: event.eventType, contactId: event.data.contactId });
};
