/**
 * Metric emission tests for each outcome: the real functions' cores (and, for the metrics wired in
 * handler.ts, the real handler modules) run with a real Powertools Metrics instance, and the EMF they print
 * is read back the way CloudWatch reads it. The last block checks that every custom metric the alarms and
 * the dashboard read (lib/webhook-metrics.ts) is one that is actually emitted, with the same dimensions:
 * an alarm on a metric with a different dimension set never fires.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { App, Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { createProcessorHandler } from '../../../lambda/processor/create-handler';
import { EVENT_STATUS } from '../../../lambda/shared/ledger-schema';
import { createLogger, createMetrics, METRIC, METRICS_NAMESPACE } from '../../../lambda/shared/observability';
import { createVerifierHandler } from '../../../lambda/verifier/create-handler';
import type { VerifierDeps } from '../../../lambda/verifier/receive';
import type { SecretVersion, VersionStage } from '../../../lambda/verifier/secret-store';
import {
  METRIC_SERVICE,
  PROCESSED_EVENT_TYPES,
  REJECT_REASONS,
  WebhookMetrics,
} from '../../../lib/webhook-metrics';
import { buildEnvelope } from '../../../local/testkit/envelopes';
import { captureOutput } from '../../support/capture-output';
import { FakeLedger } from '../../support/fake-ledger';
import { fptHeader } from '../../support/independent-signer';
import { type EmittedMetric, emittedMetrics, metricKey, metricKeys } from '../../support/metrics';
import {
  CONTACT_ID,
  LOCATION_ID,
  makeEnvelope,
  makeRecord,
  mockHandlers,
  SAMPLE_DATA,
  T0,
} from '../lambda/processor/helpers';

const NS = METRICS_NAMESPACE;
const VERIFIER = { service: METRIC_SERVICE.verifier };
const PROCESSOR = { service: METRIC_SERVICE.processor };
const ROTATION = { service: METRIC_SERVICE.rotation };
const key = (name: string, dimensions: Record<string, string>) => metricKey(NS, name, dimensions);

/** Every metric identity seen by any test in this file, for the cross-check at the end. */
const seen = new Set<string>();

let output: ReturnType<typeof captureOutput>;
beforeEach(() => {
  output = captureOutput();
  // The functions as deployed with the dashboard: every series. The default (alarm series only) is
  // checked in 'without the dashboard' below.
  process.env.FPT_DASHBOARD_METRICS = 'on';
});
afterEach(() => {
  output.restore();
  delete process.env.FPT_DASHBOARD_METRICS;
});

/** The metrics printed since the test started, remembered for the cross-check. */
function emitted(): EmittedMetric[] {
  const metrics = emittedMetrics(output.text());
  for (const k of metricKeys(metrics)) seen.add(k);
  return metrics;
}

// ---- verifier ---------------------------------------------------------------------------------------

const SECRET = 'metrics-test-secret-0123456789-abcdefghij';
const NOW = Date.parse('2026-11-28T12:00:00.000Z');
const NOW_S = Math.floor(NOW / 1000);
const EVENT_ID = '9f1c7e2a8c4d4b1b9e3f5a6d7c8b9a0e';

function body(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    ...buildEnvelope('contact.updated', {
      eventId: EVENT_ID,
      timestamp: new Date('2026-11-28T11:59:58.123Z'),
      contactId: 9876,
    }),
    ...overrides,
  });
}

function verifier(options: { secret?: SecretVersion; scopes?: VerifierDeps['scopes'] } = {}) {
  const ledger = new FakeLedger();
  const current = options.secret ?? { value: SECRET, createdAtMs: NOW - 60_000 };
  const versions: Record<VersionStage, SecretVersion> = {
    AWSCURRENT: current,
    AWSPREVIOUS: { value: undefined, createdAtMs: undefined },
  };
  const deps: VerifierDeps = {
    subscriptions: new Map([['default', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:fpt']]),
    toleranceSeconds: 300,
    maxBodyBytes: 1024,
    previousSecretGraceMs: 24 * 3600 * 1000,
    ...(options.scopes !== undefined ? { scopes: options.scopes } : {}),
    ledger,
    secrets: { get: async (_id, stage) => versions[stage], tryInvalidate: () => false },
    enqueue: async () => 'message-1',
    now: () => NOW,
    logger: createLogger('verifier'),
    metrics: createMetrics('verifier'),
  };
  const handler = createVerifierHandler(deps);
  const send = (
    text: string,
    options: { header?: string | null; subscription?: string; t?: number; secret?: string } = {},
  ) => {
    const header =
      options.header === null
        ? undefined
        : (options.header ?? fptHeader(options.secret ?? SECRET, options.t ?? NOW_S, text));
    return handler(
      {
        version: '2.0',
        routeKey: 'POST /webhooks/{subscription}',
        rawPath: '/webhooks/x',
        rawQueryString: '',
        headers: header === undefined ? {} : { 'x-fpt-signature': header },
        pathParameters: { subscription: options.subscription ?? 'default' },
        requestContext: {} as never,
        body: text,
        isBase64Encoded: false,
      },
      { awsRequestId: 'req-1', functionName: 'verifier' } as Context,
    );
  };
  return { send, ledger };
}

/**
 * What every verifier invocation emits, whatever the outcome, in its batched document (with the
 * dashboard's series on). Deliveries are counted by Lambda's own Invocations metric, not a custom one.
 */
const EVERY_DELIVERY = [key(METRIC.verifierDuration, VERIFIER)];

describe('verifier metrics', () => {
  it('counts an accepted delivery as Enqueued and times it, under the service dimension only', async () => {
    // Prepare
    const { send } = verifier();

    // Act
    const response = await send(body());

    // Assess
    expect(response.statusCode).toBe(202);
    const metrics = emitted();
    expect(metricKeys(metrics)).toEqual([...EVERY_DELIVERY, key(METRIC.enqueued, VERIFIER)].sort());
    expect(metrics.find((m) => m.name === METRIC.enqueued)).toMatchObject({ unit: 'Count', value: 1 });
    expect(metrics.find((m) => m.name === METRIC.verifierDuration)).toMatchObject({
      unit: 'Milliseconds',
      value: 0,
    });
  });

  it('counts a repeated delivery as Duplicate', async () => {
    // Prepare: the processor has taken the event, so the repeat is a duplicate (200), not a 409.
    const { send, ledger } = verifier();
    await send(body());
    await ledger.startProcessing({
      eventId: EVENT_ID,
      subscription: 'default',
      eventType: 'contact.updated',
      nowMs: NOW,
    });
    output.restore();
    output = captureOutput();

    // Act
    const response = await send(body());

    // Assess
    expect(response.statusCode).toBe(200);
    expect(metricKeys(emitted())).toEqual([...EVERY_DELIVERY, key(METRIC.duplicate, VERIFIER)].sort());
  });

  it('counts a reused eventId with a different body as Duplicate and InvalidEnvelopeParked', async () => {
    // Prepare
    const { send } = verifier();
    await send(body());
    output.restore();
    output = captureOutput();

    // Act
    const response = await send(body({ locationId: 4321 }));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(metricKeys(emitted())).toEqual(
      [
        ...EVERY_DELIVERY,
        key(METRIC.duplicate, VERIFIER),
        key(METRIC.invalidEnvelopeParked, VERIFIER),
      ].sort(),
    );
  });

  it('counts an authentic delivery with an invalid envelope as InvalidEnvelopeParked', async () => {
    // Prepare
    const { send, ledger } = verifier();

    // Act
    const response = await send(body({ eventType: 'NotAType' }));

    // Assess
    expect(response.statusCode).toBe(202);
    expect(ledger.parked.size).toBe(1);
    expect(metricKeys(emitted())).toEqual(
      [...EVERY_DELIVERY, key(METRIC.invalidEnvelopeParked, VERIFIER)].sort(),
    );
  });

  it.each([
    ['bad_signature', 401, { secret: 'another-secret-0123456789-abcdefghijklmn' }, body()],
    ['stale_timestamp', 401, { t: NOW_S - 301 }, body()],
    ['future_timestamp', 401, { t: NOW_S + 301 }, body()],
    ['missing_header', 401, { header: null }, body()],
    ['malformed_header', 401, { header: 't=abc,v1=00' }, body()],
    ['unknown_subscription', 404, { subscription: 'nope' }, body()],
    ['oversize', 413, {}, 'x'.repeat(1025)],
  ] as const)(
    'counts a delivery rejected for %s as Rejected with that reason, on its own',
    async (reason, status, options, text) => {
      // Prepare
      const { send } = verifier();

      // Act
      const response = await send(text, options);

      // Assess
      expect(response.statusCode).toBe(status);
      const metrics = emitted();
      expect(metricKeys(metrics)).toEqual(
        [...EVERY_DELIVERY, key(METRIC.rejected, { ...VERIFIER, reason })].sort(),
      );
      // The reason is a dimension of Rejected only, never of the invocation's other metrics.
      const rejected = metrics.filter((m) => m.name === METRIC.rejected);
      expect(rejected).toEqual([
        {
          namespace: NS,
          name: METRIC.rejected,
          unit: 'Count',
          dimensions: { ...VERIFIER, reason },
          value: 1,
        },
      ]);
    },
  );

  it('counts a delivery for an unconfigured secret as Rejected not_configured and SecretNotConfigured', async () => {
    // Prepare
    const { send } = verifier({ secret: { value: undefined, createdAtMs: undefined } });

    // Act
    const response = await send(body());

    // Assess
    expect(response.statusCode).toBe(503);
    expect(metricKeys(emitted())).toEqual(
      [
        ...EVERY_DELIVERY,
        key(METRIC.secretNotConfigured, VERIFIER),
        key(METRIC.rejected, { ...VERIFIER, reason: 'not_configured' }),
      ].sort(),
    );
  });
});

describe('verifier metrics of issue #12', () => {
  it('counts a delivery refused for a malformed current secret as Rejected secret_malformed and SecretMalformed', async () => {
    // Prepare
    const { send } = verifier({ secret: { value: undefined, shape: 'malformed', createdAtMs: NOW } });

    // Act
    const response = await send(body());

    // Assess
    expect(response.statusCode).toBe(503);
    expect(metricKeys(emitted())).toEqual(
      [
        ...EVERY_DELIVERY,
        key(METRIC.secretMalformed, VERIFIER),
        key(METRIC.rejected, { ...VERIFIER, reason: 'secret_malformed' }),
      ].sort(),
    );
  });

  it('counts an authentic delivery outside its subscription scope as ScopeMismatch, not InvalidEnvelopeParked', async () => {
    // Prepare
    const { send, ledger } = verifier({ scopes: new Map([['default', { locationIds: [4321] }]]) });

    // Act
    const response = await send(body());

    // Assess
    expect(response.statusCode).toBe(202);
    expect(ledger.parked.size).toBe(1);
    expect(metricKeys(emitted())).toEqual([...EVERY_DELIVERY, key(METRIC.scopeMismatch, VERIFIER)].sort());
  });
});

/** Loads a handler module afresh with the given environment, as a cold start would; `load` mocks its clients. */
async function coldStart<T>(env: Record<string, string>, load: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    let loaded: T | undefined;
    await jest.isolateModulesAsync(async () => {
      loaded = await load();
    });
    return loaded as T;
  } finally {
    process.env = saved;
  }
}

describe('verifier handler module metrics', () => {
  it('counts every Secrets Manager fetch as SecretRefresh with the version stage as a dimension', async () => {
    // Prepare: AWSCURRENT holds another secret, AWSPREVIOUS does not exist.
    const { handler, sm } = await coldStart(
      {
        FPT_SUBSCRIPTIONS: JSON.stringify({ default: 'fpt-webhooks/test/default' }),
        LEDGER_TABLE_NAME: 'ledger',
        QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/queue',
      },
      async () => {
        const { mockClient } = await import('aws-sdk-client-mock');
        const { GetSecretValueCommand, SecretsManagerClient } = await import(
          '@aws-sdk/client-secrets-manager'
        );
        const sm = mockClient(SecretsManagerClient);
        sm.on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }).resolves({
          SecretString: 'rotated-in-fpt-0123456789-abcdefghijklmno',
          // Set just now, so AWSPREVIOUS is still within its grace window and gets fetched too.
          CreatedDate: new Date(),
        });
        sm.on(GetSecretValueCommand, { VersionStage: 'AWSPREVIOUS' }).rejects(
          Object.assign(new Error('no such version'), { name: 'ResourceNotFoundException' }),
        );
        const module = await import('../../../lambda/verifier/handler');
        return { handler: module.handler, sm };
      },
    );
    const text = body();

    // Act
    const response = await handler({
      version: '2.0',
      routeKey: 'POST /webhooks/{subscription}',
      rawPath: '/webhooks/default',
      rawQueryString: '',
      headers: { 'x-fpt-signature': fptHeader(SECRET, Math.floor(Date.now() / 1000), text) },
      pathParameters: { subscription: 'default' },
      requestContext: {} as never,
      body: text,
      isBase64Encoded: false,
    });
    sm.restore();

    // Assess
    expect(response.statusCode).toBe(401);
    const refreshes = emitted().filter((m) => m.name === METRIC.secretRefresh);
    expect(refreshes.map((m) => m.dimensions)).toEqual(
      expect.arrayContaining([
        { ...VERIFIER, stage: 'AWSCURRENT' },
        { ...VERIFIER, stage: 'AWSPREVIOUS' },
      ]),
    );
    for (const refresh of refreshes) {
      expect(refresh).toMatchObject({ namespace: NS, unit: 'Count', value: 1 });
      expect(Object.keys(refresh.dimensions ?? {}).sort()).toEqual(['service', 'stage']);
    }
    expect(metricKeys(emitted())).toContain(key(METRIC.rejected, { ...VERIFIER, reason: 'bad_signature' }));
  });
});

// ---- processor --------------------------------------------------------------------------------------

const id = (n: number): string => n.toString(16).padStart(32, '0');

function processor(maxReceiveCount = 5) {
  const ledger = new FakeLedger();
  const { handlers, defaultHandler } = mockHandlers();
  const handler = createProcessorHandler({
    ledger,
    logger: createLogger('processor'),
    metrics: createMetrics('processor'),
    maxReceiveCount,
    handlers,
    defaultHandler,
    now: () => T0 + 5_000,
  });
  const run = (event: SQSEvent) =>
    handler(event, { awsRequestId: 'req-2', functionName: 'processor' } as Context);
  return { ledger, handlers, defaultHandler, run };
}

const created = (n: number) =>
  makeEnvelope('contact.created', SAMPLE_DATA['contact.created'], { eventId: id(n) });

describe('without the dashboard (the default)', () => {
  beforeEach(() => {
    delete process.env.FPT_DASHBOARD_METRICS;
  });

  it('publishes no series for a new event: deliveries are counted by the free Lambda Invocations metric', async () => {
    // Prepare
    const { send } = verifier();
    const { run } = processor();

    // Act
    const response = await send(body());
    const batch = await run({ Records: [makeRecord(created(1))] });

    // Assess
    expect(response.statusCode).toBe(202);
    expect(batch.batchItemFailures).toEqual([]);
    expect(metricKeys(emitted())).toEqual([]);
    // And no "No application metrics to publish" warning in its place.
    expect(output.lines().filter((line) => line.includes('No application metrics'))).toEqual([]);
  });

  it('still counts what alarms read: rejects by reason, parked envelopes and failed handlers', async () => {
    // Prepare
    const { send } = verifier();
    const { run, handlers } = processor();
    (handlers['contact.created'] as jest.Mock).mockRejectedValueOnce(new Error('boom'));

    // Act
    await send(body(), { header: null });
    await send('not json');
    await run({ Records: [makeRecord(created(2))] });

    // Assess
    expect(metricKeys(emitted())).toEqual(
      expect.arrayContaining([
        key(METRIC.rejected, { ...VERIFIER, reason: 'missing_header' }),
        key(METRIC.invalidEnvelopeParked, VERIFIER),
        key(METRIC.handlerFailed, PROCESSOR),
      ]),
    );
  });
});

describe('processor metrics', () => {
  it('counts a processed catalog event as Processed by eventType, with end-to-end latency and handler duration', async () => {
    // Prepare
    const { run } = processor();

    // Act
    const response = await run({ Records: [makeRecord(created(1))] });

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const metrics = emitted();
    expect(metricKeys(metrics)).toEqual(
      [
        key(METRIC.processed, { ...PROCESSOR, eventType: 'contact.created' }),
        key(METRIC.endToEndLatency, PROCESSOR),
        key(METRIC.handlerDuration, PROCESSOR),
      ].sort(),
    );
    expect(metrics.find((m) => m.name === METRIC.endToEndLatency)).toMatchObject({
      unit: 'Milliseconds',
      value: 5_000,
    });
    expect(metrics.find((m) => m.name === METRIC.processed)).toMatchObject({ unit: 'Count', value: 1 });
  });

  it('counts an event type outside the catalog as Processed with eventType "other"', async () => {
    // Prepare
    const { run } = processor();

    // Act
    await run({ Records: [makeRecord(makeEnvelope('class.attended', { classId: 5 }, { eventId: id(2) }))] });

    // Assess
    expect(metricKeys(emitted())).toContain(key(METRIC.processed, { ...PROCESSOR, eventType: 'other' }));
  });

  it('counts an already processed event as Duplicate with stage=processor', async () => {
    // Prepare
    const { run, ledger } = processor();
    ledger.seed(id(3), { status: EVENT_STATUS.processed, attempts: 1 });

    // Act
    await run({ Records: [makeRecord(created(3))] });

    // Assess
    expect(metricKeys(emitted())).toEqual([key(METRIC.duplicate, { ...PROCESSOR, stage: 'processor' })]);
  });

  it('counts a failing handler as HandlerFailed, and not as DeadLettered before the last receive', async () => {
    // Prepare
    const { run, handlers } = processor();
    (handlers['contact.created'] as jest.Mock).mockRejectedValueOnce(new Error('downstream down'));

    // Act
    const response = await run({ Records: [makeRecord(created(4), { messageId: 'm-4', receiveCount: 1 })] });

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-4' }]);
    expect(metricKeys(emitted())).toEqual(
      [key(METRIC.handlerFailed, PROCESSOR), key(METRIC.handlerDuration, PROCESSOR)].sort(),
    );
  });

  it('counts a failure on the last receive as HandlerFailed and DeadLettered', async () => {
    // Prepare
    const { run, handlers } = processor(3);
    (handlers['contact.created'] as jest.Mock).mockRejectedValueOnce(new Error('downstream down'));

    // Act
    await run({ Records: [makeRecord(created(5), { messageId: 'm-5', receiveCount: 3 })] });

    // Assess
    expect(metricKeys(emitted())).toEqual(
      [
        key(METRIC.handlerFailed, PROCESSOR),
        key(METRIC.deadLettered, PROCESSOR),
        key(METRIC.handlerDuration, PROCESSOR),
      ].sort(),
    );
  });

  it('counts an event older than the last one processed for its contact as StaleEvent', async () => {
    // Prepare
    const { run, ledger } = processor();
    ledger.highWaterMarks.set(`${LOCATION_ID}#${CONTACT_ID}`, T0 + 60_000);

    // Act
    await run({ Records: [makeRecord(created(6))] });

    // Assess
    expect(metricKeys(emitted())).toEqual(
      [
        key(METRIC.staleEvent, PROCESSOR),
        key(METRIC.processed, { ...PROCESSOR, eventType: 'contact.created' }),
        key(METRIC.endToEndLatency, PROCESSOR),
        key(METRIC.handlerDuration, PROCESSOR),
      ].sort(),
    );
  });
});

// ---- rotation ---------------------------------------------------------------------------------------

type SecretsManagerModule = typeof import('@aws-sdk/client-secrets-manager');

/** The rotation handler module, cold-started with its Secrets Manager client mocked by `prepare`. */
async function rotationHandler(
  prepare: (sm: AwsClientStub<SecretsManagerClient>, commands: SecretsManagerModule) => void,
) {
  return coldStart({}, async () => {
    const { mockClient } = await import('aws-sdk-client-mock');
    const commands = await import('@aws-sdk/client-secrets-manager');
    const sm = mockClient(commands.SecretsManagerClient);
    prepare(sm, commands);
    const module = await import('../../../lambda/rotation/handler');
    return { handler: module.handler, sm };
  });
}

describe('rotation metrics', () => {
  const event = { SecretId: 'fpt-webhooks/test/default', ClientRequestToken: 'token-new' };

  it('counts a scheduled rotation with nothing staged as RotationDue', async () => {
    // Prepare
    const { handler, sm } = await rotationHandler(
      (stub, { DescribeSecretCommand, GetSecretValueCommand }) => {
        stub.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { old: ['AWSCURRENT'] } });
        stub
          .on(GetSecretValueCommand)
          .rejects(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }));
        stub
          .on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' })
          .resolves({ SecretString: 'c'.repeat(40) });
      },
    );

    // Act
    const act = handler({ ...event, Step: 'createSecret' });

    // Assess
    await expect(act).rejects.toThrow('rotation due');
    sm.restore();
    expect(metricKeys(emitted())).toEqual([key(METRIC.rotationDue, ROTATION)]);
  });

  it('counts any other failed step as RotationFailed', async () => {
    // Prepare
    const { handler, sm } = await rotationHandler((stub, { DescribeSecretCommand }) => {
      stub.on(DescribeSecretCommand).rejects(new Error('AccessDeniedException'));
    });

    // Act
    const act = handler({ ...event, Step: 'createSecret' });

    // Assess
    await expect(act).rejects.toThrow('AccessDeniedException');
    sm.restore();
    expect(metricKeys(emitted())).toEqual([key(METRIC.rotationFailed, ROTATION)]);
  });

  it('counts a finished rotation as SecretRotated', async () => {
    // Prepare
    const { handler, sm } = await rotationHandler(
      (stub, { DescribeSecretCommand, GetSecretValueCommand, UpdateSecretVersionStageCommand }) => {
        stub.on(DescribeSecretCommand).resolves({
          VersionIdsToStages: { old: ['AWSCURRENT'], 'token-new': ['AWSPENDING'] },
        });
        stub.on(GetSecretValueCommand).resolves({ SecretString: 'n'.repeat(40) });
        stub
          .on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' })
          .resolves({ SecretString: 'c'.repeat(40) });
        stub.on(UpdateSecretVersionStageCommand).resolves({});
      },
    );

    // Act
    await handler({ ...event, Step: 'finishSecret' });

    // Assess
    sm.restore();
    expect(metricKeys(emitted())).toEqual([key(METRIC.secretRotated, ROTATION)]);
  });
});

// ---- what the alarms and the dashboard read ---------------------------------------------------------

describe('WebhookMetrics', () => {
  function webhookMetrics(): WebhookMetrics {
    const stack = new Stack(new App(), 'MetricsStack');
    const api = apigwv2.HttpApi.fromHttpApiAttributes(stack, 'Api', { httpApiId: 'api123' });
    return new WebhookMetrics({
      verifier: lambda.Function.fromFunctionName(stack, 'Verifier', 'verifier'),
      processor: lambda.Function.fromFunctionName(stack, 'Processor', 'processor'),
      queue: sqs.Queue.fromQueueArn(stack, 'Queue', 'arn:aws:sqs:us-east-1:123456789012:queue'),
      deadLetterQueue: sqs.Queue.fromQueueArn(stack, 'Dlq', 'arn:aws:sqs:us-east-1:123456789012:dlq'),
      table: dynamodb.Table.fromTableName(stack, 'Table', 'ledger'),
      stage: apigwv2.HttpStage.fromHttpStageAttributes(stack, 'Stage', { api, stageName: '$default' }),
    });
  }

  function keyOf(metric: cloudwatch.IMetric): string {
    const stat = metric.toMetricConfig().metricStat;
    if (stat === undefined) throw new Error('not a single metric');
    const dims = Object.fromEntries((stat.dimensions ?? []).map((d) => [d.name, String(d.value)]));
    return metricKey(stat.namespace, stat.metricName, dims);
  }

  function usingMetrics(expression: cloudwatch.IMetric): cloudwatch.IMetric[] {
    const math = expression.toMetricConfig().mathExpression;
    if (math === undefined) throw new Error('not a math expression');
    return Object.values(math.usingMetrics);
  }

  it('reads every custom metric with exactly the name, namespace and dimensions the functions emit', () => {
    // Prepare
    const m = webhookMetrics();
    const read: cloudwatch.IMetric[] = [
      m.enqueued(),
      m.duplicates('verifier'),
      m.duplicates('processor'),
      m.invalidEnvelopeParked(),
      m.secretNotConfigured(),
      m.secretMalformed(),
      m.scopeMismatch(),
      m.secretRefreshes('AWSCURRENT'),
      m.secretRefreshes('AWSPREVIOUS'),
      m.verifierDuration(),
      ...REJECT_REASONS.map((reason) => m.rejected(reason)),
      // Its denominator, received(), is Lambda's Invocations of the verifier: tested in test/infra.
      ...usingMetrics(m.signatureFailureRate()).filter(
        (metric) => metric.toMetricConfig().metricStat?.namespace !== 'AWS/Lambda',
      ),
      m.processed('contact.created'),
      m.processed('other'),
      m.handlerFailed(),
      m.deadLettered(),
      m.staleEvents(),
      m.endToEndLatency(),
      m.handlerDuration(),
      m.rotationDue(),
      m.rotationFailed(),
      m.secretRotated(),
    ];

    // Act
    const keys = read.map(keyOf);

    // Assess: the tests above ran every outcome and recorded what was emitted (so run the whole file).
    expect(seen.size).toBeGreaterThan(20);
    const missing = keys.filter((k) => !seen.has(k));
    expect(missing).toEqual([]);
  });

  it('reads Processed with the same dimensions for every event type it sums', () => {
    // Prepare
    const m = webhookMetrics();

    // Act
    const keys = usingMetrics(m.processedTotal()).map(keyOf);

    // Assess
    expect(keys).toEqual(
      PROCESSED_EVENT_TYPES.map((eventType) => key(METRIC.processed, { ...PROCESSOR, eventType })),
    );
  });

  it('knows every reject reason the verifier can emit', () => {
    // The reasons come from lambda/shared/errors.ts; each was emitted by a test above.
    const emittedReasons = [...seen]
      .filter((k) => k.startsWith(`${NS}/${METRIC.rejected}{`))
      .map((k) => /reason=([a-z_]+)/.exec(k)?.[1]);
    expect([...new Set(emittedReasons)].sort()).toEqual([...REJECT_REASONS].sort());
  });
});
