import type { EventHandler } from 'fpt-webhook-receiver/runtime';

/**
 * `contact.status_changed`: the contact moved between Contact Groups (data: contactId, previousStatusId, newStatusId).
 *
 * Example handler: replace the body with your own code. It is called at least once per eventId, so
 * make it idempotent (see docs/handlers.md).
 */
export const handleContactStatusChanged: EventHandler<'contact.status_changed'> = async (event, ctx) => {
  if (ctx.isTest) {
    // A test event from fpt-webhooks (made-up ids): acknowledge it without side effects.
    ctx.logger.info('test event: side effects skipped', { eventType: event.eventType });
    return;
  }
  // Ids 1-7: Leads, Prospects, Members, Past Members, Non-members, Other, Staff (ContactGroupId).
  // If ctx.isStale is true, a newer change was already processed: skip writing newStatusId.
  ctx.logger.info('handled', { eventType: event.eventType, contactId: event.data.contactId });
};
