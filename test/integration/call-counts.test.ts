import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getDocumentClient, getSecretsClient, getSqsClient } from '../../lambda/shared/clients';
import { EVENT_STATUS, type EventRow, LEDGER } from '../../lambda/shared/ledger-schema';
import type { LogFigures } from '../../tools/cost-model';
import { readDocBlock } from '../../tools/doc-blocks';
import { fptBody, type Harness, startHarness } from './support/harness';

jest.setTimeout(60_000);

type Counts = Record<string, number>;
interface MiddlewareStack {
  add(middleware: unknown, options: { step: 'initialize'; name: string }): void;
}

/**
 * Counts every AWS API call the Lambda code makes, by function, service and operation, e.g.
 * `verifier` -> `DynamoDB.PutItem`. The function is read off the call stack: both run in this process.
 */
function countCalls(counts: Record<'verifier' | 'processor', Counts>): void {
  const clients: [string, { middlewareStack: MiddlewareStack }][] = [
    ['DynamoDB', getDocumentClient()],
    ['SQS', getSqsClient()],
    ['SecretsManager', getSecretsClient()],
  ];
  for (const [service, client] of clients) {
    client.middlewareStack.add(
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
        async (args: unknown) => {
          const operation = String(context.commandName ?? 'unknown').replace(/Command$/, '');
          const key = `${service}.${operation}`;
          const stack = new Error().stack ?? '';
          const fn = stack.includes('/lambda/processor/') ? 'processor' : 'verifier';
          counts[fn][key] = (counts[fn][key] ?? 0) + 1;
          return next(args);
        },
      { step: 'initialize', name: `countCalls${service}` },
    );
  }
}

/** What the list index holds of a row: its keys and projected attributes, or undefined when not listed. */
function indexEntry(row: EventRow | undefined): string | undefined {
  const index = LEDGER.listIndex;
  const fields = row as Record<string, unknown> | undefined;
  if (fields?.[index.partitionKey] === undefined || fields[index.sortKey] === undefined) return undefined;
  return JSON.stringify([index.partitionKey, index.sortKey, ...index.projected].map((name) => fields[name]));
}

/** Writes a table write makes on the list index, by DynamoDB's rule for global secondary indexes. */
function indexWrites(before: EventRow | undefined, after: EventRow | undefined): number {
  const [was, is] = [indexEntry(before), indexEntry(after)];
  if (was === is) return 0;
  if (was === undefined || is === undefined) return 1;
  const keys = (entry: string) => (JSON.parse(entry) as unknown[]).slice(0, 2).join('|');
  // A changed index key is a delete and a put; a changed projected attribute alone is one write.
  return keys(was) === keys(is) ? 1 : 2;
}

/**
 * Counts the list index writes of every ledger write the Lambda code makes, by reading the row before
 * and after it (with the harness's own client, which the call counter does not see).
 */
function countIndexWrites(harness: Harness, tally: { writes: number }): void {
  const client = getDocumentClient() as unknown as { middlewareStack: MiddlewareStack };
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
      async (args: unknown) => {
        const input = (args as { input?: { Key?: { pk?: unknown }; Item?: { pk?: unknown } } }).input;
        // The key as the document client holds it, or marshalled ({ S: ... }) once it is.
        const raw = input?.Key?.pk ?? input?.Item?.pk;
        const pk = typeof raw === 'object' && raw !== null ? (raw as { S?: unknown }).S : raw;
        if (!/^(Put|Update|Delete)(Item)?Command$/.test(context.commandName ?? '') || typeof pk !== 'string')
          return next(args);
        const before = await harness.readRow(pk);
        try {
          return await next(args);
        } finally {
          const after = await harness.readRow(pk);
          tally.writes += indexWrites(before, after);
        }
      },
    { step: 'initialize', name: 'countIndexWrites' },
  );
}

function perEvent(counts: Counts, events: number): Counts {
  return Object.fromEntries(
    Object.entries(counts)
      .filter(([, n]) => n > 0)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, n]) => [key, n / events]),
  );
}

/** A JSON block of docs/cost.md; tools/cost-model.ts reads the same blocks as its measured inputs. */
function documentedBlock<T>(name: string): T {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'cost.md'), 'utf8');
  const json = /^```json\s*([\s\S]*?)```$/.exec(readDocBlock(doc, name) ?? '');
  if (!json?.[1]) throw new Error(`docs/cost.md has no ${name} block holding one JSON code block`);
  return JSON.parse(json[1]) as T;
}

/** The figures docs/cost.md prices, kept in a marked block so this test can hold the doc to the code. */
const documentedCounts = () => documentedBlock<Record<string, Counts>>('call-counts');

const bytesOf = (records: readonly Record<string, unknown>[]) =>
  records.reduce((sum, record) => sum + Buffer.byteLength(JSON.stringify(record)) + 1, 0);

interface EmfDirective {
  readonly Namespace: string;
  readonly Dimensions: string[][];
  readonly Metrics: Array<{ readonly Name: string }>;
}

/** Every metric series in EMF documents: namespace, metric name and dimension values. */
function metricSeries(records: readonly Record<string, unknown>[]): Set<string> {
  const series = new Set<string>();
  for (const record of records) {
    const aws = record._aws as { CloudWatchMetrics?: EmfDirective[] } | undefined;
    for (const directive of aws?.CloudWatchMetrics ?? []) {
      for (const metric of directive.Metrics) {
        for (const dimensions of directive.Dimensions) {
          const values = dimensions.map((d) => `${d}=${String(record[d])}`).join(',');
          series.add(`${directive.Namespace}/${metric.Name}/${values}`);
        }
      }
    }
  }
  return series;
}

describe('billable AWS calls per event (the figures docs/cost.md prices)', () => {
  const EVENTS = 6;
  let harness: Harness;
  const counts: Record<'verifier' | 'processor', Counts> = { verifier: {}, processor: {} };
  const index = { writes: 0 };
  const measured: Record<string, Counts> = {};
  let bodies: string[] = [];

  beforeAll(async () => {
    // A visibility timeout far above a batch's duration: under load the harness's default 1 s would let
    // SQS redeliver a message still being processed, and its lease check would add calls to the count.
    harness = await startHarness({ name: 'calls', visibilityTimeoutSeconds: 60 });
    countCalls(counts);
    countIndexWrites(harness, index);
    // Warm the secret cache, as a warm container would be.
    const warm = fptBody('contact.updated');
    await harness.deliver(warm);
    await harness.waitForStatus(JSON.parse(warm).eventId, EVENT_STATUS.processed);
  });
  afterAll(async () => {
    await harness?.stop();
  });

  const reset = () => {
    counts.verifier = {};
    counts.processor = {};
    index.writes = 0;
  };
  const settle = async (eventIds: string[]) => {
    for (const id of eventIds) await harness.waitForStatus(id, EVENT_STATUS.processed);
    await new Promise((resolve) => setTimeout(resolve, 500));
  };

  let logFigures: LogFigures | undefined;

  it('makes a fixed number of calls per new event in the verifier and the processor', async () => {
    reset();
    const logsBefore = harness.logRecords();
    bodies = Array.from({ length: EVENTS }, (_, i) =>
      fptBody('contact.updated', { data: { contactId: 7000 + i, operation: 'update' } } as never),
    );
    for (const body of bodies) expect((await harness.deliver(body)).status).toBe(202);
    await settle(bodies.map((body) => JSON.parse(body).eventId));
    measured.verifierNewEvent = perEvent(counts.verifier, EVENTS);
    measured.processorPerEvent = perEvent(counts.processor, EVENTS);
    measured.listIndexWritesPerNewEvent = { [LEDGER.listIndex.name]: index.writes / EVENTS };
    const logsAfter = harness.logRecords();
    // Lines of these events only: on a busy machine a late line of the warm-up event can land in the window.
    const ids = new Set(bodies.map((body) => JSON.parse(body).eventId as string));
    const ours = (records: readonly Record<string, unknown>[]) =>
      records.filter((record) => typeof record.eventId !== 'string' || ids.has(record.eventId));
    const verifierLogs = ours(logsAfter.verifier.slice(logsBefore.verifier.length));
    const processorLogs = ours(logsAfter.processor.slice(logsBefore.processor.length));
    logFigures = {
      verifierLogBytesPerEvent: Math.round(bytesOf(verifierLogs) / EVENTS),
      processorLogBytesPerEvent: Math.round(bytesOf(processorLogs) / EVENTS),
      metricSeriesHappyPath: metricSeries([...verifierLogs, ...processorLogs]).size,
    };

    expect(measured.verifierNewEvent).toEqual({ 'DynamoDB.PutItem': 1, 'SQS.SendMessage': 1 });
    expect(measured.processorPerEvent).toEqual({ 'DynamoDB.UpdateItem': 3 });
    // The claim lists the event; the processor's updates change no indexed or projected value.
    expect(measured.listIndexWritesPerNewEvent).toEqual({ byReceivedDay: 1 });
  });

  it('keeps each event body on its row and the row under 1 KB, so each of its writes is 1 WRU', async () => {
    // DynamoDB bills a write per 1 KB of the item (the larger of before and after, for an update),
    // counting each attribute's name and value. Numbers are counted here as their decimal digits plus
    // one, more than DynamoDB's one byte per two digits plus one.
    const itemBytes = (item: Record<string, unknown>) =>
      Object.entries(item).reduce(
        (sum, [name, value]) =>
          sum +
          Buffer.byteLength(name) +
          Buffer.byteLength(typeof value === 'number' ? `${value}1` : String(value)),
        0,
      );
    for (const body of bodies) {
      const row = await harness.waitForStatus(JSON.parse(body).eventId, EVENT_STATUS.processed);
      expect((row as { rawBody?: string }).rawBody).toBe(body);
      expect(itemBytes(row as unknown as Record<string, unknown>)).toBeLessThan(1024);
    }
  });

  it('makes one conditional write for a duplicate delivery', async () => {
    reset();
    for (const body of bodies) expect((await harness.deliver(body)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    measured.verifierDuplicate = perEvent(counts.verifier, EVENTS);
    expect(perEvent(counts.processor, EVENTS)).toEqual({});
    expect(measured.verifierDuplicate).toEqual({ 'DynamoDB.PutItem': 1 });
    // Its PutItem fails its condition: nothing is written, to the table or the index.
    expect(index.writes).toBe(0);
  });

  it('matches the call counts documented in docs/cost.md', () => {
    expect(documentedCounts()).toEqual(measured);
  });

  it('writes about the log bytes and exactly the metric series documented in docs/cost.md', () => {
    // Log lines carry ids and timestamps of varying length: the documented bytes hold within 10%.
    const documented = documentedBlock<LogFigures>('log-bytes');
    if (logFigures === undefined) throw new Error('the happy-path case did not run');
    expect(logFigures.metricSeriesHappyPath).toBe(documented.metricSeriesHappyPath);
    for (const key of ['verifierLogBytesPerEvent', 'processorLogBytesPerEvent'] as const) {
      // The measured value is in the object so that a failure shows it.
      const measuredBytes = logFigures[key];
      expect({
        key,
        measuredBytes,
        within10Percent: Math.abs(measuredBytes / documented[key] - 1) <= 0.1,
      }).toEqual({
        key,
        measuredBytes,
        within10Percent: true,
      });
    }
  });
});
