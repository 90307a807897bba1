/**
 * What reaches the logs, over every outcome of both functions in one run: correlation keys on every line,
 * and never the secret, a signature, the raw body or payload values. Loggers run at DEBUG so that nothing
 * hides below the default level.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { createProcessorHandler } from '../../../lambda/processor/create-handler';
import { EVENT_STATUS } from '../../../lambda/shared/ledger-schema';
import { createLogger, createMetrics, SERVICE_NAME } from '../../../lambda/shared/observability';
import { createVerifierHandler } from '../../../lambda/verifier/create-handler';
import type { SecretVersion, VersionStage } from '../../../lambda/verifier/secret-store';
import { buildEnvelope } from '../../../local/testkit/envelopes';
import { captureOutput, jsonObjects } from '../../support/capture-output';
import { FakeLedger } from '../../support/fake-ledger';
import { fptHeader, fptSign } from '../../support/independent-signer';
import {
  CONTACT_ID,
  LOCATION_ID,
  makeEnvelope,
  makeRecord,
  mockHandlers,
  T0,
} from '../lambda/processor/helpers';

const SECRET = 'logs-test-current-secret-0123456789-abcdef';
const OLD_SECRET = 'logs-test-previous-secret-0123456789-abcde';
const WRONG_SECRET = 'logs-test-wrong-secret-0123456789-abcdefgh';
const NOW = Date.parse('2026-11-28T12:00:00.000Z');
const NOW_S = Math.floor(NOW / 1000);

/** Payload values that must never be logged; each is unique enough to find anywhere in the output. */
const PII = {
  email: 'pii-sentinel@example.com',
  firstName: 'Sentinelfirstname',
  phone: '+15550100987',
  note: 'private-note-sentinel',
};

function envelopeText(eventId: string, overrides: Record<string, unknown> = {}): string {
  const data = { contactId: 9876, operation: 'update', ...PII };
  return JSON.stringify({
    ...buildEnvelope('contact.updated', { eventId, timestamp: new Date('2026-11-28T11:59:58.123Z'), data }),
    ...overrides,
  });
}

function lambdaContext(requestId: string, functionName: string): Context {
  return {
    awsRequestId: requestId,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
  } as Context;
}

function apiEvent(
  body: string,
  header: string | undefined,
  subscription = 'default',
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/{subscription}',
    rawPath: `/webhooks/${subscription}`,
    rawQueryString: '',
    headers: header === undefined ? {} : { 'x-fpt-signature': header },
    pathParameters: { subscription },
    requestContext: {} as APIGatewayProxyEventV2['requestContext'],
    body,
    isBase64Encoded: false,
  };
}

/** Creates loggers with the given Powertools environment, as a cold start with that configuration would. */
function withEnv<T>(env: Record<string, string>, create: () => T): T {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return create();
  } finally {
    process.env = saved;
  }
}

function verifier(logger: Logger, current: SecretVersion = { value: SECRET, createdAtMs: NOW - 60_000 }) {
  const versions: Record<VersionStage, SecretVersion> = {
    AWSCURRENT: current,
    AWSPREVIOUS: { value: OLD_SECRET, createdAtMs: NOW - 86_400_000 },
  };
  const enqueueFailures: Error[] = [];
  const ledger = new FakeLedger();
  const handler = createVerifierHandler({
    subscriptions: new Map([['default', 'fpt-webhooks/test/default']]),
    toleranceSeconds: 300,
    maxBodyBytes: 256 * 1024,
    previousSecretGraceMs: 24 * 3600 * 1000,
    ledger,
    secrets: { get: async (_id, stage) => versions[stage], tryInvalidate: () => false },
    enqueue: async () => {
      const failure = enqueueFailures.shift();
      if (failure) throw failure;
      return 'message-1';
    },
    now: () => NOW,
    logger,
    metrics: createMetrics('verifier'),
  });
  let n = 0;
  const send = (body: string, header: string | undefined, subscription?: string) =>
    handler(apiEvent(body, header, subscription), lambdaContext(`verifier-req-${++n}`, 'verifier'));
  return { send, enqueueFailures, ledger };
}

const eventId = (n: number): string => n.toString(16).padStart(32, '0');

/** Runs every verifier outcome once; returns the signature headers used, which must not be logged. */
async function runVerifierOutcomes(logger: Logger): Promise<string[]> {
  const { send, enqueueFailures, ledger } = verifier(logger);
  const headers: string[] = [];
  const signed = (body: string, secret = SECRET, t = NOW_S) => {
    const header = fptHeader(secret, t, body);
    headers.push(header);
    return header;
  };
  const valid = envelopeText(eventId(1));
  const outcomes: Array<[string, number, () => ReturnType<typeof send>]> = [
    ['valid', 202, () => send(valid, signed(valid))],
    [
      'duplicate',
      200,
      async () => {
        // The processor has taken the event: a repeated delivery is then a duplicate (200), not a 409.
        await ledger.startProcessing({
          eventId: eventId(1),
          subscription: 'default',
          eventType: 'contact.updated',
          nowMs: NOW,
        });
        return send(valid, signed(valid));
      },
    ],
    [
      'previous secret',
      202,
      () => send(envelopeText(eventId(2)), signed(envelopeText(eventId(2)), OLD_SECRET)),
    ],
    ['bad signature', 401, () => send(valid, signed(valid, WRONG_SECRET))],
    ['stale', 401, () => send(valid, signed(valid, SECRET, NOW_S - 301))],
    ['future', 401, () => send(valid, signed(valid, SECRET, NOW_S + 301))],
    ['missing header', 401, () => send(valid, undefined)],
    ['unknown subscription', 404, () => send(valid, signed(valid), 'nope')],
    [
      'parked: invalid envelope',
      202,
      () => {
        const body = envelopeText('not-an-event-id');
        return send(body, signed(body));
      },
    ],
    [
      'parked: not JSON',
      202,
      () => {
        const body = `not json ${PII.email}`;
        return send(body, signed(body));
      },
    ],
    [
      'parked: reused eventId',
      200,
      () => {
        const body = envelopeText(eventId(1), { locationId: 4321 });
        return send(body, signed(body));
      },
    ],
    [
      'enqueue failure',
      500,
      () => {
        // Shaped like the SDK's error: its message names the failure, not what was sent.
        enqueueFailures.push(Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable' }));
        const body = envelopeText(eventId(3));
        return send(body, signed(body));
      },
    ],
  ];
  for (const [name, status, run] of outcomes) {
    const response = await run();
    expect({ name, status: response.statusCode }).toEqual({ name, status });
  }
  const unconfigured = verifier(logger, { value: undefined, createdAtMs: undefined });
  expect((await unconfigured.send(valid, signed(valid))).statusCode).toBe(503);
  return headers;
}

async function runProcessorOutcomes(logger: Logger): Promise<void> {
  const ledger = new FakeLedger();
  const { handlers } = mockHandlers();
  const handler = createProcessorHandler({
    ledger,
    logger,
    metrics: createMetrics('processor'),
    maxReceiveCount: 3,
    handlers,
    defaultHandler: jest.fn(async () => undefined),
    now: () => T0 + 5_000,
  });
  // Handlers may put payload values in their errors; the processor logs only the error's name and frames.
  (handlers['contact.updated'] as jest.Mock).mockImplementation(
    async (event: { eventId: string; data: typeof PII }) => {
      if (event.eventId === eventId(12) || event.eventId === eventId(13)) {
        throw new Error(`could not sync ${event.data.email} (${event.data.firstName}, ${event.data.phone})`);
      }
    },
  );
  const updated = (n: number, timestamp = T0) =>
    makeEnvelope(
      'contact.updated',
      { contactId: CONTACT_ID, operation: 'update', ...PII },
      { eventId: eventId(n), eventTimestamp: new Date(timestamp).toISOString() },
    );
  ledger.seed(eventId(11), { status: EVENT_STATUS.processed, attempts: 1 });
  ledger.highWaterMarks.set(`${LOCATION_ID}#${CONTACT_ID}`, T0 - 1);

  const response = await handler(
    {
      Records: [
        makeRecord(updated(10), { messageId: 'valid' }),
        makeRecord(updated(11), { messageId: 'duplicate' }),
        makeRecord(updated(12), { messageId: 'failure', receiveCount: 1 }),
        makeRecord(updated(13), { messageId: 'dead-letter', receiveCount: 3 }),
        makeRecord(updated(14, T0 - 60_000), { messageId: 'stale' }),
        makeRecord(updated(15), { messageId: 'poison', body: `{"broken": "${PII.email}"` }),
      ],
    },
    lambdaContext('processor-req-1', 'processor'),
  );
  expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
    ['dead-letter', 'failure', 'poison'].sort(),
  );
}

describe('logs over every outcome', () => {
  let output: ReturnType<typeof captureOutput>;
  beforeEach(() => {
    output = captureOutput();
  });
  afterEach(() => output.restore());

  async function runAll() {
    const { verifierLogger, processorLogger } = withEnv({ POWERTOOLS_LOG_LEVEL: 'DEBUG' }, () => ({
      verifierLogger: createLogger('verifier'),
      processorLogger: createLogger('processor'),
    }));
    const headers = await runVerifierOutcomes(verifierLogger);
    await runProcessorOutcomes(processorLogger);
    const text = output.text();
    const logs = jsonObjects(text).filter((line) => !('_aws' in line));
    return { headers, text, logs };
  }

  it('never contains a secret, a signature, a raw body or a payload value', async () => {
    // Act
    const { headers, text, logs } = await runAll();

    // Assess
    expect(logs.length).toBeGreaterThan(15);
    const forbidden = [
      SECRET,
      OLD_SECRET,
      WRONG_SECRET,
      ...headers,
      ...headers.map((header) => header.split('v1=')[1] as string),
      fptSign(SECRET, NOW_S, envelopeText(eventId(1))),
      envelopeText(eventId(1)),
      ...Object.values(PII),
    ];
    for (const value of forbidden) expect(text).not.toContain(value);
    for (const line of logs) {
      expect(line).not.toHaveProperty('data');
      expect(line).not.toHaveProperty('body');
      expect(line).not.toHaveProperty('rawBody');
      expect(line).not.toHaveProperty('headers');
    }
  });

  it('puts the Lambda request id and the service on every line, and eventId and subscription once known', async () => {
    // Act
    const { logs } = await runAll();

    // Assess
    for (const line of logs) {
      expect(line).toMatchObject({ function_request_id: expect.stringMatching(/-req-\d+$/) });
      expect(line.service).toMatch(new RegExp(`^${SERVICE_NAME}-(verifier|processor)$`));
    }
    const queued = logs.find((line) => line.message === 'event queued');
    expect(queued).toMatchObject({
      service: `${SERVICE_NAME}-verifier`,
      function_request_id: 'verifier-req-1',
      eventId: eventId(1),
      subscription: 'default',
    });
    const rejected = logs.filter((line) => line.message === 'delivery rejected');
    expect(rejected.map((line) => line.reason)).toEqual(
      expect.arrayContaining(['bad_signature', 'stale_timestamp', 'future_timestamp', 'missing_header']),
    );
    // A rejected delivery is never attributed to an event: nothing from its body was read.
    for (const line of rejected) expect(line).not.toHaveProperty('eventId');
    const retry = logs.find((line) => line.message === 'handler failed; will retry');
    expect(retry).toMatchObject({
      service: `${SERVICE_NAME}-processor`,
      function_request_id: 'processor-req-1',
      eventId: eventId(12),
      subscription: 'default',
      errorName: 'Error',
    });
    expect(logs.find((line) => line.message?.toString().includes('moves to the DLQ'))).toMatchObject({
      eventId: eventId(13),
      subscription: 'default',
    });
  });
});

describe('log level and sampling from the environment', () => {
  let output: ReturnType<typeof captureOutput>;
  beforeEach(() => {
    output = captureOutput();
  });
  afterEach(() => output.restore());

  async function infoLines(env: Record<string, string>): Promise<number> {
    const logger = withEnv(env, () => createLogger('verifier'));
    const { send } = verifier(logger);
    const body = envelopeText(eventId(20));
    expect((await send(body, fptHeader(SECRET, NOW_S, body))).statusCode).toBe(202);
    return jsonObjects(output.text()).filter((line) => line.level === 'INFO').length;
  }

  it('logs nothing below POWERTOOLS_LOG_LEVEL', async () => {
    expect(await infoLines({ POWERTOOLS_LOG_LEVEL: 'WARN', POWERTOOLS_LOGGER_SAMPLE_RATE: '0' })).toBe(0);
  });

  it('logs at DEBUG in a sampled container whatever the level (POWERTOOLS_LOGGER_SAMPLE_RATE)', async () => {
    expect(
      await infoLines({ POWERTOOLS_LOG_LEVEL: 'WARN', POWERTOOLS_LOGGER_SAMPLE_RATE: '1' }),
    ).toBeGreaterThan(0);
  });
});
