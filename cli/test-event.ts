import { randomBytes, randomInt } from 'node:crypto';
import {
  CATALOG_EVENT_TYPES,
  type CatalogEventType,
  type FptEnvelope,
  type FptEventCatalog,
  isCatalogEventType,
} from '../lambda/shared/fpt-events';
import { TEST_EVENT_MARKER } from '../lambda/shared/test-event-marker';

/** Example `data` for each catalog type, in the shapes of lambda/shared/fpt-events.ts. */
const SAMPLE_DATA: { readonly [K in CatalogEventType]: (contactId: number) => FptEventCatalog[K] } = {
  'contact.created': (contactId) => ({ contactId, operation: 'create' }),
  'contact.updated': (contactId) => ({ contactId, operation: 'update' }),
  'contact.deleted': (contactId) => ({ contactId, operation: 'delete' }),
  // Contact Group ids: 1 Leads -> 3 Members.
  'contact.status_changed': (contactId) => ({ contactId, previousStatusId: 1, newStatusId: 3 }),
  'contact.sub_group_changed': (contactId) => ({ contactId, previousSubGroupId: 3, newSubGroupId: 7 }),
};

/** `<resource>.<verb>`, lowercase, as FPT names event types. */
export const EVENT_TYPE_PATTERN = /^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/;

export interface TestEventOptions {
  /** @default a random 32-hex id */
  readonly eventId?: string;
  /** @default now */
  readonly timestamp?: Date;
  /** @default 1234 (the docs' example) */
  readonly locationId?: number;
  /** @default 5678 (the docs' example) */
  readonly organizationId?: number;
}

export const newEventId = (): string => randomBytes(16).toString('hex');

/** An envelope that also carries the test-event marker, so handlers know its ids are made up. */
export type TestEnvelope = FptEnvelope & { readonly [TEST_EVENT_MARKER]: true };

/**
 * A complete FPT envelope of the given type, with plausible `data`, marked as a test event
 * (lambda/shared/test-event-marker.ts): the marker is part of the body the caller signs. Types outside
 * the catalog get an empty-ish `data` object, as FPT's undocumented roadmap events would.
 */
export function buildTestEvent(eventType: string, options: TestEventOptions = {}): TestEnvelope {
  const contactId = randomInt(1, 1_000_000);
  const data = isCatalogEventType(eventType)
    ? (SAMPLE_DATA[eventType](contactId) as unknown as Record<string, unknown>)
    : { sample: true };
  return {
    eventId: options.eventId ?? newEventId(),
    eventType,
    eventTimestamp: (options.timestamp ?? new Date()).toISOString(),
    locationId: options.locationId ?? 1234,
    organizationId: options.organizationId ?? 5678,
    apiVersion: 'v1',
    data,
    [TEST_EVENT_MARKER]: true,
  };
}

export { CATALOG_EVENT_TYPES };
