import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { scanFilter } from '../../../cli/commands/events-list';
import { main } from '../../../cli/main';
import { captureIo } from '../../support/cli';
import { fakeStack, STACK } from './support/fake-aws';

const ddb = mockClient(DynamoDBDocumentClient);
const row = (n: number, status = 'PROCESSED') => ({
  pk: n.toString(16).padStart(32, '0'),
  status,
  eventType: 'contact.updated',
  subscription: 'default',
  receivedAt: Date.parse('2026-11-28T12:00:00Z') + n * 1000,
  attempts: 1,
});

beforeEach(() => ddb.reset());

describe('events list', () => {
  it('filters out parked and ordering rows, and never reads rawBody', () => {
    const filter = scanFilter(undefined);

    expect(filter.FilterExpression).toBe('NOT begins_with(#p0, :parked) AND NOT begins_with(#p0, :order)');
    expect(filter.ExpressionAttributeValues).toEqual({ ':parked': 'parked#', ':order': 'order#' });
    expect(Object.values(filter.ExpressionAttributeNames ?? {})).not.toContain('rawBody');
  });

  it('lists parked rows only for INVALID_ENVELOPE, and adds the status for the others', () => {
    expect(scanFilter('INVALID_ENVELOPE').FilterExpression).toBe('begins_with(#p0, :parked)');
    expect(scanFilter('FAILED').FilterExpression).toMatch(/AND #p1 = :status$/);
    expect(scanFilter('FAILED').ExpressionAttributeNames?.['#p1']).toBe('status');
  });

  it('scans every page and prints the newest rows first, up to --limit', async () => {
    // Prepare: two pages, the newest rows on the first and the last.
    ddb
      .on(ScanCommand)
      .resolvesOnce({ Items: [row(1), row(9)], ScannedCount: 5, LastEvaluatedKey: { pk: 'x' } })
      .resolvesOnce({ Items: [row(5), row(7)], ScannedCount: 4 });
    const cfn = fakeStack();
    const { io, out } = captureIo();
    try {
      // Act
      const code = await main(
        ['events', 'list', '--stack', STACK, '--region', 'us-east-1', '--limit', '3', '--json'],
        io,
      );

      // Assess
      expect(code).toBe(0);
      expect((JSON.parse(out.join('\n')) as { eventId: string }[]).map((r) => r.eventId)).toEqual([
        row(9).pk,
        row(7).pk,
        row(5).pk,
      ]);
      expect(ddb.commandCalls(ScanCommand)).toHaveLength(2);
      expect(ddb.commandCalls(ScanCommand)[1]?.args[0].input.ExclusiveStartKey).toEqual({ pk: 'x' });
    } finally {
      cfn.restore();
    }
  });
});
