/*
 * This app's FPT event handlers. The construct bundles this module into the processor Lambda
 * (handlers.entry); `npx fpt-webhooks local --handlers src/fpt-handlers.ts` runs it on the local stack.
 */
import type {
  DefaultHandler,
  EventHandler,
  EventHandlers,
  HandlerContext,
} from 'fpt-webhook-receiver/runtime';

/** Where this app keeps what it learns from FPT; a database client in a real app. */
export interface MemberDirectory {
  upsertContact(locationId: number, contactId: number, sourceEventId: string): Promise<void>;
  removeContact(locationId: number, contactId: number): Promise<void>;
}

const inMemory = new Map<string, string>();
const defaultDirectory: MemberDirectory = {
  upsertContact: async (locationId, contactId, sourceEventId) => {
    inMemory.set(`${locationId}/${contactId}`, sourceEventId);
  },
  removeContact: async (locationId, contactId) => {
    inMemory.delete(`${locationId}/${contactId}`);
  },
};

/** Test events (fpt-webhooks send-test-event, acceptance) carry made-up ids: log them, change nothing. */
function isTestEvent(eventType: string, ctx: HandlerContext): boolean {
  if (ctx.isTest) ctx.logger.info('partner-app received a test event', { eventType });
  return ctx.isTest;
}

/** The routing table, built on a directory so a test can hand in its own. */
export function createHandlers(directory: MemberDirectory): EventHandlers {
  const upsert: EventHandler<'contact.created' | 'contact.updated'> = async (event, ctx) => {
    if (isTestEvent(event.eventType, ctx)) return;
    // An older event for the same contact after a newer one: keep the newer state.
    if (ctx.isStale) return;
    await directory.upsertContact(event.locationId, event.data.contactId, event.eventId);
  };
  const remove: EventHandler<'contact.deleted'> = async (event, ctx) => {
    if (isTestEvent(event.eventType, ctx)) return;
    await directory.removeContact(event.locationId, event.data.contactId);
  };
  const refresh: EventHandler<'contact.status_changed' | 'contact.sub_group_changed'> = async (
    event,
    ctx,
  ) => {
    if (isTestEvent(event.eventType, ctx)) return;
    if (ctx.isStale) return;
    await directory.upsertContact(event.locationId, event.data.contactId, event.eventId);
  };
  return {
    'contact.created': upsert,
    'contact.updated': upsert,
    'contact.deleted': remove,
    'contact.status_changed': refresh,
    'contact.sub_group_changed': refresh,
  };
}

export const handlers: EventHandlers = createHandlers(defaultDirectory);

/** Event types FPT adds later: acknowledge, never throw (a throw would retry them into the DLQ). */
export const defaultHandler: DefaultHandler = async (event, ctx) => {
  ctx.logger.info('partner-app acknowledged an event type it does not handle', {
    eventType: event.eventType,
  });
};
