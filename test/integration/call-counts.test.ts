import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getDocumentClient, getSecretsClient, getSqsClient } from '../../lambda/shared/clients';
import { EVENT_STATUS } from '../../lambda/shared/ledger-schema';
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

function perEvent(counts: Counts, events: number): Counts {
  return Object.fromEntries(
    Object.entries(counts)
      .filter(([, n]) => n > 0)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, n]) => [key, n / events]),
  );
}

/** The figures docs/cost.md prices, kept in a marked block so this test can hold the doc to the code. */
function documentedCounts(): Record<string, Counts> {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'cost.md'), 'utf8');
  const json = /^```json\s*([\s\S]*?)```$/.exec(readDocBlock(doc, 'call-counts') ?? '');
  if (!json?.[1]) throw new Error('docs/cost.md has no call-counts block holding one JSON code block');
  return JSON.parse(json[1]) as Record<string, Counts>;
}

describe('billable AWS calls per event (the figures docs/cost.md prices)', () => {
  const EVENTS = 6;
  let harness: Harness;
  const counts: Record<'verifier' | 'processor', Counts> = { verifier: {}, processor: {} };
  const measured: Record<string, Counts> = {};
  let bodies: string[] = [];

  beforeAll(async () => {
    // A visibility timeout far above a batch's duration: under load the harness's default 1 s would let
    // SQS redeliver a message still being processed, and its lease check would add calls to the count.
    harness = await startHarness({ name: 'calls', visibilityTimeoutSeconds: 60 });
    countCalls(counts);
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
  };
  const settle = async (eventIds: string[]) => {
    for (const id of eventIds) await harness.waitForStatus(id, EVENT_STATUS.processed);
    await new Promise((resolve) => setTimeout(resolve, 500));
  };

  it('makes a fixed number of calls per new event in the verifier and the processor', async () => {
    reset();
    bodies = Array.from({ length: EVENTS }, (_, i) =>
      fptBody('contact.updated', { data: { contactId: 7000 + i, operation: 'update' } } as never),
    );
    for (const body of bodies) expect((await harness.deliver(body)).status).toBe(202);
    await settle(bodies.map((body) => JSON.parse(body).eventId));
    measured.verifierNewEvent = perEvent(counts.verifier, EVENTS);
    measured.processorPerEvent = perEvent(counts.processor, EVENTS);

    expect(measured.verifierNewEvent).toEqual({ 'DynamoDB.PutItem': 1, 'SQS.SendMessage': 1 });
    expect(measured.processorPerEvent).toEqual({ 'DynamoDB.UpdateItem': 3 });
  });

  it('makes one conditional write for a duplicate delivery', async () => {
    reset();
    for (const body of bodies) expect((await harness.deliver(body)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    measured.verifierDuplicate = perEvent(counts.verifier, EVENTS);
    expect(perEvent(counts.processor, EVENTS)).toEqual({});
    expect(measured.verifierDuplicate).toEqual({ 'DynamoDB.PutItem': 1 });
  });

  it('matches the call counts documented in docs/cost.md', () => {
    expect(documentedCounts()).toEqual(measured);
  });
});
