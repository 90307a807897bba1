import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { HandlerModule } from '../lambda/runtime';
import type { EventRow } from '../lambda/shared/ledger-schema';
import type { ReceiverConfig } from '../lib/config';
import { applyEnvironment, localClientConfig } from './aws';
import { type Poller, type PollerOptions, type ProcessorLikeHandler, startPoller } from './poller';
import { type LocalStack, provisionLocalStack, putSigningSecret } from './provision';
import { startWebhookServer, type VerifierLikeHandler, type WebhookServer } from './server';
import { isValidPollerCount, MAX_POLLERS } from './testkit/pollers';

/** A 43-character base64url secret (32 random bytes), like the ones FPT generates (32+ characters). */
export function generateSigningSecret(): string {
  return randomBytes(32).toString('base64url');
}

export { MIN_SECRET_LENGTH } from '../lambda/shared/secret-shape';

export { isValidPollerCount, MAX_POLLERS } from './testkit/pollers';

export interface RunningLocalStack {
  readonly stack: LocalStack;
  readonly server: WebhookServer;
  /** One poller per concurrent batch (`RunLocalStackOptions.pollers`). */
  readonly pollers: readonly Poller[];
  /** `http://127.0.0.1:<port>/webhooks/<subscription>` */
  webhookUrl(subscription: string): string;
  /** Reads a ledger row (consistent read). */
  readRow(eventId: string): Promise<EventRow | undefined>;
  /** Stops the poller and the server (not the emulator). */
  stop(): Promise<void>;
}

export interface HandlerWrappers {
  /** Wraps the real verifier handler, e.g. to capture logs; the default is none. */
  readonly verifier?: (handler: VerifierLikeHandler) => VerifierLikeHandler;
  readonly processor?: (handler: ProcessorLikeHandler) => ProcessorLikeHandler;
}

export interface RunLocalStackOptions {
  readonly endpoint: string;
  readonly config: ReceiverConfig;
  /** @default 'local' */
  readonly namespace?: string;
  /** Port of the local API; 0 picks a free one. */
  readonly serverPort: number;
  /** subscription -> secret value to store; subscriptions not listed keep what the emulator holds. */
  readonly secrets?: Readonly<Record<string, string>>;
  /** See `PollerOptions.visibilityTimeoutSeconds`. */
  readonly visibilityTimeoutSeconds?: number;
  /** @default 5 */
  readonly waitTimeSeconds?: number;
  /**
   * Pollers running side by side, like the concurrent batches of Lambda's SQS event source (which
   * starts with five). Each gets the same handler.
   * @default 1
   */
  readonly pollers?: number;
  /**
   * The handler module the processor routes to, as `fpt-webhooks local --handlers` loads it.
   * @default the example handlers in lambda/handlers, as the deployed default
   */
  readonly handlers?: HandlerModule;
  readonly wrap?: HandlerWrappers;
  readonly onBatch?: PollerOptions['onBatch'];
  readonly onPollError?: (error: unknown) => void;
  readonly onInvocationError?: (error: unknown) => void;
}

/**
 * Provisions the local stack, points this process at it (AWS settings and the Lambda variables in
 * `process.env`), loads the real verifier and processor handlers, and serves them: the local API in
 * front of the verifier, the SQS poller in front of the processor.
 *
 * The handler modules read their environment when first imported, so they are imported here, after the
 * environment is set. One process holds one local stack.
 */
export async function runLocalStack(options: RunLocalStackOptions): Promise<RunningLocalStack> {
  const pollerCount = options.pollers ?? 1;
  if (!isValidPollerCount(pollerCount)) {
    throw new Error(`pollers must be a whole number from 1 to ${MAX_POLLERS}, but ${pollerCount} was given`);
  }
  const stack = await provisionLocalStack({
    endpoint: options.endpoint,
    config: options.config,
    ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
  });
  for (const [subscription, value] of Object.entries(options.secrets ?? {})) {
    const secretId = stack.secrets[subscription];
    if (secretId === undefined)
      throw new Error(`no subscription named "${subscription}" in the configuration`);
    await putSigningSecret(options.endpoint, secretId, value);
  }
  applyEnvironment({ ...stack.environment });

  const verifierModule = await import('../lambda/verifier/handler');
  const verifier: VerifierLikeHandler = verifierModule.handler;
  const processor: ProcessorLikeHandler =
    options.handlers === undefined
      ? (await import('../lambda/processor/handler')).handler
      : (await import('../lambda/processor/composition')).composeProcessor(options.handlers);

  const clientConfig = localClientConfig(options.endpoint);
  const sqs = new SQSClient(clientConfig);
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig));

  const server = await startWebhookServer({
    handler: options.wrap?.verifier ? options.wrap.verifier(verifier) : verifier,
    port: options.serverPort,
    timeoutSeconds: stack.spec.verifierTimeoutSeconds,
    ...(options.onInvocationError ? { onInvocationError: options.onInvocationError } : {}),
  });
  const pollerOptions: PollerOptions = {
    sqs,
    queueUrl: stack.queueUrl,
    queueArn: stack.queueArn,
    handler: options.wrap?.processor ? options.wrap.processor(processor) : processor,
    batchSize: stack.spec.eventSource.batchSize,
    batchingWindowSeconds: stack.spec.eventSource.maxBatchingWindowSeconds,
    timeoutSeconds: stack.spec.processorTimeoutSeconds,
    waitTimeSeconds: options.waitTimeSeconds ?? 5,
    ...(options.visibilityTimeoutSeconds !== undefined
      ? { visibilityTimeoutSeconds: options.visibilityTimeoutSeconds }
      : {}),
    ...(options.onBatch ? { onBatch: options.onBatch } : {}),
    ...(options.onPollError ? { onError: options.onPollError } : {}),
  };
  const pollers = Array.from({ length: pollerCount }, () => startPoller(pollerOptions));

  return {
    stack,
    server,
    pollers,
    webhookUrl: (subscription) => `${server.url}/webhooks/${subscription}`,
    readRow: async (eventId) => {
      const out = await documents.send(
        new GetCommand({ TableName: stack.tableName, Key: { pk: eventId }, ConsistentRead: true }),
      );
      return out.Item as EventRow | undefined;
    },
    stop: async () => {
      await Promise.all([...pollers.map((p) => p.stop()), server.close()]);
      sqs.destroy();
      documents.destroy();
    },
  };
}
