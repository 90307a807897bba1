import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Logger } from '@aws-lambda-powertools/logger';
import type { CatalogEnvelope, HandlerContext } from 'fpt-webhook-receiver/runtime';
import { CATALOG_EVENT_TYPES, EffectCollector } from 'fpt-webhook-receiver/runtime';
import { createHandlers, handlers, type MemberDirectory } from '../src/fpt-handlers';

const logger = new Logger({ serviceName: 'partner-app-test', logLevel: 'SILENT' });

function context(overrides: Partial<HandlerContext> = {}): HandlerContext {
  return {
    subscription: 'default',
    attempt: 1,
    receivedAt: Date.now(),
    isStale: false,
    isTest: false,
    logger,
    idempotencyKey: 'a'.repeat(32),
    effects: new EffectCollector(),
    ...overrides,
  };
}

function contactCreated(contactId: number): CatalogEnvelope<'contact.created'> {
  return {
    eventId: 'a'.repeat(32),
    eventType: 'contact.created',
    eventTimestamp: '2026-01-01T00:00:00.000Z',
    locationId: 1234,
    organizationId: 0,
    apiVersion: '1.1',
    data: { contactId, operation: 'create' },
  };
}

/** A directory that records what the handlers asked of it. */
function recordingDirectory(): MemberDirectory & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    upsertContact: async (locationId, contactId, eventId) => {
      calls.push(`upsert ${locationId}/${contactId} ${eventId}`);
    },
    removeContact: async (locationId, contactId) => {
      calls.push(`remove ${locationId}/${contactId}`);
    },
  };
}

describe('fpt-handlers', () => {
  test('routes every event type of the catalog', () => {
    for (const type of CATALOG_EVENT_TYPES) assert.equal(typeof handlers[type], 'function', type);
  });

  test('upserts the contact of a contact.created event, keyed by location and contact', async () => {
    const directory = recordingDirectory();

    await createHandlers(directory)['contact.created'](contactCreated(42), context());

    assert.deepEqual(directory.calls, [`upsert 1234/42 ${'a'.repeat(32)}`]);
  });

  test('changes nothing for a test event from fpt-webhooks', async () => {
    const directory = recordingDirectory();

    await createHandlers(directory)['contact.created'](contactCreated(42), context({ isTest: true }));

    assert.deepEqual(directory.calls, []);
  });

  test('keeps the newer state when the event is stale', async () => {
    const directory = recordingDirectory();

    await createHandlers(directory)['contact.created'](contactCreated(42), context({ isStale: true }));

    assert.deepEqual(directory.calls, []);
  });
});
