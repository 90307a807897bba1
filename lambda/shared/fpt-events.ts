/**
 * FPT's event envelope and the v1.1 event catalog, as FPT documents them:
 * https://developer.fitprotracker.com/webhooks/envelope and https://developer.fitprotracker.com/events/overview
 * (one page per event type under /events/).
 */

export interface FptEnvelope<TType extends string = string, TData = Record<string, unknown>> {
  /** 32 hex characters; the idempotency key. */
  readonly eventId: string;
  /** `<resource>.<verb>`, e.g. `contact.updated`. */
  readonly eventType: TType;
  /** ISO-8601 UTC, when the change happened in FPT. Order by this, not by arrival. */
  readonly eventTimestamp: string;
  readonly locationId: number;
  /** 0 when the location has no parent organization. */
  readonly organizationId: number;
  readonly apiVersion: string;
  readonly data: TData;
}

export interface ContactCreatedData {
  readonly contactId: number;
  readonly operation: 'create';
}
export interface ContactUpdatedData {
  readonly contactId: number;
  readonly operation: 'update';
}
export interface ContactDeletedData {
  readonly contactId: number;
  readonly operation: 'delete';
}
/** Contact Group ids: 1 Leads, 2 Prospects, 3 Members, 4 Past Members, 5 Non-members, 6 Other, 7 Staff. */
export type ContactGroupId = 1 | 2 | 3 | 4 | 5 | 6 | 7;
export interface ContactStatusChangedData {
  readonly contactId: number;
  readonly previousStatusId: number;
  readonly newStatusId: number;
}
export interface ContactSubGroupChangedData {
  readonly contactId: number;
  /** null when the contact had no sub-group. Sub-group ids are scoped per location. */
  readonly previousSubGroupId: number | null;
  /** null when the contact was unassigned. */
  readonly newSubGroupId: number | null;
}

/** The v1.1 catalog: event type -> data shape. */
export interface FptEventCatalog {
  'contact.created': ContactCreatedData;
  'contact.updated': ContactUpdatedData;
  'contact.deleted': ContactDeletedData;
  'contact.status_changed': ContactStatusChangedData;
  'contact.sub_group_changed': ContactSubGroupChangedData;
}
export type CatalogEventType = keyof FptEventCatalog;

export const CATALOG_EVENT_TYPES: readonly CatalogEventType[] = [
  'contact.created',
  'contact.updated',
  'contact.deleted',
  'contact.status_changed',
  'contact.sub_group_changed',
] as const;

export function isCatalogEventType(type: string): type is CatalogEventType {
  return (CATALOG_EVENT_TYPES as readonly string[]).includes(type);
}

export type CatalogEnvelope<T extends CatalogEventType> = FptEnvelope<T, FptEventCatalog[T]>;
