import { createHash } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createVerifierHandler, sqsEnqueue } from '../../../lambda/verifier/create-handler';
import { envelopeBody } from '../../../local/testkit/envelopes';
import { captureOutput } from '../../support/capture-output';
import { FakeLedger } from '../../support/fake-ledger';
import { fptHeader } from '../../support/independent-signer';

const SECRET = 'handler-test-secret-0123456789-abcdefghij';
const NOW = Date.parse('2026-11-28T12:00:00Z');
const sqs = mockClient(SQSClient);

function apiEvent(
  body: string,
  headers: Record<string, string>,
  subscription = 'default',
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/{subscription}',
    rawPath: `/webhooks/${subscription}`,
    rawQueryString: '',
    headers,
    pathParameters: { subscription },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: {
        method: 'POST',
        path: `/webhooks/${subscription}`,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.1',
        userAgent: 'FPT',
      },
      requestId: 'req-1',
      routeKey: 'POST /webhooks/{subscription}',
      stage: '$default',
      time: '28/Nov/2026:12:00:00 +0000',
      timeEpoch: NOW,
    },
    body,
    isBase64Encoded: false,
  };
}

let output: ReturnType<typeof captureOutput>;
beforeEach(() => {
  sqs.reset();
  output = captureOutput();
});
afterEach(() => output.restore());

describe('verifier handler', () => {
  it('maps an HTTP API v2 event to the receiver and publishes metrics', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    const handler = createVerifierHandler({
      subscriptions: new Map([['default', 'secret-id']]),
      toleranceSeconds: 300,
      maxBodyBytes: 262144,
      previousSecretGraceMs: 0,
      ledger: new FakeLedger(),
      secrets: { get: async () => ({ value: SECRET, createdAtMs: NOW }), tryInvalidate: () => false },
      enqueue: sqsEnqueue(new SQSClient({}), 'https://sqs.example/queue'),
      now: () => NOW,
      logger: new Logger({ serviceName: 'test' }),
      metrics: new Metrics({ namespace: 'FptWebhookReceiver', serviceName: 'test' }),
    });
    const body = envelopeBody('contact.created', {
      eventId: 'a'.repeat(32),
      timestamp: new Date('2026-11-28T11:59:59.000Z'),
      locationId: 1,
      organizationId: 0,
      contactId: 1,
    });
    const result = await handler(apiEvent(body, { 'x-fpt-signature': fptHeader(SECRET, NOW / 1000, body) }));
    expect(result.statusCode).toBe(202);
    const sent = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(sent?.MessageBody).toBe(body);
    expect(sent?.MessageAttributes?.['fpt-event-id']?.StringValue).toBe('a'.repeat(32));
    expect(sent?.MessageAttributes?.['fpt-subscription']?.StringValue).toBe('default');
    expect(output.text()).toContain('"Enqueued"');
  });

  it('queues a body holding U+FFFF, which SQS refuses, as base64 of the signed bytes with the encoding flagged', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-2' });
    const handler = createVerifierHandler({
      subscriptions: new Map([['default', 'secret-id']]),
      toleranceSeconds: 300,
      maxBodyBytes: 262144,
      previousSecretGraceMs: 0,
      ledger: new FakeLedger(),
      secrets: { get: async () => ({ value: SECRET, createdAtMs: NOW }), tryInvalidate: () => false },
      enqueue: sqsEnqueue(new SQSClient({}), 'https://sqs.example/queue'),
      now: () => NOW,
      logger: new Logger({ serviceName: 'test' }),
      metrics: new Metrics({ namespace: 'FptWebhookReceiver', serviceName: 'test' }),
    });
    const body = JSON.stringify({
      eventId: 'b'.repeat(32),
      eventType: 'contact.updated',
      eventTimestamp: '2026-11-28T11:59:59.000Z',
      locationId: 1,
      organizationId: 0,
      apiVersion: 'v1',
      data: { contactId: 1, operation: 'update', note: 'x\uFFFFy' },
    });

    const result = await handler(apiEvent(body, { 'x-fpt-signature': fptHeader(SECRET, NOW / 1000, body) }));

    expect(result.statusCode).toBe(202);
    const sent = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(Buffer.from(sent?.MessageBody ?? '', 'base64').equals(Buffer.from(body, 'utf8'))).toBe(true);
    expect(sent?.MessageAttributes?.['fpt-body-encoding']?.StringValue).toBe('base64');
    expect(sent?.MessageAttributes?.['fpt-body-sha256']?.StringValue).toBe(
      createHash('sha256').update(body, 'utf8').digest('hex'),
    );
  });
});
