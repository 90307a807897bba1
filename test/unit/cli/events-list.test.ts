import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { main } from '../../../cli/main';
import { captureIo } from '../../support/cli';
import { fakeStack, STACK } from './support/fake-aws';

const ddb = mockClient(DynamoDBDocumentClient);
const id = (n: number) => n.toString(16).padStart(32, '0');
const receivedAt = (n: number) => Date.now() - n * 60_000;
const row = (n: number, status = 'PROCESSED') => ({
  pk: id(n),
  status,
  eventType: 'contact.updated',
  subscription: 'default',
  contactId: 1000 + n,
  receivedAt: receivedAt(n),
  attempts: 1,
});
/** The ledger as the index and the table hold it: rows 1..n, newest first, all received today. */
function ledgerOf(n: number): void {
  const rows = Array.from({ length: n }, (_, i) => row(i + 1));
  ddb
    .on(QueryCommand)
    .callsFake(
      (input: { ExpressionAttributeValues: Record<string, unknown>; ExclusiveStartKey?: { pk: string } }) => {
        const today = new Date().toISOString().slice(0, 10);
        if (input.ExpressionAttributeValues[':day'] !== today) return { Items: [] };
        const start = rows.findIndex((r) => r.pk === input.ExclusiveStartKey?.pk) + 1;
        return { Items: rows.slice(start).map((r) => ({ pk: r.pk })) };
      },
    );
  ddb
    .on(BatchGetCommand)
    .callsFake((input: { RequestItems: Record<string, { Keys: { pk: string }[] }> }) => ({
      Responses: {
        ledger: (input.RequestItems.ledger?.Keys ?? []).map(({ pk }) => rows.find((r) => r.pk === pk)),
      },
    }));
}

const run = async (...args: string[]) => {
  const cfn = fakeStack();
  const { io, out, err } = captureIo();
  try {
    const code = await main(['events', 'list', '--stack', STACK, '--region', 'us-east-1', ...args], io);
    return { code, out, err };
  } finally {
    cfn.restore();
  }
};

beforeEach(() => ddb.reset());

describe('events list', () => {
  it('lists from the index, newest first, up to --limit, and never scans', async () => {
    ledgerOf(5);

    const { code, out } = await run('--limit', '3');

    expect(code).toBe(0);
    expect(out[0]).toMatch(
      /^RECEIVED \(UTC\)\s+STATUS\s+EVENT ID\s+TYPE\s+SUBSCRIPTION\s+CONTACT\s+ATTEMPTS$/,
    );
    expect(out.slice(1, 4).map((l) => l.split(/\s+/)[2])).toEqual([id(1), id(2), id(3)]);
    expect(out[1]).toMatch(/^\S+Z\s+processed\s+\S+\s+contact\.updated\s+default\s+1001\s+1$/);
    expect(out[4]).toBe('3 events, newest first, more on the next page (ledger)');
    expect(out[5]).toMatch(
      /^next page: fpt-webhooks events list --stack FptTest --region us-east-1 --limit 3 --after [\w-]+$/,
    );
    expect(ddb.commandCalls(ScanCommand)).toHaveLength(0);
    expect(ddb.commandCalls(QueryCommand).length).toBeGreaterThan(0);
  });

  it('prints the next page from the cursor, and no cursor after the last page', async () => {
    ledgerOf(5);
    const first = await run('--limit', '3');
    const cursor = (first.out.at(-1) ?? '').split(' ').at(-1) as string;
    ddb.resetHistory();

    const second = await run('--limit', '3', '--after', cursor);

    expect(second.out.slice(1, 3).map((l) => l.split(/\s+/)[2])).toEqual([id(4), id(5)]);
    expect(second.out.at(-1)).toBe('2 events, newest first (ledger)');
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input.ExclusiveStartKey).toMatchObject({ pk: id(3) });
  });

  it('prints one JSON object per line with --json, and the next page on stderr', async () => {
    ledgerOf(3);

    const { code, out, err } = await run(
      '--limit',
      '2',
      '--json',
      '--type',
      'contact.updated',
      '--since',
      '1d',
    );

    expect(code).toBe(0);
    expect(out).toHaveLength(2);
    const rows = out.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows[0]).toEqual({
      eventId: id(1),
      status: 'processed',
      eventType: 'contact.updated',
      subscription: 'default',
      contactId: 1001,
      receivedAt: expect.any(Number),
      attempts: 1,
    });
    expect(err.at(-1)).toMatch(
      /^next page: fpt-webhooks events list --stack FptTest --region us-east-1 --since \S+Z --type contact\.updated --limit 2 --json --after [\w-]+$/,
    );
  });

  it('refuses a malformed cursor, bad filters and a bad limit with exit 2 before reading anything', async () => {
    const cursor = await run('--after', 'garbage!');
    const status = await run('--status', 'finished');
    const limit = await run('--limit', '0');

    expect(cursor.code).toBe(2);
    expect(cursor.err.join('\n')).toMatch(/--after must be the cursor a previous page printed/);
    expect(status.code).toBe(2);
    expect(status.err.join('\n')).toMatch(/--status must be one of received, .* but "finished" was provided/);
    expect(limit.code).toBe(2);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it('shows progress on stderr while a long range takes time', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    const realNow = Date.now.bind(Date);
    let skew = 0;
    // Each reading of the clock is a second later: 31 days of queries take long enough to report.
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => {
      skew += 1000;
      return realNow() + skew;
    });
    try {
      const { code, out, err } = await run();

      expect(code).toBe(0);
      expect(out).toEqual(['no events in ledger']);
      expect(err.some((l) => /^ {2}queried \d+ of 31 days, 0 events so far\.\.\.$/.test(l))).toBe(true);
    } finally {
      clock.mockRestore();
    }
  });

  it('says what the table lacks when the stack predates the list index', async () => {
    ddb.on(QueryCommand).rejects(
      Object.assign(new Error('The table does not have the specified index: byReceivedDay'), {
        name: 'ValidationException',
      }),
    );

    const { code, err } = await run();

    expect(code).toBe(1);
    expect(err.join('\n')).toMatch(
      /could not list events of ledger table ledger: .*\(the table has no byReceivedDay index: deploy the current version of the receiver\)/,
    );
  });
});
