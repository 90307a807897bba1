/**
 * The runtime entry of the package, `fpt-webhook-receiver/runtime`: everything a handler module needs
 * (its types, the envelope and catalog, the effects API, and `EffectCollector` to read back in a test what
 * a handler declared on `ctx.effects`), and nothing that pulls CDK into a Lambda bundle. The example handlers in lambda/handlers import from
 * here by the package name too, so they compile against exactly what a partner gets.
 */
import type { DefaultHandler, EventHandlers } from './handlers/types';

export {
  type ConditionCheckEffectProps,
  type DeleteEffectProps,
  type DynamoDbEffect,
  type EffectAttributes,
  EffectCollector,
  type EffectExpressionProps,
  MAX_EFFECTS_PER_EVENT,
  type PutEffectProps,
  type TransactionalEffects,
  type UpdateEffectProps,
} from './handlers/effects';
export type {
  DefaultHandler,
  EventHandler,
  EventHandlers,
  HandlerContext,
  ReplayInfo,
} from './handlers/types';
export {
  CATALOG_EVENT_TYPES,
  type CatalogEnvelope,
  type CatalogEventType,
  type ContactCreatedData,
  type ContactDeletedData,
  type ContactGroupId,
  type ContactStatusChangedData,
  type ContactSubGroupChangedData,
  type ContactUpdatedData,
  type FptEnvelope,
  type FptEventCatalog,
  isCatalogEventType,
} from './shared/fpt-events';

/**
 * What the module named by the construct's `handlers.entry` (or `fpt-webhooks local --handlers`) exports.
 * `handlers` is typed {@link EventHandlers}, one entry per catalog event type, so the compiler reports the
 * missing handler when a release of this package adds an event type FPT documented.
 */
export interface HandlerModule {
  /** The routing table: one handler per catalog event type. */
  readonly handlers: EventHandlers;
  /** Runs for event types outside the catalog; it should acknowledge them, not throw. */
  readonly defaultHandler: DefaultHandler;
}
