import { fptSign } from '../support/independent-signer';
import {
  fptBody,
  fptSignatureHeader,
  type Harness,
  nowSeconds,
  sleep,
  startHarness,
} from './support/harness';

jest.setTimeout(60_000);

describe('local stack: deliveries that fail signature verification', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ name: 'sig' });
  });
  afterAll(async () => {
    await harness?.stop();
  });

  const v1 = (secret: string, t: number | string, body: string) => fptSign(secret, t, body);

  const cases: ReadonlyArray<{ name: string; reason: string; header: (body: string) => string | undefined }> =
    [
      {
        name: 'the signature was made with another secret',
        reason: 'bad_signature',
        header: (body) => fptSignatureHeader('a-different-secret-of-more-than-32-chars', nowSeconds(), body),
      },
      {
        name: 'the body was changed after signing',
        reason: 'bad_signature',
        header: (body) => fptSignatureHeader(harness.secret, nowSeconds(), body.replace('"v1"', '"v2"')),
      },
      {
        name: 'the timestamp is 301 s old',
        reason: 'stale_timestamp',
        header: (body) => fptSignatureHeader(harness.secret, nowSeconds() - 301, body),
      },
      {
        name: 'the timestamp is 301 s in the future',
        reason: 'future_timestamp',
        header: (body) => fptSignatureHeader(harness.secret, nowSeconds() + 301, body),
      },
      {
        name: 't is not a number',
        reason: 'malformed_header',
        header: (body) => `t=abc,v1=${v1(harness.secret, 'abc', body)}`,
      },
      {
        name: 'v1 is missing',
        reason: 'malformed_header',
        header: () => `t=${nowSeconds()}`,
      },
      {
        name: 'the header is missing',
        reason: 'missing_header',
        header: () => undefined,
      },
    ];

  it.each(cases)('answers 401 and stores and queues nothing when $name', async ({ reason, header }) => {
    // Prepare
    const body = fptBody('contact.updated');
    const { eventId } = JSON.parse(body) as { eventId: string };
    const signature = header(body);

    // Act
    const response = await harness.post(body, {
      'content-type': 'application/json',
      ...(signature !== undefined ? { 'x-fpt-signature': signature } : {}),
    });

    // Assess
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toEqual({ message: 'Unauthorized' });
    expect(harness.logsFor(response.requestId)).toEqual(
      expect.arrayContaining([expect.objectContaining({ reason, statusCode: 401 })]),
    );
    expect(await harness.readRow(eventId)).toBeUndefined();
  });

  it('leaves the ledger and both queues empty after all rejections', async () => {
    // A message sent by mistake would have been picked up by the poller within a second or two.
    await sleep(1500);
    expect(await harness.scanCount()).toBe(0);
    expect(await harness.queueDepth(harness.running.stack.queueUrl)).toBe(0);
    expect(await harness.queueDepth(harness.running.stack.deadLetterQueueUrl)).toBe(0);
    expect(harness.batches).toHaveLength(0);
  });

  it('accepts the same kind of delivery when it is signed correctly (the rejections were not a setup fault)', async () => {
    const body = fptBody('contact.updated');

    const response = await harness.deliver(body);

    expect(response.status).toBe(202);
  });
});
