import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSRecord } from 'aws-lambda';
import type { DefaultHandler, EventHandlers } from '../../../../lambda/handlers/types';
import type { MetricName, ProcessorMetrics, ProcessorMetricUnit } from '../../../../lambda/processor/metrics';
import type { ProcessorLedger } from '../../../../lambda/processor/process-record';
import type { CatalogEventType, FptEnvelope, FptEventCatalog } from '../../../../lambda/shared/fpt-events';
import type { StartProcessingResult } from '../../../../lambda/shared/ledger';
import { EVENT_STATUS, type EventStatus, MESSAGE_ATTRIBUTES } from '../../../../lambda/shared/ledger-schema';
import { buildEnvelope } from '../../../../local/testkit/envelopes';

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

interface FakeRow {
  status: EventStatus;
  token?: string;
  leaseEnd?: number;
  attempts: number;
  lastError?: string;
}

/**
 * An in-memory ledger with EventLedger's processing semantics: PROCESSED is final, a live lease blocks
 * others, finishing needs the lease token, and the high-water mark never goes down.
 */
export class FakeLedger implements ProcessorLedger {
  readonly rows = new Map<string, FakeRow>();
  readonly highWaterMarks = new Map<string, number>();
  readonly finishCalls: Array<{ eventId: string; status: EventStatus; error?: string }> = [];
  /** Set to make finishProcessing report a lost lease. */
  loseLease = false;
  private nextToken = 1;

  constructor(private readonly leaseMs = 180_000) {}

  seed(eventId: string, row: FakeRow): void {
    this.rows.set(eventId, row);
  }

  async startProcessing(input: { eventId: string; nowMs: number }): Promise<StartProcessingResult> {
    const row = this.rows.get(input.eventId);
    if (row?.status === EVENT_STATUS.processed) return { kind: 'already_processed' };
    if (row?.status === EVENT_STATUS.processing && (row.leaseEnd ?? 0) >= input.nowMs)
      return { kind: 'in_progress' };
    const token = `token-${this.nextToken++}`;
    const attempts = (row?.attempts ?? 0) + 1;
    this.rows.set(input.eventId, {
      status: EVENT_STATUS.processing,
      token,
      leaseEnd: input.nowMs + this.leaseMs,
      attempts,
    });
    return { kind: 'started', token, attempts, ...(row ? { previousStatus: row.status } : {}) };
  }

  async finishProcessing(
    eventId: string,
    token: string,
    outcome: { status: EventStatus; nowMs: number; error?: string },
  ): Promise<boolean> {
    this.finishCalls.push({
      eventId,
      status: outcome.status,
      ...(outcome.error !== undefined ? { error: outcome.error } : {}),
    });
    const row = this.rows.get(eventId);
    if (this.loseLease || row === undefined || row.token !== token) return false;
    this.rows.set(eventId, {
      ...row,
      status: outcome.status,
      ...(outcome.error !== undefined ? { lastError: outcome.error } : {}),
    });
    return true;
  }

  async getHighWaterMark(locationId: number, contactId: number | string): Promise<number | undefined> {
    return this.highWaterMarks.get(`${locationId}#${contactId}`);
  }

  async advanceHighWaterMark(locationId: number, contactId: number | string, tsMs: number): Promise<void> {
    const key = `${locationId}#${contactId}`;
    const current = this.highWaterMarks.get(key);
    if (current === undefined || current < tsMs) this.highWaterMarks.set(key, tsMs);
  }
}

export interface EmittedMetric {
  readonly name: MetricName;
  readonly unit: ProcessorMetricUnit;
  readonly value: number;
  readonly dimensions?: Readonly<Record<string, string>>;
}

export class RecordingMetrics implements ProcessorMetrics {
  readonly emitted: EmittedMetric[] = [];

  emit(
    name: MetricName,
    unit: ProcessorMetricUnit,
    value: number,
    dimensions?: Readonly<Record<string, string>>,
  ): void {
    this.emitted.push({ name, unit, value, ...(dimensions ? { dimensions } : {}) });
  }

  named(name: MetricName): EmittedMetric[] {
    return this.emitted.filter((metric) => metric.name === name);
  }
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

/** Captures everything written to stdout and stderr (Powertools Logger and Metrics write there). */
export function captureOutput(): { lines: () => string[]; restore: () => void } {
  const chunks: string[] = [];
  const capture = (chunk: unknown): boolean => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture as typeof process.stdout.write);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture as typeof process.stderr.write);
  return {
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.trim() !== ''),
    restore: () => {
      out.mockRestore();
      err.mockRestore();
    },
  };
}

/** The JSON objects among captured lines (Powertools logs and EMF); other output is ignored. */
export function jsonLines(lines: readonly string[]): Array<Record<string, unknown>> {
  return lines.flatMap((line) => {
    try {
      const parsed: unknown = JSON.parse(line);
      return parsed !== null && typeof parsed === 'object' ? [parsed as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}

/** EMF documents among captured lines. */
export function emfDocuments(lines: readonly string[]): Array<Record<string, unknown>> {
  return jsonLines(lines).filter((doc) => '_aws' in doc);
}
