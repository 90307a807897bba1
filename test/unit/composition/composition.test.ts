import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import * as exampleHandlers from '../../../lambda/handlers';
import type { EventHandlers } from '../../../lambda/handlers/types';
import { composeProcessor, processorSettings } from '../../../lambda/processor/composition';
import { ENV } from '../../../lambda/shared/env';
import { EVENT_STATUS } from '../../../lambda/shared/ledger-schema';
import { composeVerifier, verifierSettings } from '../../../lambda/verifier/composition';
import { DEFAULT_CONFIG, deriveResourceSpec, MAX_BODY_BYTES, resolveConfig } from '../../../lib/config';
import { fptDeliveryEvent } from '../../../local/testkit/api-event';
import { captureOutput } from '../../support/capture-output';
import { fptHeader } from '../../support/independent-signer';
import { makeEnvelope, makeRecord, SAMPLE_DATA } from '../lambda/processor/helpers';

const NOW = Date.parse('2026-11-28T12:00:00Z');
const SECRET = 'composition-test-secret-0123456789-abcdef';
const DEPLOYED = deriveResourceSpec(resolveConfig());

const ddb = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const secrets = mockClient(SecretsManagerClient);
/** A real client; the mock above answers for every instance. */
const documents = () => DynamoDBDocumentClient.from(new DynamoDBClient({}));

let output: ReturnType<typeof captureOutput>;
beforeEach(() => {
  ddb.reset();
  sqs.reset();
  secrets.reset();
  output = captureOutput();
});
afterEach(() => output.restore());

const quiet = () => ({
  logger: new Logger({ serviceName: 'composition-test', logLevel: 'SILENT' }),
  metrics: new Metrics({ namespace: 'CompositionTest', serviceName: 'composition-test' }),
});

/** The processing lease the processor asked for when it started `record`. */
async function leaseRequested(handler: ReturnType<typeof composeProcessor>): Promise<number> {
  ddb.on(UpdateCommand).resolves({ Attributes: { status: EVENT_STATUS.enqueued } });
  ddb.on(GetCommand).resolves({});
  await handler({ Records: [makeRecord(makeEnvelope('contact.updated', SAMPLE_DATA['contact.updated']))] });
  const start = ddb
    .commandCalls(UpdateCommand)
    .find((call) => call.args[0].input.UpdateExpression?.startsWith('SET #status = :processing'));
  const values = start?.args[0].input.ExpressionAttributeValues ?? {};
  return (values[':leaseEnd'] as number) - (values[':nowMs'] as number);
}

describe('the processor composition root', () => {
  it('falls back to the deployed defaults for every setting the environment leaves unset', () => {
    const settings = processorSettings({ [ENV.ledgerTableName]: 'ledger' });

    expect(settings).toEqual({
      ledgerTableName: 'ledger',
      ledgerRetentionDays: DEFAULT_CONFIG.ledgerRetentionDays,
      maxReceiveCount: DEFAULT_CONFIG.maxReceiveCount,
      processingLeaseMs: DEPLOYED.processingLeaseSeconds * 1000,
      keepEventBodies: DEFAULT_CONFIG.keepEventBodies,
    });
    expect(settings.processingLeaseMs).toBe(60_000);
  });

  it('keeps event bodies unless KEEP_EVENT_BODIES is off, in both functions', () => {
    const env = { [ENV.ledgerTableName]: 'ledger', [ENV.queueUrl]: 'q', [ENV.subscriptions]: '{}' };
    const off = { ...env, [ENV.keepEventBodies]: 'off' };

    expect(processorSettings(env).keepEventBodies).toBe(true);
    expect(processorSettings(off).keepEventBodies).toBe(false);
    expect(verifierSettings(env).keepEventBodies).toBe(true);
    expect(verifierSettings(off).keepEventBodies).toBe(false);
  });

  it('leases an event for the deployed processing lease when nothing overrides it', async () => {
    const handler = composeProcessor({
      env: { [ENV.ledgerTableName]: 'ledger' },
      clients: { documents: documents() },
      now: () => NOW,
      ...exampleHandlers,
      ...quiet(),
    });

    expect(await leaseRequested(handler)).toBe(DEPLOYED.processingLeaseSeconds * 1000);
  });

  it('reads the lease the construct sets in PROCESSING_LEASE_SECONDS', async () => {
    const handler = composeProcessor({
      env: { [ENV.ledgerTableName]: 'ledger', [ENV.processingLeaseSeconds]: '90' },
      clients: { documents: documents() },
      now: () => NOW,
      ...exampleHandlers,
      ...quiet(),
    });

    expect(await leaseRequested(handler)).toBe(90_000);
  });

  it('honours overridden settings, clock and handlers over the environment', async () => {
    const calls: string[] = [];
    const handlers = {
      'contact.updated': async (event: { eventId: string }) => {
        calls.push(event.eventId);
      },
    } as unknown as EventHandlers;
    const handler = composeProcessor({
      env: { [ENV.ledgerTableName]: 'from-env', [ENV.processingLeaseSeconds]: '90' },
      settings: { ledgerTableName: 'overridden', processingLeaseMs: 5_000 },
      clients: { documents: documents() },
      handlers,
      defaultHandler: async () => {},
      now: () => NOW,
      ...quiet(),
    });

    expect(await leaseRequested(handler)).toBe(5_000);
    expect(calls).toEqual([makeEnvelope('contact.updated', SAMPLE_DATA['contact.updated']).eventId]);
    const tables = new Set(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input.TableName));
    expect(tables).toEqual(new Set(['overridden']));
    const start = ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues ?? {};
    expect(start[':nowMs']).toBe(NOW);
  });

  it('fails fast, naming the variable, when the table name is missing', () => {
    expect(() => composeProcessor({ env: {}, ...exampleHandlers, ...quiet() })).toThrow(
      'environment variable LEDGER_TABLE_NAME is required but not set',
    );
  });
});

describe('the verifier composition root', () => {
  const env = {
    [ENV.ledgerTableName]: 'ledger',
    [ENV.queueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/work',
    [ENV.subscriptions]: JSON.stringify({ default: 'fpt/default' }),
  };

  const delivery = (body: string) =>
    fptDeliveryEvent(body, fptHeader(SECRET, Math.floor(NOW / 1000), body), {
      sourceIp: '203.0.113.1',
      now: new Date(NOW),
      requestId: 'req-1',
    });

  it('falls back to the deployed defaults for every setting the environment leaves unset', () => {
    const settings = verifierSettings(env);

    expect(settings).toMatchObject({
      ledgerTableName: 'ledger',
      toleranceSeconds: DEFAULT_CONFIG.signatureToleranceSeconds,
      maxBodyBytes: MAX_BODY_BYTES,
      previousSecretGraceHours: DEFAULT_CONFIG.previousSecretGraceHours,
      ledgerRetentionDays: DEFAULT_CONFIG.ledgerRetentionDays,
    });
    expect([...settings.subscriptions]).toEqual([['default', 'fpt/default']]);
  });

  it('wires the overridden clients and clock, queues to the configured queue and, with the dashboard, counts the secret fetch', async () => {
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: SECRET, CreatedDate: new Date(NOW - 86_400_000) });
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    const handler = composeVerifier({
      env: { ...env, [ENV.dashboardMetrics]: 'on' },
      clients: {
        documents: documents(),
        sqs: new SQSClient({}),
        secrets: new SecretsManagerClient({}),
      },
      now: () => NOW,
      metrics: new Metrics({ namespace: 'CompositionTest', serviceName: 'composition-test' }),
      logger: new Logger({ serviceName: 'composition-test', logLevel: 'SILENT' }),
    });
    const body = JSON.stringify(makeEnvelope('contact.updated', SAMPLE_DATA['contact.updated']));

    const response = await handler(delivery(body));

    expect(response.statusCode).toBe(202);
    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toMatchObject({
      SecretId: 'fpt/default',
    });
    expect(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input).toMatchObject({
      QueueUrl: env[ENV.queueUrl],
      MessageBody: body,
    });
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.TableName).toBe('ledger');
    // The SecretRefresh metric is part of the wiring: a verifier deployed with the dashboard emits it.
    expect(output.text()).toContain('"SecretRefresh"');
  });

  it('does not count the secret fetch without the dashboard: only the dashboard reads SecretRefresh', async () => {
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: SECRET, CreatedDate: new Date(NOW - 86_400_000) });
    ddb.on(PutCommand).resolves({});
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    const handler = composeVerifier({
      env,
      clients: {
        documents: documents(),
        sqs: new SQSClient({}),
        secrets: new SecretsManagerClient({}),
      },
      now: () => NOW,
      metrics: new Metrics({ namespace: 'CompositionTest', serviceName: 'composition-test' }),
      logger: new Logger({ serviceName: 'composition-test', logLevel: 'SILENT' }),
    });

    const response = await handler(
      delivery(JSON.stringify(makeEnvelope('contact.updated', SAMPLE_DATA['contact.updated']))),
    );

    expect(response.statusCode).toBe(202);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(output.text()).not.toContain('"SecretRefresh"');
  });

  it('honours overridden settings over the environment', () => {
    const settings = verifierSettings(env, { toleranceSeconds: 30, queueUrl: 'http://127.0.0.1/q' });

    expect(settings.toleranceSeconds).toBe(30);
    expect(settings.queueUrl).toBe('http://127.0.0.1/q');
    expect(settings.ledgerTableName).toBe('ledger');
  });

  it('reads nothing from the environment when every required setting is given', () => {
    const settings = verifierSettings(
      {},
      { subscriptions: new Map([['default', 'id']]), ledgerTableName: 't', queueUrl: 'q' },
    );

    expect(settings.queueUrl).toBe('q');
    expect(settings.toleranceSeconds).toBe(DEFAULT_CONFIG.signatureToleranceSeconds);
  });
});
