import type { EventHandler } from 'fpt-webhook-receiver/runtime';

/**
 * `contact.deleted`: a contact was soft-deleted (data: contactId, operation "delete").
 *
 * Example handler: replace the body with your own code. It is called at least once per eventId, so
 * make it idempotent (see docs/handlers.md).
 */
export const handleContactDeleted: EventHandler<'contact.deleted'> = async (event, ctx) => {
  if (ctx.isTest) {
    // A test event from fpt-webhooks (made-up ids): acknowledge it without side effects.
    ctx.logger.info('test event: side effects skipped', { eventType: event.eventType });
    return;
  }
  // A soft delete: mark the contact inactive rather than deleting it; a later contact.updated may reactivate it.
  // If ctx.isStale is true, a newer event for this contact was already processed: do not overwrite it.
  ctx.logger.info('handled', { eventType: event.eventType, contactId: event.data.contactId });
};
