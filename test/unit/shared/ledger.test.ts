import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { EventLedger } from '../../../lambda/shared/ledger';

const ddb = mockClient(DynamoDBDocumentClient);
const NOW = 1_780_000_000_000;
const claimInput = {
  eventId: '9f1c7e2a8c4d4b1b9e3f5a6d7c8b9a0e',
  subscription: 'default',
  eventType: 'contact.updated',
  eventTimestamp: '2026-11-28T11:59:58.123Z',
  locationId: 1,
  bodySha256: 'abc',
  nowMs: NOW,
};

function ledger(): EventLedger {
  return new EventLedger({
    client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
    tableName: 'ledger',
    retentionDays: 30,
  });
}

function conditionFailed(item?: Record<string, unknown>): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({
    message: 'condition failed',
    $metadata: {},
    Item: item as never,
  });
}

beforeEach(() => ddb.reset());

describe('EventLedger.claim', () => {
  it('writes a RECEIVED row with a lease and a TTL of the retention, conditionally', async () => {
    ddb.on(PutCommand).resolves({});
    const result = await ledger().claim(claimInput);
    expect(result.kind).toBe('claimed');
    const input = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    expect(input?.Item).toMatchObject({
      pk: claimInput.eventId,
      status: 'RECEIVED',
      leaseExpiresAt: NOW + 30_000,
      expiresAt: NOW / 1000 + 30 * 86_400,
    });
    expect(input?.ConditionExpression).toBe(
      'attribute_not_exists(#pk) OR #expiresAt < :nowSeconds OR (#status = :received AND #leaseExpiresAt < :nowMs AND #bodySha256 = :bodySha256)',
    );
    expect(input?.ExpressionAttributeValues?.[':bodySha256']).toBe(claimInput.bodySha256);
    expect(input?.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
  });

  it('reports a duplicate with the old status when the row exists', async () => {
    ddb.on(PutCommand).rejects(conditionFailed({ status: { S: 'ENQUEUED' }, bodySha256: { S: 'abc' } }));
    expect(await ledger().claim(claimInput)).toEqual({
      kind: 'duplicate',
      status: 'ENQUEUED',
      sameBody: true,
    });
  });

  it('reports in_progress while another claim of the same body holds a live lease', async () => {
    ddb.on(PutCommand).rejects(conditionFailed({ status: { S: 'RECEIVED' }, bodySha256: { S: 'abc' } }));
    expect(await ledger().claim(claimInput)).toEqual({ kind: 'in_progress' });
  });

  it('reports a claimed row of another body as a duplicate of another body, never in progress', async () => {
    ddb.on(PutCommand).rejects(conditionFailed({ status: { S: 'RECEIVED' }, bodySha256: { S: 'other' } }));
    expect(await ledger().claim(claimInput)).toEqual({
      kind: 'duplicate',
      status: 'RECEIVED',
      sameBody: false,
    });
  });

  it('reads the row when the emulator does not return the old item', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({ Item: { pk: claimInput.eventId, status: 'PROCESSED', bodySha256: 'zzz' } });
    expect(await ledger().claim(claimInput)).toEqual({
      kind: 'duplicate',
      status: 'PROCESSED',
      sameBody: false,
    });
  });

  it('rethrows errors other than a failed condition', async () => {
    ddb.on(PutCommand).rejects(new Error('throttled'));
    await expect(ledger().claim(claimInput)).rejects.toThrow('throttled');
  });
});

describe('EventLedger.release', () => {
  it('deletes only its own unqueued claim', async () => {
    ddb.on(DeleteCommand).resolves({});
    await ledger().release('id', 'token-1');
    const input = ddb.commandCalls(DeleteCommand)[0]?.args[0].input;
    expect(input?.ConditionExpression).toBe('#status = :received AND #leaseToken = :token');
    expect(input?.ExpressionAttributeValues).toEqual({ ':received': 'RECEIVED', ':token': 'token-1' });
  });

  it('ignores a lost race when releasing', async () => {
    ddb.on(DeleteCommand).rejects(conditionFailed());
    await expect(ledger().release('id', 't')).resolves.toBeUndefined();
  });
});

describe('EventLedger.park', () => {
  it('keeps the body under a key derived from its hash, once', async () => {
    ddb.on(PutCommand).resolvesOnce({}).rejects(conditionFailed());
    const l = ledger();
    const input = {
      bodySha256: 'ff',
      subscription: 'default',
      problems: ['x'],
      rawBody: Buffer.from('{}'),
      nowMs: NOW,
    };
    expect(await l.park(input)).toBe(true);
    expect(await l.park(input)).toBe(false);
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({
      pk: 'parked#ff',
      status: 'INVALID_ENVELOPE',
      rawBody: '{}',
    });
  });

  it('keeps a body that is not valid UTF-8 as base64, so no byte is replaced', async () => {
    ddb.on(PutCommand).resolves({});
    const bytes = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]);

    await ledger().park({
      bodySha256: 'ee',
      subscription: 'default',
      problems: ['x'],
      rawBody: bytes,
      nowMs: NOW,
    });

    const item = ddb.commandCalls(PutCommand)[0]?.args[0].input.Item as Record<string, unknown>;
    expect(item.rawBody).toBeUndefined();
    expect(Buffer.from(item.rawBodyBase64 as string, 'base64').equals(bytes)).toBe(true);
  });
});
