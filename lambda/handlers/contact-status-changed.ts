import type { EventHandler } from './types';

/**
 * `contact.status_changed`: the contact moved between Contact Groups (data: contactId, previousStatusId, newStatusId).
 *
 * Example handler: replace the body with your own code. It is called at least once per eventId, so
 * make it idempotent (see docs/handlers.md).
 */
export const handleContactStatusChanged: EventHandler<'contact.status_changed'> = async (event, ctx) => {
  // Ids 1-7: Leads, Prospects, Members, Past Members, Non-members, Other, Staff (ContactGroupId).
  // If ctx.isStale is true, a newer change was already processed: skip writing newStatusId.
  ctx.logger.info('handled', { eventType: event.eventType, contactId: event.data.contactId });
};
