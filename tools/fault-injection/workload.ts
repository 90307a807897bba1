/** The workload: distinct FPT events, the share of them FPT delivers twice, and the order of deliveries. */
import { randomBytes } from 'node:crypto';
import { CATALOG_EVENT_TYPES } from '../../lambda/shared/fpt-events';
import { envelopeBody, sampleData } from '../../local/testkit/envelopes';

/** The five catalog types and one FPT may add later, so the default handler runs too. */
const EVENT_TYPES: readonly string[] = [...CATALOG_EVENT_TYPES, 'payment.succeeded'];

/** One event's body; `random` drives its type, timestamp, location and contact. */
export function makeBody(eventId: string, random: () => number): string {
  const eventType = EVENT_TYPES[Math.floor(random() * EVENT_TYPES.length)] as string;
  // Within the last hour, so the ordering guard sees late events too.
  const timestamp = new Date(Date.now() - Math.floor(random() * 3_600_000));
  const locationId = 1 + Math.floor(random() * 5);
  const contactId = 1 + Math.floor(random() * 500);
  return envelopeBody(eventType, {
    eventId,
    timestamp,
    locationId,
    organizationId: 5678,
    data: sampleData(eventType, contactId, { paymentId: 1 }),
  });
}

export interface Workload {
  readonly eventIds: readonly string[];
  readonly bodies: ReadonlyMap<string, string>;
  /** Events whose handler fails until the DLQ redrive (a downstream outage). */
  readonly persistent: ReadonlySet<string>;
  /** eventIds in delivery order, duplicates included. */
  readonly deliveries: readonly string[];
  readonly duplicateDeliveries: number;
  /**
   * Events whose handler declares a DynamoDB write on `ctx.effects` (committed with PROCESSED in one
   * transaction): those whose eventId starts with 0 to 7, half of them.
   */
  readonly transactional: ReadonlySet<string>;
}

/** Whether an event's handler is transactional in the fault-injection run (see Workload.transactional). */
export const isTransactionalEvent = (eventId: string): boolean => Number.parseInt(eventId.charAt(0), 16) < 8;

export function planWorkload(
  options: {
    readonly events: number;
    readonly duplicateRate: number;
    readonly persistentFailureRate: number;
  },
  random: () => number,
): Workload {
  const eventIds: string[] = [];
  const bodies = new Map<string, string>();
  const persistent = new Set<string>();
  for (let i = 0; i < options.events; i++) {
    const eventId = randomBytes(16).toString('hex');
    eventIds.push(eventId);
    bodies.set(eventId, makeBody(eventId, random));
    if (random() < options.persistentFailureRate) persistent.add(eventId);
  }
  const deliveries: string[] = [];
  let duplicateDeliveries = 0;
  for (const eventId of eventIds) {
    deliveries.push(eventId);
    if (random() < options.duplicateRate) {
      duplicateDeliveries++;
      // Half right next to the original (concurrent), half anywhere (usually after it was processed).
      if (random() < 0.5) deliveries.push(eventId);
      else deliveries.splice(Math.floor(random() * deliveries.length), 0, eventId);
    }
  }
  const transactional = new Set(eventIds.filter(isTransactionalEvent));
  return { eventIds, bodies, persistent, deliveries, duplicateDeliveries, transactional };
}
