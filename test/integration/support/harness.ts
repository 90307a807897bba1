import { randomBytes } from 'node:crypto';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { defaultHandler, handlers } from '../../../lambda/handlers';
import type { EventHandlers, HandlerContext } from '../../../lambda/handlers/types';
import { composeProcessor } from '../../../lambda/processor/composition';
import { getDocumentClient, getSecretsClient, getSqsClient } from '../../../lambda/shared/clients';
import type { FptEnvelope } from '../../../lambda/shared/fpt-events';
import type { EventRow, EventStatus } from '../../../lambda/shared/ledger-schema';
import type { ReceiverConfigInput } from '../../../lib/config';
import { localAwsEnvironment, localClientConfig } from '../../../local/aws';
import { LogCapture, type LogRecord } from '../../../local/log-capture';
import type { BatchResult, ProcessorLikeHandler } from '../../../local/poller';
import { loadReceiverConfig } from '../../../local/provision';
import { type RunningLocalStack, runLocalStack } from '../../../local/stack';
import { buildEnvelope, sampleData } from '../../../local/testkit/envelopes';
import { queueDepth } from '../../../local/testkit/queue-depth';
import { nowSeconds } from '../../../local/testkit/signer';
import { pollUntil, sleep } from '../../../local/testkit/wait';
import { fptHeader } from '../../support/independent-signer';
import { emulatorUrlFromEnv } from './emulator-env';

export { newEventId } from '../../../local/testkit/envelopes';
export { nowSeconds } from '../../../local/testkit/signer';
export { sleep } from '../../../local/testkit/wait';

/**
 * FPT's signature from test/support/independent-signer.ts (not lambda/verifier/signature.ts), so the
 * integration tests never check the verifier against itself.
 */
export function fptSignatureHeader(secret: string, t: number, rawBody: string): string {
  return fptHeader(secret, t, rawBody);
}

/**
 * Stands in for personal data in every body the harness builds: no captured log line may contain it
 * (checked when the harness stops).
 */
export const PII_SENTINEL = 'pii-sentinel-5e1f@example.com';

/** A raw FPT body, as FPT would send it (the exact bytes are what gets signed). */
export function fptBody(eventType: string, overrides: Partial<FptEnvelope> = {}): string {
  const data = { ...sampleData(eventType, 101, { anything: 1 }), email: PII_SENTINEL };
  return JSON.stringify({ ...buildEnvelope(eventType, { data }), ...overrides });
}

/** Runs before the real handler of every catalog and unknown type; throw to fail the event. */
export type HandlerBehaviour = (event: FptEnvelope, ctx: HandlerContext) => Promise<void> | void;

export interface HarnessOptions {
  /** Becomes part of the namespace: resources of different test files never collide. */
  readonly name: string;
  /** Exact namespace instead of a generated one (the CLI test needs `local`). */
  readonly namespace?: string;
  /** Overrides on top of cdk.json's `fpt` context. */
  readonly config?: ReceiverConfigInput;
  /** @default 1 */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * Build the processor with `createProcessorHandler` and handlers that count calls per eventId (and
   * run `behaviour` first). Off: the real `handler` export of lambda/processor/handler.ts.
   * @default false
   */
  readonly countHandlerCalls?: boolean;
  /** Processor pollers side by side (Lambda runs several batches at once). @default 1 */
  readonly pollers?: number;
  readonly behaviour?: HandlerBehaviour;
}

export interface PostResult {
  readonly status: number;
  readonly body: string;
  readonly requestId: string;
}

export interface Harness {
  readonly running: RunningLocalStack;
  readonly emulatorUrl: string;
  /** The `default` subscription's secret, stored in the emulator. */
  readonly secret: string;
  /** Completed handler calls per eventId (only with `countHandlerCalls`). */
  readonly calls: Map<string, number>;
  readonly batches: BatchResult[];
  url(subscription?: string): string;
  post(body: string | Buffer, headers: Record<string, string>, subscription?: string): Promise<PostResult>;
  /** Signs with the default secret and posts, as FPT does. */
  deliver(body: string, subscription?: string): Promise<PostResult>;
  /** The verifier's JSON log lines for one request (by API Gateway request id). */
  logsFor(requestId: string): readonly LogRecord[];
  /** The JSON log lines each function wrote so far (their bytes are what CloudWatch Logs ingests). */
  logRecords(): { readonly verifier: readonly LogRecord[]; readonly processor: readonly LogRecord[] };
  readRow(eventId: string): Promise<EventRow | undefined>;
  waitForStatus(eventId: string, status: EventStatus, timeoutMs?: number): Promise<EventRow>;
  /** Visible + in flight + delayed messages. */
  queueDepth(queueUrl: string): Promise<number>;
  /** Every item in the ledger table. */
  scanCount(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * One isolated local stack per test file, on the run's shared emulator: its own table, queues and
 * secrets (namespaced), the local API on a free port and the poller, both in front of the real handlers.
 */
export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const emulatorUrl = emulatorUrlFromEnv();
  const namespace = options.namespace ?? `it-${options.name}-${randomBytes(3).toString('hex')}`;
  const secret = randomBytes(32).toString('base64url');
  const config = loadReceiverConfig(options.config ?? {});
  const calls = new Map<string, number>();
  const batches: BatchResult[] = [];
  const verifierLogs = new Map<string, readonly LogRecord[]>();
  /** Every JSON line both handlers wrote during this harness's life. */
  const allLogs: LogRecord[] = [];
  const logsByFunction = { verifier: [] as LogRecord[], processor: [] as LogRecord[] };
  const capture = new LogCapture(process.env.FPT_TEST_VERBOSE === '1');
  capture.install();

  // The handler modules create their SDK clients from these when imported by runLocalStack.
  for (const [name, value] of Object.entries(localAwsEnvironment(emulatorUrl))) {
    if (value === '') delete process.env[name];
    else process.env[name] = value;
  }

  const counting = (): ProcessorLikeHandler => {
    const wrap =
      <T extends (event: FptEnvelope, ctx: HandlerContext) => Promise<void>>(inner: T) =>
      async (event: FptEnvelope, ctx: HandlerContext): Promise<void> => {
        await options.behaviour?.(event, ctx);
        await inner(event, ctx);
        calls.set(event.eventId, (calls.get(event.eventId) ?? 0) + 1);
      };
    const countingHandlers = Object.fromEntries(
      Object.entries(handlers).map(([type, handler]) => [
        type,
        wrap(handler as unknown as (event: FptEnvelope, ctx: HandlerContext) => Promise<void>),
      ]),
    ) as unknown as EventHandlers;
    // The deployed wiring (settings from the stack's Lambda variables), with counting handlers.
    const processor = composeProcessor({ handlers: countingHandlers, defaultHandler: wrap(defaultHandler) });
    return (event, context) => processor(event, context);
  };

  const running = await runLocalStack({
    endpoint: emulatorUrl,
    config,
    namespace,
    serverPort: 0,
    secrets: Object.fromEntries(config.subscriptions.map((s) => [s.name, secret])),
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 1,
    pollers: options.pollers ?? 1,
    waitTimeSeconds: 1,
    wrap: {
      verifier: (handler) => async (event, context) => {
        const result = await capture.run(() => handler(event, context));
        verifierLogs.set(event.requestContext.requestId, result.logs);
        allLogs.push(...result.logs);
        logsByFunction.verifier.push(...result.logs);
        if (result.error !== undefined) throw result.error;
        return result.value as NonNullable<typeof result.value>;
      },
      processor: (real) => {
        const handler = options.countHandlerCalls === true ? counting() : real;
        return async (event, context) => {
          const result = await capture.run(() => handler(event, context));
          allLogs.push(...result.logs);
          logsByFunction.processor.push(...result.logs);
          if (result.error !== undefined) throw result.error;
          return result.value as SQSBatchResponse;
        };
      },
    },
    onBatch: (batch) => {
      batches.push(batch);
    },
  });

  const clientConfig = localClientConfig(emulatorUrl);
  const sqs = new SQSClient(clientConfig);
  const ddb = new DynamoDBClient(clientConfig);

  const post = async (
    body: string | Buffer,
    headers: Record<string, string>,
    subscription = 'default',
  ): Promise<PostResult> => {
    const response = await fetch(running.webhookUrl(subscription), {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(15_000),
    });
    return {
      status: response.status,
      body: await response.text(),
      requestId: response.headers.get('apigw-requestid') ?? '',
    };
  };

  const harness: Harness = {
    running,
    emulatorUrl,
    secret,
    calls,
    batches,
    url: (subscription = 'default') => running.webhookUrl(subscription),
    post,
    deliver: (body, subscription) =>
      post(
        body,
        {
          'content-type': 'application/json',
          'x-fpt-signature': fptSignatureHeader(secret, nowSeconds(), body),
        },
        subscription,
      ),
    logsFor: (requestId) => verifierLogs.get(requestId) ?? [],
    logRecords: () => ({ verifier: [...logsByFunction.verifier], processor: [...logsByFunction.processor] }),
    readRow: (eventId) => running.readRow(eventId),
    waitForStatus: async (eventId, status, timeoutMs = 15_000) => {
      const { done, value: row } = await pollUntil(
        () => running.readRow(eventId),
        (read) => read?.status === status,
        { deadline: Date.now() + timeoutMs },
      );
      if (done && row !== undefined) return row;
      throw new Error(
        `event ${eventId} did not reach ${status} within ${timeoutMs} ms (last status: ${row?.status ?? 'no row'})`,
      );
    },
    queueDepth: (queueUrl) => queueDepth(sqs, queueUrl),
    scanCount: async () => {
      const out = await ddb.send(
        new ScanCommand({ TableName: running.stack.tableName, Select: 'COUNT', ConsistentRead: true }),
      );
      return out.Count ?? 0;
    },
    stop: async () => {
      await running.stop();
      sqs.destroy();
      ddb.destroy();
      // The handlers' shared clients keep sockets alive; nothing uses them after the stack stopped.
      getDocumentClient().destroy();
      getSqsClient().destroy();
      getSecretsClient().destroy();
      capture.uninstall();
      assertNoSecretOrPayload(allLogs, secret);
    },
  };
  return harness;
}

/**
 * Fails the test file if any captured handler log line holds the signing secret, a signature value or
 * the payload's personal data: the whole integration suite's output is checked this way.
 */
export function assertNoSecretOrPayload(logs: readonly LogRecord[], secret: string): void {
  const leaks = logs
    .map((record) => JSON.stringify(record))
    .filter((line) => line.includes(secret) || line.includes(PII_SENTINEL) || /v1=[0-9a-f]{64}/i.test(line));
  if (leaks.length > 0) {
    throw new Error(`${leaks.length} handler log line(s) hold a secret, a signature or payload data`);
  }
}

/** Posts like FPT: on a non-2xx answer, retry after a short backoff, a bounded number of times. */
export async function deliverWithRetries(
  send: () => Promise<PostResult>,
  maxAttempts = 20,
): Promise<{ final: PostResult; attempts: PostResult[] }> {
  const attempts: PostResult[] = [];
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const result = await send();
    attempts.push(result);
    if (result.status >= 200 && result.status < 300) return { final: result, attempts };
    await sleep(Math.min(50 * 2 ** attempt, 500) + Math.floor(Math.random() * 50));
  }
  throw new Error(`no 2xx after ${maxAttempts} attempts: ${attempts.map((a) => a.status).join(',')}`);
}
