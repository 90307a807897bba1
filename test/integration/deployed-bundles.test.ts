import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  SQSBatchResponse,
  SQSEvent,
} from 'aws-lambda';
import { localAwsEnvironment, localClientConfig } from '../../local/aws';
import { toSqsRecord } from '../../local/poller';
import { loadReceiverConfig, provisionLocalStack, putSigningSecret } from '../../local/provision';
import { envelopeBody, newEventId } from '../../local/testkit/envelopes';
import { buildLambdaBundle } from '../../tools/lambda-bundle';
import { fptSign } from '../support/independent-signer';
import { emulatorUrlFromEnv } from './support/emulator-env';

jest.setTimeout(60_000);

const RUNNER = `
const { handler } = require(process.argv[1]);
handler(JSON.parse(process.argv[2]), { awsRequestId: 'bundle-test', functionName: 'bundle-test' })
  .then((result) => process.stdout.write('\\nRESULT ' + JSON.stringify(result) + '\\n'));
`;

/** Runs a bundle's `handler` once in a fresh Node process with only the given environment. */
function runBundle(file: string, event: unknown, env: Record<string, string>): unknown {
  const vars = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const out = execFileSync(process.execPath, ['-e', RUNNER, file, JSON.stringify(event)], {
    env: { PATH: process.env.PATH ?? '', ...vars },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) throw new Error(`the bundle returned nothing; output:\n${out}`);
  return JSON.parse(line.slice('RESULT '.length));
}

/**
 * The bundles `cdk deploy` ships differ from the sources the other tests import: the SDK is bundled from
 * its ES builds and the credential chain is replaced by the environment provider. This runs those exact
 * bundles against the emulator, with credentials in the environment as Lambda provides them.
 */
describe('the deployed Lambda bundles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fpt-bundles-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('verify, queue and process a signed event end to end', async () => {
    // Prepare
    const endpoint = emulatorUrlFromEnv();
    const stack = await provisionLocalStack({
      endpoint,
      config: loadReceiverConfig({}),
      namespace: `it-bundles-${randomBytes(3).toString('hex')}`,
    });
    const secret = randomBytes(32).toString('base64url');
    await putSigningSecret(endpoint, stack.secrets.default as string, secret);
    await buildLambdaBundle('verifier/handler.ts', join(dir, 'verifier', 'index.js'));
    await buildLambdaBundle('processor/handler.ts', join(dir, 'processor', 'index.js'));
    const eventId = newEventId();
    const body = envelopeBody('contact.created', {
      eventId,
      locationId: 1,
      organizationId: 0,
      contactId: 42,
    });
    const t = Math.floor(Date.now() / 1000);
    const v1 = fptSign(secret, t, body);
    const apiEvent: APIGatewayProxyEventV2 = {
      version: '2.0',
      routeKey: 'POST /webhooks/{subscription}',
      rawPath: '/webhooks/default',
      rawQueryString: '',
      headers: { 'content-type': 'application/json', 'x-fpt-signature': `t=${t},v1=${v1}` },
      pathParameters: { subscription: 'default' },
      requestContext: {
        accountId: '123456789012',
        apiId: 'local',
        domainName: 'localhost',
        domainPrefix: 'localhost',
        http: {
          method: 'POST',
          path: '/webhooks/default',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'test',
        },
        requestId: 'bundle-test',
        routeKey: 'POST /webhooks/{subscription}',
        stage: '$default',
        time: new Date().toISOString(),
        timeEpoch: Date.now(),
      },
      body,
      isBase64Encoded: false,
    };

    // Act: the verifier bundle, in a plain Node process as Lambda runs it (jest's sandbox is not one)
    const response = runBundle(join(dir, 'verifier', 'index.js'), apiEvent, {
      ...stack.environment,
      ...localAwsEnvironment(endpoint),
    }) as APIGatewayProxyStructuredResultV2;
    expect(response).toMatchObject({ statusCode: 202 });

    // Act: the processor bundle, on the message the verifier queued
    const sqs = new SQSClient(localClientConfig(endpoint));
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.queueUrl,
        MaxNumberOfMessages: 1,
        WaitTimeSeconds: 2,
        AttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    const message = received.Messages?.[0];
    if (message === undefined) throw new Error('the verifier bundle queued nothing');
    const sqsEvent: SQSEvent = { Records: [toSqsRecord(message, stack.queueArn)] };
    const result = runBundle(join(dir, 'processor', 'index.js'), sqsEvent, {
      ...stack.environment,
      ...localAwsEnvironment(endpoint),
    }) as SQSBatchResponse;
    await sqs.send(
      new DeleteMessageCommand({ QueueUrl: stack.queueUrl, ReceiptHandle: message.ReceiptHandle }),
    );
    sqs.destroy();

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
  });
});
