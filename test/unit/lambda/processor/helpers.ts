import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSRecord } from 'aws-lambda';
import type { DefaultHandler, EventHandlers } from '../../../../lambda/handlers/types';
import type { ProcessRecordDeps } from '../../../../lambda/processor/process-record';
import type { CatalogEventType, FptEnvelope, FptEventCatalog } from '../../../../lambda/shared/fpt-events';
import { MESSAGE_ATTRIBUTES } from '../../../../lambda/shared/ledger-schema';
import { buildEnvelope } from '../../../../local/testkit/envelopes';
import { FakeLedger } from '../../../support/fake-ledger';
import { RecordingMetrics } from '../../../support/metrics';

export const EVENT_ID = '9f1c7e2a8c4d4b1b9e3f5a6d7c8b9a0e';
export const LOCATION_ID = 1234;
export const CONTACT_ID = 9876;
export const T0 = Date.parse('2026-06-10T23:45:00.123Z');

/** Sample `data` per catalog type, as FPT documents it. */
export const SAMPLE_DATA: { readonly [K in CatalogEventType]: FptEventCatalog[K] } = {
  'contact.created': { contactId: CONTACT_ID, operation: 'create' },
  'contact.updated': { contactId: CONTACT_ID, operation: 'update' },
  'contact.deleted': { contactId: CONTACT_ID, operation: 'delete' },
  'contact.status_changed': { contactId: CONTACT_ID, previousStatusId: 1, newStatusId: 3 },
  'contact.sub_group_changed': { contactId: CONTACT_ID, previousSubGroupId: null, newSubGroupId: 7 },
};

export function makeEnvelope(
  eventType: string,
  data: object,
  overrides: Partial<Omit<FptEnvelope, 'data' | 'eventType'>> = {},
): FptEnvelope {
  const envelope = buildEnvelope(eventType, {
    eventId: EVENT_ID,
    timestamp: new Date(T0),
    locationId: LOCATION_ID,
    data: data as Record<string, unknown>,
  });
  return { ...envelope, ...overrides };
}

export interface RecordOptions {
  readonly messageId?: string;
  readonly receiveCount?: number;
  /** Raw body; defaults to JSON of the envelope. */
  readonly body?: string;
  /** Attribute overrides; `undefined` removes one. */
  readonly attributes?: Partial<Record<keyof typeof MESSAGE_ATTRIBUTES, string | undefined>>;
}

/** An SQS record as the verifier sends it and Lambda delivers it. */
export function makeRecord(envelope: FptEnvelope, options: RecordOptions = {}): SQSRecord {
  const values: Partial<Record<keyof typeof MESSAGE_ATTRIBUTES, string | undefined>> = {
    subscription: 'default',
    eventId: envelope.eventId.toLowerCase(),
    eventType: envelope.eventType,
    receivedAt: String(T0 + 2_000),
    ...options.attributes,
  };
  const messageAttributes: SQSRecord['messageAttributes'] = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    messageAttributes[MESSAGE_ATTRIBUTES[key as keyof typeof MESSAGE_ATTRIBUTES]] = {
      dataType: 'String',
      stringValue: value,
      stringListValues: [],
      binaryListValues: [],
    };
  }
  return {
    messageId: options.messageId ?? `msg-${envelope.eventId.slice(0, 8)}`,
    receiptHandle: 'receipt',
    body: options.body ?? JSON.stringify(envelope),
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: String(T0 + 2_000),
      SenderId: 'verifier',
      ApproximateFirstReceiveTimestamp: String(T0 + 2_100),
    },
    messageAttributes,
    md5OfBody: 'md5',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:fpt-events',
    awsRegion: 'us-east-1',
  };
}

/** Handlers that record their calls; each resolves unless the test says otherwise. */
export function mockHandlers(): {
  handlers: EventHandlers;
  defaultHandler: jest.MockedFunction<DefaultHandler>;
} {
  return {
    handlers: {
      'contact.created': jest.fn(async () => undefined),
      'contact.updated': jest.fn(async () => undefined),
      'contact.deleted': jest.fn(async () => undefined),
      'contact.status_changed': jest.fn(async () => undefined),
      'contact.sub_group_changed': jest.fn(async () => undefined),
    },
    defaultHandler: jest.fn<ReturnType<DefaultHandler>, Parameters<DefaultHandler>>(async () => undefined),
  };
}

export function silentLogger(): Logger {
  return new Logger({ serviceName: 'processor-test', logLevel: 'SILENT' });
}

/** A clock that advances by `stepMs` on every read, starting at `startMs`. */
export function steppingClock(startMs: number, stepMs: number): () => number {
  let current = startMs - stepMs;
  return () => {
    current += stepMs;
    return current;
  };
}

/** processRecord's dependencies on a FakeLedger, recording metrics and mock handlers, at a fixed time. */
export function fakeProcessorDeps(nowMs: number, overrides: Partial<ProcessRecordDeps> = {}) {
  const ledger = new FakeLedger();
  const metrics = new RecordingMetrics();
  const { handlers, defaultHandler } = mockHandlers();
  const deps: ProcessRecordDeps = {
    ledger,
    handlers,
    defaultHandler,
    now: () => nowMs,
    maxReceiveCount: 5,
    metrics,
    logger: silentLogger(),
    ...overrides,
  };
  return { ledger, metrics, handlers, defaultHandler, deps };
}
