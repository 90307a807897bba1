import type { EventHandler } from 'fpt-webhook-receiver/runtime';

/**
 * `contact.created`: a new contact was added at a location (data: contactId, operation "create").
 *
 * Example handler: replace the body with your own code. It is called at least once per eventId, so
 * make it idempotent (see docs/handlers.md).
 */
export const handleContactCreated: EventHandler<'contact.created'> = async (event, ctx) => {
  if (ctx.isTest) {
    // A test event from fpt-webhooks (made-up ids): acknowledge it without side effects.
    ctx.logger.info('test event: side effects skipped', { eventType: event.eventType });
    return;
  }
  // Often followed within seconds by contact.updated / status_changed / sub_group_changed for the same contact.
  ctx.logger.info('handled', { eventType: event.eventType, contactId: event.data.contactId });
};
