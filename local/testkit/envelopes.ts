import { randomBytes } from 'node:crypto';
import {
  type CatalogEventType,
  type FptEnvelope,
  type FptEventCatalog,
  isCatalogEventType,
} from '../../lambda/shared/fpt-events';

/** A random 32-hex eventId, the shape FPT uses. */
export const newEventId = (): string => randomBytes(16).toString('hex');

/** Example `data` for each catalog type, in the shapes of lambda/shared/fpt-events.ts. */
const SAMPLE_DATA: { readonly [K in CatalogEventType]: (contactId: number) => FptEventCatalog[K] } = {
  'contact.created': (contactId) => ({ contactId, operation: 'create' }),
  'contact.updated': (contactId) => ({ contactId, operation: 'update' }),
  'contact.deleted': (contactId) => ({ contactId, operation: 'delete' }),
  // Contact Group ids: 1 Leads -> 3 Members.
  'contact.status_changed': (contactId) => ({ contactId, previousStatusId: 1, newStatusId: 3 }),
  'contact.sub_group_changed': (contactId) => ({ contactId, previousSubGroupId: 3, newSubGroupId: 7 }),
};

/**
 * Plausible `data` for `eventType` about contact `contactId`. Types outside the catalog get `fallback`,
 * as FPT's undocumented roadmap events would carry data of their own.
 */
export function sampleData(
  eventType: string,
  contactId: number,
  fallback: Record<string, unknown> = { sample: true },
): Record<string, unknown> {
  return isCatalogEventType(eventType)
    ? (SAMPLE_DATA[eventType](contactId) as unknown as Record<string, unknown>)
    : fallback;
}

export interface EnvelopeOptions {
  /** @default a random 32-hex id */
  readonly eventId?: string;
  /** @default now */
  readonly timestamp?: Date;
  /** @default 1234 (the docs' example) */
  readonly locationId?: number;
  /** @default 5678 (the docs' example) */
  readonly organizationId?: number;
  /** @default sampleData(eventType, contactId) */
  readonly data?: Record<string, unknown>;
  /** Used by the default `data`. @default 1 */
  readonly contactId?: number;
}

/** A complete FPT envelope (v1 shape) of the given type. */
export function buildEnvelope(eventType: string, options: EnvelopeOptions = {}): FptEnvelope {
  return {
    eventId: options.eventId ?? newEventId(),
    eventType,
    eventTimestamp: (options.timestamp ?? new Date()).toISOString(),
    locationId: options.locationId ?? 1234,
    organizationId: options.organizationId ?? 5678,
    apiVersion: 'v1',
    data: options.data ?? sampleData(eventType, options.contactId ?? 1),
  };
}

/** The raw body FPT would send for that envelope: compact JSON, the exact bytes that get signed. */
export function envelopeBody(eventType: string, options: EnvelopeOptions = {}): string {
  return JSON.stringify(buildEnvelope(eventType, options));
}
