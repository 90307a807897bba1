import type { EventHandler } from 'fpt-webhook-receiver/runtime';

/**
 * `contact.sub_group_changed`: the contact was assigned to another sub-group (data: contactId, previousSubGroupId, newSubGroupId; either may be null).
 *
 * Example handler: replace the body with your own code. It is called at least once per eventId, so
 * make it idempotent (see docs/handlers.md).
 */
export const handleContactSubGroupChanged: EventHandler<'contact.sub_group_changed'> = async (event, ctx) => {
  if (ctx.isTest) {
    // A test event from fpt-webhooks (made-up ids): acknowledge it without side effects.
    ctx.logger.info('test event: side effects skipped', { eventType: event.eventType });
    return;
  }
  // Sub-group ids are scoped per location: key your lookup table by (locationId, subGroupId).
  // If ctx.isStale is true, a newer change was already processed: skip writing newSubGroupId.
  ctx.logger.info('handled', { eventType: event.eventType, contactId: event.data.contactId });
};
