/*
 * Tests for the example handlers in lambda/handlers. They double as the pattern for testing your own
 * handler: build a typed envelope, build a HandlerContext with a (spied) Logger, call the handler.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { defaultHandler, handlers } from '../../../../lambda/handlers';
import { handleContactStatusChanged } from '../../../../lambda/handlers/contact-status-changed';
import { EffectCollector } from '../../../../lambda/handlers/effects';
import type { EventHandler, HandlerContext } from '../../../../lambda/handlers/types';
import {
  CATALOG_EVENT_TYPES,
  type CatalogEnvelope,
  type CatalogEventType,
} from '../../../../lambda/shared/fpt-events';
import { CONTACT_ID, EVENT_ID, LOCATION_ID, makeEnvelope, SAMPLE_DATA, T0 } from './helpers';

function catalogEnvelope<T extends CatalogEventType>(eventType: T): CatalogEnvelope<T> {
  return {
    eventId: EVENT_ID,
    eventType,
    eventTimestamp: new Date(T0).toISOString(),
    locationId: LOCATION_ID,
    organizationId: 0,
    apiVersion: 'v1',
    data: SAMPLE_DATA[eventType],
  };
}

function makeContext(overrides: Partial<HandlerContext> = {}): {
  ctx: HandlerContext;
  info: jest.SpyInstance;
} {
  const logger = new Logger({ serviceName: 'handlers-test', logLevel: 'SILENT' });
  const info = jest.spyOn(logger, 'info');
  const ctx: HandlerContext = {
    subscription: 'default',
    attempt: 1,
    receivedAt: T0,
    isStale: false,
    isTest: false,
    logger,
    idempotencyKey: EVENT_ID,
    effects: new EffectCollector(),
    ...overrides,
  };
  return { ctx, info };
}

describe('example handlers', () => {
  it('registers exactly one handler per catalog event type', () => {
    expect(Object.keys(handlers).sort()).toEqual([...CATALOG_EVENT_TYPES].sort());
  });

  it('logs a contact.status_changed event as handled with its contactId', async () => {
    // Prepare
    const { ctx, info } = makeContext();
    const event = catalogEnvelope('contact.status_changed');

    // Act
    await handleContactStatusChanged(event, ctx);

    // Assess
    expect(info).toHaveBeenCalledWith('handled', {
      eventType: 'contact.status_changed',
      contactId: CONTACT_ID,
    });
  });

  it.each(CATALOG_EVENT_TYPES)('logs %s with only its eventType and contactId', async (eventType) => {
    // Prepare
    const { ctx, info } = makeContext();
    const handler = handlers[eventType] as EventHandler<CatalogEventType>;

    // Act
    await handler(catalogEnvelope(eventType), ctx);

    // Assess
    expect(info).toHaveBeenCalledTimes(1);
    expect(info).toHaveBeenCalledWith('handled', { eventType, contactId: CONTACT_ID });
  });

  it.each(CATALOG_EVENT_TYPES)(
    'skips the side effects of a %s test event and logs that it did',
    async (eventType) => {
      // Prepare
      const { ctx, info } = makeContext({ isTest: true });
      const handler = handlers[eventType] as EventHandler<CatalogEventType>;

      // Act
      await handler(catalogEnvelope(eventType), ctx);

      // Assess
      expect(info).toHaveBeenCalledTimes(1);
      expect(info).toHaveBeenCalledWith('test event: side effects skipped', { eventType });
    },
  );

  it('skips the side effects of a test event of an unknown type', async () => {
    // Prepare
    const { ctx, info } = makeContext({ isTest: true });

    // Act
    await defaultHandler(makeEnvelope('membership.frozen', { membershipId: 11 }), ctx);

    // Assess
    expect(info).toHaveBeenCalledTimes(1);
    expect(info).toHaveBeenCalledWith('test event: side effects skipped', { eventType: 'membership.frozen' });
  });

  it('acknowledges an unknown event type, logging only its type', async () => {
    // Prepare
    const { ctx, info } = makeContext();
    const event = makeEnvelope('membership.frozen', { membershipId: 11, reason: 'travel' });

    // Act
    const act = defaultHandler(event, ctx);

    // Assess
    await expect(act).resolves.toBeUndefined();
    expect(info).toHaveBeenCalledWith(expect.any(String), { eventType: 'membership.frozen' });
  });
});
