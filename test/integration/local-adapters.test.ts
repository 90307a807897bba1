import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { localClientConfig } from '../../local/aws';
import { type Poller, startPoller } from '../../local/poller';
import { loadReceiverConfig, provisionLocalStack } from '../../local/provision';
import { startWebhookServer, type VerifierLikeHandler, type WebhookServer } from '../../local/server';
import { queueDepth } from '../../local/testkit/queue-depth';
import { emulatorUrlFromEnv } from './support/emulator-env';
import { sleep } from './support/harness';

jest.setTimeout(60_000);

/** Raw node:http POST, so the test controls repeated headers exactly. */
function rawPost(
  url: string,
  headers: Array<[string, string]>,
  body: Buffer,
  method = 'POST',
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method });
    for (const [name, value] of headers) req.appendHeader(name, value);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('local API (API Gateway HTTP API stand-in)', () => {
  let server: WebhookServer;
  const events: APIGatewayProxyEventV2[] = [];
  let respond: VerifierLikeHandler = async () => ({
    statusCode: 202,
    headers: { 'X-Test': 'yes' },
    body: '{"ok":true}',
  });

  beforeAll(async () => {
    server = await startWebhookServer({
      port: 0,
      timeoutSeconds: 1,
      maxRequestBytes: 1024,
      handler: async (event, context) => {
        events.push(event);
        return respond(event, context);
      },
    });
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(() => {
    events.length = 0;
    respond = async () => ({ statusCode: 202, headers: { 'X-Test': 'yes' }, body: '{"ok":true}' });
  });

  it('builds a payload format 2.0 event for POST /webhooks/{subscription}', async () => {
    const body = Buffer.from('{"a":1}');

    const response = await rawPost(
      `${server.url}/webhooks/default?x=1&x=2&y=3`,
      [
        ['Content-Type', 'application/json'],
        ['X-Multi', 'a'],
        ['X-Multi', 'b'],
        ['Cookie', 'c1=v1; c2=v2'],
        ['User-Agent', 'fpt-test'],
      ],
      body,
    );

    expect(response.status).toBe(202);
    expect(response.body).toBe('{"ok":true}');
    expect(response.headers['x-test']).toBe('yes');
    const [event] = events;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /webhooks/{subscription}',
      rawPath: '/webhooks/default',
      rawQueryString: 'x=1&x=2&y=3',
      queryStringParameters: { x: '1,2', y: '3' },
      cookies: ['c1=v1', 'c2=v2'],
      pathParameters: { subscription: 'default' },
      body: '{"a":1}',
      isBase64Encoded: false,
      requestContext: {
        accountId: expect.any(String),
        apiId: expect.any(String),
        domainName: expect.stringContaining('127.0.0.1'),
        http: {
          method: 'POST',
          path: '/webhooks/default',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'fpt-test',
        },
        requestId: response.headers['apigw-requestid'],
        routeKey: 'POST /webhooks/{subscription}',
        stage: '$default',
        time: expect.stringMatching(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/),
        timeEpoch: expect.any(Number),
      },
    });
    expect(event?.headers['content-type']).toBe('application/json');
    expect(event?.headers['x-multi']).toBe('a,b');
    expect(event?.headers.cookie).toBeUndefined();
  });

  it('base64-encodes a body whose content type is not text', async () => {
    const body = randomBytes(64);

    await rawPost(`${server.url}/webhooks/default`, [['Content-Type', 'application/octet-stream']], body);

    expect(events[0]?.isBase64Encoded).toBe(true);
    expect(Buffer.from(events[0]?.body ?? '', 'base64').equals(body)).toBe(true);
  });

  it.each([
    ['GET', '/webhooks/default'],
    ['POST', '/webhooks'],
    ['POST', '/webhooks/default/extra'],
    ['POST', '/other'],
  ])('answers %s %s with API Gateway 404 without invoking the handler', async (method, path) => {
    const response = await rawPost(`${server.url}${path}`, [], Buffer.alloc(0), method);

    expect(response.status).toBe(404);
    expect(JSON.parse(response.body)).toEqual({ message: 'Not Found' });
    expect(events).toHaveLength(0);
  });

  it('answers 413 and does not invoke the handler when the body is over the limit', async () => {
    const response = await rawPost(
      `${server.url}/webhooks/default`,
      [['Content-Type', 'application/json']],
      Buffer.alloc(2048, 'a'),
    );

    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toEqual({ message: 'Request Entity Too Large' });
    expect(events).toHaveLength(0);
  });

  it('answers 500 like API Gateway when the handler throws or runs past its timeout', async () => {
    respond = async () => {
      throw new Error('boom');
    };
    const thrown = await rawPost(`${server.url}/webhooks/default`, [], Buffer.from('{}'));
    respond = async () => {
      await sleep(1500);
      return { statusCode: 200 };
    };
    const late = await rawPost(`${server.url}/webhooks/default`, [], Buffer.from('{}'));

    expect([thrown.status, late.status]).toEqual([500, 500]);
    expect(JSON.parse(thrown.body)).toEqual({ message: 'Internal Server Error' });
  });
});

describe('SQS poller (Lambda event source stand-in)', () => {
  const endpoint = emulatorUrlFromEnv();
  const sqs = new SQSClient(localClientConfig(endpoint));
  let poller: Poller | undefined;

  afterEach(async () => {
    await poller?.stop();
    poller = undefined;
  });
  afterAll(() => sqs.destroy());

  const depth = (queueUrl: string): Promise<number> => queueDepth(sqs, queueUrl);

  async function freshQueue() {
    return provisionLocalStack({
      endpoint,
      config: loadReceiverConfig({ maxReceiveCount: 2 }),
      namespace: `it-poller-${randomBytes(3).toString('hex')}`,
    });
  }

  it('invokes with Lambda-shaped records and deletes only the records that did not fail', async () => {
    // Prepare
    const stack = await freshQueue();
    const invocations: SQSEvent[] = [];
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.queueUrl,
        MessageBody: 'keep-failing',
        MessageAttributes: { 'fpt-event-id': { DataType: 'String', StringValue: 'abc' } },
      }),
    );
    await sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrl, MessageBody: 'succeeds' }));

    // Act
    poller = startPoller({
      sqs,
      queueUrl: stack.queueUrl,
      queueArn: stack.queueArn,
      batchSize: 10,
      batchingWindowSeconds: 0,
      timeoutSeconds: 5,
      waitTimeSeconds: 1,
      visibilityTimeoutSeconds: 1,
      handler: async (event): Promise<SQSBatchResponse> => {
        invocations.push(event);
        return {
          batchItemFailures: event.Records.filter((r) => r.body === 'keep-failing').map((r) => ({
            itemIdentifier: r.messageId,
          })),
        };
      },
    });
    const deadline = Date.now() + 15_000;
    while (
      Date.now() < deadline &&
      invocations.flatMap((e) => e.Records).filter((r) => r.body === 'keep-failing').length < 2
    ) {
      await sleep(100);
    }
    await sleep(2500);

    // Assess
    const records = invocations.flatMap((e) => e.Records);
    const failing = records.filter((r) => r.body === 'keep-failing');
    expect(records.filter((r) => r.body === 'succeeds')).toHaveLength(1);
    // Received maxReceiveCount (2) times, then moved to the DLQ by the emulator's redrive policy.
    expect(failing.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(failing[0]).toEqual({
      messageId: expect.any(String),
      receiptHandle: expect.any(String),
      body: 'keep-failing',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: expect.stringMatching(/^\d+$/),
        SenderId: expect.any(String),
        ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d+$/),
      },
      messageAttributes: {
        'fpt-event-id': {
          stringValue: 'abc',
          stringListValues: [],
          binaryListValues: [],
          dataType: 'String',
        },
      },
      md5OfBody: expect.stringMatching(/^[0-9a-f]{32}$/),
      md5OfMessageAttributes: expect.stringMatching(/^[0-9a-f]{32}$/),
      eventSource: 'aws:sqs',
      eventSourceARN: stack.queueArn,
      awsRegion: 'us-east-1',
    });
    expect(await depth(stack.queueUrl)).toBe(0);
    expect(await depth(stack.deadLetterQueueUrl)).toBe(1);
  });

  it('treats an unknown itemIdentifier as a failure of the whole batch', async () => {
    const stack = await freshQueue();
    const seen: string[] = [];
    await sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrl, MessageBody: 'one' }));

    poller = startPoller({
      sqs,
      queueUrl: stack.queueUrl,
      queueArn: stack.queueArn,
      batchSize: 10,
      batchingWindowSeconds: 0,
      timeoutSeconds: 5,
      waitTimeSeconds: 1,
      visibilityTimeoutSeconds: 1,
      handler: async (event) => {
        seen.push(...event.Records.map((r) => r.attributes.ApproximateReceiveCount));
        return { batchItemFailures: seen.length === 1 ? [{ itemIdentifier: 'not-in-this-batch' }] : [] };
      },
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && seen.length < 2) await sleep(100);

    expect(seen).toEqual(['1', '2']);
  });

  it('gathers records arriving within the batching window into one invocation', async () => {
    const stack = await freshQueue();
    const sizes: number[] = [];
    poller = startPoller({
      sqs,
      queueUrl: stack.queueUrl,
      queueArn: stack.queueArn,
      batchSize: 3,
      batchingWindowSeconds: 2,
      timeoutSeconds: 5,
      waitTimeSeconds: 1,
      handler: async (event) => {
        sizes.push(event.Records.length);
        return { batchItemFailures: [] };
      },
    });

    await sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrl, MessageBody: 'first' }));
    await sleep(300);
    await sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrl, MessageBody: 'second' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrl, MessageBody: 'third' }));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && sizes.reduce((a, b) => a + b, 0) < 3) await sleep(100);

    expect(sizes).toEqual([3]);
  });
});
