/**
 * Fault injection against the local emulator stack: many FPT deliveries, a share of them duplicated,
 * sent concurrently through the REAL verifier handler and processed by the REAL processor handler
 * behind the local SQS poller, while errors, lost responses, process crashes and timeouts are injected
 * at every step of the idempotency protocol. FPT's retries are simulated (any non-2xx or no answer is
 * retried with exponential backoff), the DLQ is redriven at the end, and the outcome is checked against
 * the ledger: every event PROCESSED, no handler run to success twice outside the documented window.
 *
 * Used by test/integration/fault-injection.test.ts (scaled down, in `npm test`) and by
 * scripts/fault-injection.ts (`npm run reliability`, 10,000 events). Its jobs, one file each in
 * tools/fault-injection/: injector.ts (the faults and the simulated invocations), workload.ts (events
 * and duplicates), fpt-simulator.ts (FPT's retrying sender), functions.ts (the verifier and processor
 * under test), verdict.ts (the ledger's answer), report.ts (markdown), and this file, the run.
 *
 * How faults are injected:
 * - Every AWS SDK call the handlers make passes through a middleware on their clients. It knows the
 *   running invocation (AsyncLocalStorage) and classifies the call as a protocol step (claim, send,
 *   release, startProcessing, ...). At a faulted call it either throws before the call (an error:
 *   no effect), throws after it (a lost response: the effect happened, the caller sees an error), kills
 *   the invocation before or after the call (a crash), or hangs until the invocation's deadline (a
 *   timeout, before or after the call).
 * - A killed invocation is a process that is gone: from that moment every SDK call it makes is refused
 *   before it leaves (no effect, no cleanup), and its answer is dropped. FPT sees no answer and retries;
 *   the SQS event source sees a failed invocation and leaves the whole batch to be received again.
 * - An invocation that runs past its deadline (a hang, or a slow emulator) is abandoned the same way,
 *   like a Lambda timeout.
 * - The handler itself fails, crashes or hangs at random, and a small share of events hit a persistent
 *   downstream outage until the redrive, so the DLQ path is always exercised.
 *
 * Time is compressed: the leases, deadlines and visibility timeout are seconds instead of minutes, in
 * the same proportions as production (lease > deadline, visibility timeout > processing lease).
 */
import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { BatchGetCommand, DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { composeProcessor } from '../../lambda/processor/composition';
import { EVENT_STATUS, MESSAGE_ATTRIBUTES } from '../../lambda/shared/ledger-schema';
import { METRICS_NAMESPACE } from '../../lambda/shared/observability';
import { composeVerifier } from '../../lambda/verifier/composition';
import { localClientConfig } from '../../local/aws';
import { type BatchResult, type Poller, startPoller } from '../../local/poller';
import { loadReceiverConfig, provisionLocalStack, putSigningSecret } from '../../local/provision';
import { queueDepth } from '../../local/testkit/queue-depth';
import { sleep } from '../../local/testkit/wait';
import { prng } from '../../local/testkit/workload';
import { FptSimulator } from './fpt-simulator';
import { ProcessorUnderTest, VerifierPool } from './functions';
import { FaultLayer } from './injector';
import type { FaultInjectionOptions, FaultInjectionReport } from './types';
import { countDoubles, readLedgerVerdict } from './verdict';
import { planWorkload } from './workload';

const documentClient = (client: DynamoDBClient) =>
  DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

/** Runs the whole experiment; never throws for a protocol failure (it is reported), only for setup. */
export async function runFaultInjection(options: FaultInjectionOptions): Promise<FaultInjectionReport> {
  const started = Date.now();
  const { timing } = options;
  const progress = options.onProgress ?? (() => {});
  const random = prng(options.seed);
  const restoreEnv = silencePowertools();

  const config = loadReceiverConfig({ maxReceiveCount: options.maxReceiveCount });
  const namespace = `fi-${randomBytes(3).toString('hex')}`;
  const stack = await provisionLocalStack({ endpoint: options.endpoint, config, namespace });
  const secretId = stack.secrets.default as string;
  const secret = randomBytes(32).toString('base64url');
  await putSigningSecret(options.endpoint, secretId, secret);

  const layer = new FaultLayer(random, options.faultRate, options.windowFaults);
  const clientConfig = localClientConfig(options.endpoint);
  const verifierDocuments = layer.withFaults(documentClient(new DynamoDBClient(clientConfig)));
  const verifierSqs = layer.withFaults(new SQSClient(clientConfig));
  const verifierSecrets = layer.withFaults(new SecretsManagerClient(clientConfig));
  const processorDocuments = layer.withFaults(documentClient(new DynamoDBClient(clientConfig)));
  const pollerSqs = layer.withDeleteFaults(new SQSClient(clientConfig));
  const sqs = new SQSClient(clientConfig);
  const documents = documentClient(new DynamoDBClient(clientConfig));
  const clients = [
    verifierDocuments,
    verifierSqs,
    verifierSecrets,
    processorDocuments,
    pollerSqs,
    sqs,
    documents,
  ];

  // ----- The functions under test, from their composition roots, on the faulted clients. All settings
  // are given, so nothing is read from this process's environment.
  const verifiers = new VerifierPool(
    layer,
    () =>
      composeVerifier({
        env: {},
        settings: {
          subscriptions: new Map([['default', secretId]]),
          ledgerTableName: stack.tableName,
          queueUrl: stack.queueUrl,
          toleranceSeconds: config.signatureToleranceSeconds,
          maxBodyBytes: config.maxBodyBytes,
          previousSecretGraceHours: config.previousSecretGraceHours,
          ledgerRetentionDays: config.ledgerRetentionDays,
          claimLeaseMs: timing.claimLeaseMs,
          secretTtlMs: timing.secretTtlMs,
        },
        clients: { documents: verifierDocuments, sqs: verifierSqs, secrets: verifierSecrets },
        logger: new Logger({ serviceName: 'fault-injection-verifier', logLevel: 'SILENT' }),
        metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'fault-injection-verifier' }),
      }),
    timing.verifierDeadlineMs,
  );
  const workload = planWorkload(options, random);
  // The partner table transactional handlers write, through ctx.effects, with the ledger's PROCESSED.
  const effectsTableName = `${namespace}-effects`;
  await documents.send(
    new CreateTableCommand({
      TableName: effectsTableName,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const processors = new ProcessorUnderTest(
    layer,
    (handlers, defaultHandler) =>
      composeProcessor({
        env: {},
        settings: {
          ledgerTableName: stack.tableName,
          ledgerRetentionDays: config.ledgerRetentionDays,
          maxReceiveCount: options.maxReceiveCount,
          processingLeaseMs: timing.processingLeaseMs,
        },
        clients: { documents: processorDocuments },
        handlers,
        defaultHandler,
        logger: new Logger({ serviceName: 'fault-injection-processor', logLevel: 'SILENT' }),
        metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'fault-injection-processor' }),
      }),
    workload.persistent,
    timing.processorDeadlineMs,
    { events: workload.transactional, tableName: effectsTableName },
  );

  /** The queue forgets a message only when its event is PROCESSED: checked on every deletion. */
  const onBatch = async (batch: BatchResult) => {
    processors.stats.recordsReceived += batch.records.length;
    processors.stats.recordsFailed += batch.failedMessageIds.size;
    const deleted = batch.records
      .filter((r) => !batch.failedMessageIds.has(r.messageId))
      .map((r) => r.messageAttributes[MESSAGE_ATTRIBUTES.eventId]?.stringValue)
      .filter((id): id is string => id !== undefined);
    if (deleted.length === 0) return;
    const out = await documents.send(
      new BatchGetCommand({
        RequestItems: {
          [stack.tableName]: { Keys: [...new Set(deleted)].map((pk) => ({ pk })), ConsistentRead: true },
        },
      }),
    );
    const processed = new Set(
      (out.Responses?.[stack.tableName] ?? [])
        .filter((row) => row.status === EVENT_STATUS.processed)
        .map((row) => row.pk as string),
    );
    for (const id of new Set(deleted)) if (!processed.has(id)) processors.stats.deletedBeforeProcessed++;
  };

  const pollers: Poller[] = Array.from({ length: timing.pollers }, () =>
    startPoller({
      sqs: pollerSqs,
      queueUrl: stack.queueUrl,
      queueArn: stack.queueArn,
      handler: processors.handler(),
      batchSize: timing.batchSize,
      batchingWindowSeconds: 0,
      timeoutSeconds: timing.processorDeadlineMs / 1000 + 30,
      waitTimeSeconds: 1,
      visibilityTimeoutSeconds: timing.visibilityTimeoutSeconds,
      onBatch,
      onError: () => {},
    }),
  );

  const fpt = new FptSimulator(secret, (event) => verifiers.invoke(event), timing, random);
  const { deliveries } = workload;

  // Backpressure: a monitor reads the work queue's depth every second.
  let monitoring = options.maxBacklog !== undefined;
  const monitor = (async () => {
    while (monitoring) {
      const depth = await queueDepth(sqs, stack.queueUrl).catch(() => 0);
      fpt.paused = depth > (options.maxBacklog ?? Number.POSITIVE_INFINITY);
      await sleep(1000);
    }
  })();

  const handlerSuccesses = () => [...processors.successes.values()].reduce((a, b) => a + b, 0);
  let maxDlqDepth = 0;
  const reporter = setInterval(() => {
    void (async () => {
      const [main, dlq] = await Promise.all([
        queueDepth(sqs, stack.queueUrl),
        queueDepth(sqs, stack.deadLetterQueueUrl),
      ]).catch(() => [-1, -1]);
      maxDlqDepth = Math.max(maxDlqDepth, dlq ?? 0);
      progress(
        `[${Math.round((Date.now() - started) / 1000)} s] attempts ${fpt.attempts}, deliveries done ${fpt.chainsSucceeded + fpt.chainsGaveUp}/${deliveries.length}, ` +
          `handler successes ${handlerSuccesses()}, faults ${layer.injector.total}, queue ${main}, dlq ${dlq}`,
      );
    })();
  }, 10_000);

  let deliveriesMs = 0;
  let drainMs = 0;
  let redriveMs = 0;
  let redriveRounds = 0;
  let redriven = 0;
  try {
    // Deliveries, `concurrency` at a time.
    const phaseStart = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(options.concurrency, deliveries.length) }, async () => {
        while (next < deliveries.length) {
          const eventId = deliveries[next++] as string;
          await fpt.deliver(workload.bodies.get(eventId) as string);
        }
      }),
    );
    deliveriesMs = Date.now() - phaseStart;

    /** Waits until the work queue is empty and no invocation runs, twice in a row, within the bound. */
    const drain = async (): Promise<void> => {
      const deadline = Date.now() + options.drainTimeoutMs;
      let quiet = 0;
      while (Date.now() < deadline && quiet < 2) {
        await sleep(500);
        const depth = await queueDepth(sqs, stack.queueUrl);
        quiet = depth === 0 && processors.invocationsInFlight === 0 ? quiet + 1 : 0;
      }
      maxDlqDepth = Math.max(maxDlqDepth, await queueDepth(sqs, stack.deadLetterQueueUrl));
    };
    const drainStart = Date.now();
    await drain();
    drainMs = Date.now() - drainStart;

    // The downstream outage is over: redrive the DLQ (receive, send to the work queue, delete), until
    // it stays empty or the rounds run out.
    processors.outageOver = true;
    const redriveStart = Date.now();
    for (redriveRounds = 0; redriveRounds < 5; ) {
      if ((await queueDepth(sqs, stack.deadLetterQueueUrl)) === 0) break;
      redriveRounds++;
      redriven += await redriveOnce(sqs, stack.deadLetterQueueUrl, stack.queueUrl);
      await drain();
    }
    redriveMs = Date.now() - redriveStart;
  } finally {
    clearInterval(reporter);
    monitoring = false;
    await monitor;
    await Promise.all(pollers.map((p) => p.stop()));
  }

  // ----- The verdict, from the ledger itself.
  const ledger = await readLedgerVerdict(documents, stack.tableName, workload.eventIds);
  const finalQueueDepth = await queueDepth(sqs, stack.queueUrl);
  const finalDlqDepth = await queueDepth(sqs, stack.deadLetterQueueUrl);
  // Events whose handler has no declared effects are judged by handler successes; transactional ones
  // by how many times their effect was committed.
  const plainEventIds = workload.eventIds.filter((id) => !workload.transactional.has(id));
  const doubles = countDoubles(plainEventIds, processors.successes, processors.windowHits, layer.leaseLost);
  const transactional = await judgeTransactional(documents, effectsTableName, stack.tableName, {
    events: [...workload.transactional],
    runs: processors.transactionalRuns,
    windowHits: processors.windowHits,
  });
  const copyCounts = [...layer.copies.values()];

  for (const client of clients) client.destroy();
  restoreEnv();

  const { onProgress: _onProgress, endpoint: _endpoint, ...reportedOptions } = options;
  return {
    options: reportedOptions,
    events: options.events,
    deliveries: deliveries.length,
    duplicateDeliveries: workload.duplicateDeliveries,
    persistentFailureEvents: workload.persistent.size,
    faults: layer.injector.counts,
    faultsTotal: layer.injector.total,
    windowFaultsInjected: layer.injector.windowInjected,
    fpt: {
      attempts: fpt.attempts,
      byOutcome: fpt.byOutcome,
      chainsSucceeded: fpt.chainsSucceeded,
      chainsGaveUp: fpt.chainsGaveUp,
      maxAttemptsForOneDelivery: fpt.maxAttemptsForOneDelivery,
    },
    verifierFaulted: verifiers.faulted,
    verifierNaturalTimeouts: verifiers.naturalTimeouts,
    processor: processors.stats,
    eventsQueuedMoreThanOnce: copyCounts.filter((c) => c > 1).length,
    maxCopiesOfOneEvent: Math.max(0, ...copyCounts),
    handlerSuccesses: handlerSuccesses(),
    eventsSucceededOnce: doubles.eventsSucceededOnce,
    unexplainedDoubles: doubles.unexplainedDoubles,
    windowDoubles: doubles.windowDoubles,
    windowIncidents: [...processors.windowHits].filter((id) => !workload.transactional.has(id)).length,
    transactional,
    leaseLost: layer.leaseLost.size,
    dlq: { maxDepthBeforeRedrive: maxDlqDepth, redriveRounds, redriven, depthAfter: finalDlqDepth },
    final: {
      processed: ledger.processed,
      lost: options.events - ledger.processed,
      lostByStatus: ledger.lostByStatus,
      unexpectedRows: ledger.unexpectedRows,
      parkedRows: ledger.parkedRows,
      queueDepth: finalQueueDepth,
    },
    emulatorCalls: layer.emulatorCalls,
    backpressureMs: fpt.backpressureMs,
    durationsMs: {
      deliveries: deliveriesMs,
      drain: drainMs,
      redrive: redriveMs,
      total: Date.now() - started,
    },
    verifierContainers: verifiers.containersCreated,
  };
}

/** Reads every transactional event's effect counter and ledger status back. */
async function judgeTransactional(
  documents: DynamoDBDocumentClient,
  effectsTableName: string,
  ledgerTableName: string,
  input: {
    readonly events: readonly string[];
    readonly runs: ReadonlyMap<string, number>;
    readonly windowHits: ReadonlySet<string>;
  },
): Promise<NonNullable<FaultInjectionReport['transactional']>> {
  const counts = new Map<string, number>();
  const scan = paginateScan({ client: documents }, { TableName: effectsTableName, ConsistentRead: true });
  for await (const page of scan) {
    for (const item of page.Items ?? []) counts.set(String(item.pk), Number(item.count));
  }
  const processed = new Set<string>();
  for (let i = 0; i < input.events.length; i += 100) {
    const keys = input.events.slice(i, i + 100).map((pk) => ({ pk }));
    const out = await documents.send(
      new BatchGetCommand({ RequestItems: { [ledgerTableName]: { Keys: keys, ConsistentRead: true } } }),
    );
    for (const row of out.Responses?.[ledgerTableName] ?? []) {
      if (row.status === EVENT_STATUS.processed) processed.add(String(row.pk));
    }
  }
  let committedOnce = 0;
  let doubles = 0;
  let missing = 0;
  for (const eventId of input.events) {
    const count = counts.get(eventId) ?? 0;
    if (count === 1) committedOnce++;
    if (count > 1) doubles++;
    if (count === 0 && processed.has(eventId)) missing++;
  }
  return {
    events: input.events.length,
    committedOnce,
    doubles,
    missing,
    handlerRanTwice: input.events.filter((id) => (input.runs.get(id) ?? 0) > 1).length,
    windowIncidents: input.events.filter((id) => input.windowHits.has(id)).length,
  };
}

/** Moves every message of the DLQ back to the work queue (receive, send, delete); returns how many. */
async function redriveOnce(sqs: SQSClient, deadLetterQueueUrl: string, queueUrl: string): Promise<number> {
  let moved = 0;
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 60,
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) return moved;
    for (const message of messages) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: message.Body ?? '',
          MessageAttributes: message.MessageAttributes,
        }),
      );
      await sqs.send(
        new DeleteMessageCommand({
          QueueUrl: deadLetterQueueUrl,
          ReceiptHandle: message.ReceiptHandle ?? '',
        }),
      );
      moved++;
    }
  }
}

/** Powertools writes JSON logs and EMF lines to stdout; a run of thousands of invocations keeps it quiet. */
function silencePowertools(): () => void {
  const previous = {
    POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED,
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL,
  };
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  return () => {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
