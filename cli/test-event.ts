import { randomInt } from 'node:crypto';
import { CATALOG_EVENT_TYPES, type FptEnvelope } from '../lambda/shared/fpt-events';
import { TEST_EVENT_MARKER } from '../lambda/shared/test-event-marker';
import { buildEnvelope } from '../local/testkit';

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

/** An envelope that also carries the test-event marker, so handlers know its ids are made up. */
export type TestEnvelope = FptEnvelope & { readonly [TEST_EVENT_MARKER]: true };

/**
 * A complete FPT envelope of the given type about a random contact, with plausible `data`, marked as a
 * test event (lambda/shared/test-event-marker.ts): the marker is part of the body the caller signs.
 * Types outside the catalog get an empty-ish `data` object, as FPT's undocumented roadmap events would.
 */
export function buildTestEvent(eventType: string, options: TestEventOptions = {}): TestEnvelope {
  return {
    ...buildEnvelope(eventType, { ...options, contactId: randomInt(1, 1_000_000) }),
    [TEST_EVENT_MARKER]: true,
  };
}

export { CATALOG_EVENT_TYPES };
