/*
 * ============================================================================================
 *  YOUR CODE GOES HERE. This folder is where you handle FitProTracker events.
 * ============================================================================================
 *
 * Each catalog event type has its own file (contact-created.ts, ...). Replace the example body
 * with your business logic; the processor calls it once the event is authenticated, deduplicated
 * and queued. Read docs/handlers.md first. In short:
 *
 *   - Idempotent: a handler runs AT LEAST once per eventId (a retry after a failure, a DLQ redrive,
 *     or a crash after your side effects but before the ledger recorded success). DynamoDB writes
 *     declared on `ctx.effects` are committed exactly once, with the ledger's record of success; pass
 *     `ctx.idempotencyKey` to other systems' APIs; otherwise use natural keys for upserts.
 *   - Ordering: FPT does not deliver in order. `ctx.isStale` is true when a newer event for the same
 *     (locationId, contactId) was already processed; don't let it overwrite newer state.
 *   - Throwing fails only this event: SQS redelivers it (ctx.attempt grows) and after the queue's
 *     maxReceiveCount receives it moves to the DLQ and the ledger marks it DEAD_LETTERED.
 *   - Returning acknowledges the event for good.
 *   - Test events: `ctx.isTest` is true for an event sent by `fpt-webhooks send-test-event` or
 *     `fpt-webhooks acceptance`. Its ids are made up: return without side effects, as the examples do.
 *   - Never log `event.data` or the raw body; `ctx.logger` already carries eventId and subscription.
 *   - Test a handler by calling it with an envelope and a HandlerContext (see docs/handlers.md).
 */

import type { EventHandlers } from 'fpt-webhook-receiver/runtime';
import { handleContactCreated } from './contact-created';
import { handleContactDeleted } from './contact-deleted';
import { handleContactStatusChanged } from './contact-status-changed';
import { handleContactSubGroupChanged } from './contact-sub-group-changed';
import { handleContactUpdated } from './contact-updated';
import { defaultHandler } from './default-handler';

export type {
  DefaultHandler,
  EventHandler,
  EventHandlers,
  HandlerContext,
} from 'fpt-webhook-receiver/runtime';
export { defaultHandler };

/** The processor's routing table: event type -> handler. Every catalog type must have an entry. */
export const handlers: EventHandlers = {
  'contact.created': handleContactCreated,
  'contact.updated': handleContactUpdated,
  'contact.deleted': handleContactDeleted,
  'contact.status_changed': handleContactStatusChanged,
  'contact.sub_group_changed': handleContactSubGroupChanged,
};
