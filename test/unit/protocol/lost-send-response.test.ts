import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Message, type SendMessageCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as exampleHandlers from '../../../lambda/handlers';
import { processorDependencies } from '../../../lambda/processor/composition';
import { createProcessorHandler } from '../../../lambda/processor/create-handler';
import { toSqsEvent } from '../../../lambda/processor/sqs-message';
import { ENV } from '../../../lambda/shared/env';
import { EVENT_STATUS } from '../../../lambda/shared/ledger-schema';
import { verifierDependencies } from '../../../lambda/verifier/composition';
import { createVerifierHandler } from '../../../lambda/verifier/create-handler';
import { fptDeliveryEvent } from '../../../local/testkit/api-event';
import { envelopeBody } from '../../../local/testkit/envelopes';
import { captureOutput } from '../../support/capture-output';
import { FakeLedger } from '../../support/fake-ledger';
import { fptHeader } from '../../support/independent-signer';

/*
 * Issue #11, point 1: SendMessage succeeds but its answer is lost. The verifier releases its claim and
 * answers 500; the processor creates the row again; FPT's retry of the same bytes must then be a
 * duplicate (200), never parked as "eventId already seen with a different body".
 *
 * Both functions are built by their composition roots, on real SDK clients whose requests never leave
 * the process (middleware answers them), and share one FakeLedger (held to EventLedger by the contract).
 */

const NOW = Date.parse('2026-11-28T12:00:00Z');
const SECRET = 'lost-send-response-secret-0123456789-abcdef';
const QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:fpt-events';

/** An SQS client whose SendMessage queues the message, then fails as a lost response would. */
function sqsThatLosesAnswers(queue: Message[], lose: { next: number }): SQSClient {
  const client = new SQSClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      if (context.commandName !== 'SendMessageCommand') throw new Error(`unexpected ${context.commandName}`);
      const input = args.input as SendMessageCommandInput;
      const messageId = `msg-${queue.length + 1}`;
      queue.push({
        MessageId: messageId,
        ReceiptHandle: `rh-${messageId}`,
        Body: input.MessageBody ?? '',
        MessageAttributes: input.MessageAttributes ?? {},
        Attributes: { ApproximateReceiveCount: '1' },
      });
      if (lose.next > 0) {
        lose.next--;
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} });
      }
      return { output: { MessageId: messageId, $metadata: {} }, response: {} };
    },
    { step: 'initialize', name: 'inMemoryQueue' },
  );
  return client;
}

function secretsClient(): SecretsManagerClient {
  const client = new SecretsManagerClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
  client.middlewareStack.add(
    () => async () => ({
      output: { SecretString: SECRET, CreatedDate: new Date(NOW - 86_400_000), $metadata: {} },
      response: {},
    }),
    { step: 'initialize', name: 'inMemorySecret' },
  );
  return client;
}

/** Never called: the ledger is the fake. Present so the composition roots build without the environment. */
const unusedDocuments = () =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
  );

function setup() {
  const ledger = new FakeLedger();
  const queue: Message[] = [];
  const lose = { next: 0 };
  const metrics = new Metrics({ namespace: 'LostSendTest', serviceName: 'lost-send-test' });
  const logger = new Logger({ serviceName: 'lost-send-test', logLevel: 'SILENT' });
  const verifier = createVerifierHandler({
    ...verifierDependencies({
      env: {
        [ENV.ledgerTableName]: 'ledger',
        [ENV.queueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/fpt-events',
        [ENV.subscriptions]: JSON.stringify({ default: 'fpt/default' }),
      },
      clients: {
        documents: unusedDocuments(),
        sqs: sqsThatLosesAnswers(queue, lose),
        secrets: secretsClient(),
      },
      now: () => NOW,
      logger,
      metrics,
    }),
    ledger,
  });
  const handled: string[] = [];
  const processor = createProcessorHandler({
    ...processorDependencies({
      env: { [ENV.ledgerTableName]: 'ledger' },
      clients: { documents: unusedDocuments() },
      ...exampleHandlers,
      now: () => NOW + 1_000,
      logger,
      metrics,
    }),
    ledger,
    handlers: {
      'contact.created': async (event) => void handled.push(event.eventId),
      'contact.updated': async (event) => void handled.push(event.eventId),
      'contact.deleted': async (event) => void handled.push(event.eventId),
      'contact.status_changed': async (event) => void handled.push(event.eventId),
      'contact.sub_group_changed': async (event) => void handled.push(event.eventId),
    },
  });
  const deliver = (body: string) =>
    verifier(fptDeliveryEvent(body, fptHeader(SECRET, Math.floor(NOW / 1000), body), { now: new Date(NOW) }));
  const drain = async () => {
    const messages = queue.splice(0);
    return processor(toSqsEvent(messages, { queueArn: QUEUE_ARN }));
  };
  return { ledger, queue, lose, deliver, drain, handled };
}

let output: ReturnType<typeof captureOutput>;
beforeEach(() => {
  output = captureOutput();
});
afterEach(() => output.restore());

describe('a SendMessage whose answer is lost', () => {
  it('answers FPT retry of the same bytes as a duplicate once the processor has run, and parks nothing', async () => {
    const { ledger, lose, deliver, drain, handled } = setup();
    const body = envelopeBody('contact.updated', { timestamp: new Date(NOW - 2_000) });
    const { eventId } = JSON.parse(body) as { eventId: string };
    lose.next = 1;

    // 1-2. The send reaches the queue, its answer does not: the claim is released, FPT hears 500.
    const first = await deliver(body);
    const afterRelease = await ledger.getEvent(eventId);
    // 3. The processor takes the queued message and creates the row again.
    const batch = await drain();
    // 4. FPT retries the same bytes.
    const retry = await deliver(body);

    expect(first.statusCode).toBe(500);
    expect(afterRelease).toBeUndefined();
    expect(batch.batchItemFailures).toEqual([]);
    expect(await ledger.getEvent(eventId)).toMatchObject({ status: EVENT_STATUS.processed });
    expect(retry.statusCode).toBe(200);
    expect(JSON.parse(retry.body ?? '{}')).toEqual({ status: 'duplicate', eventId });
    expect(ledger.parked.size).toBe(0);
    expect(output.text()).not.toContain('"InvalidEnvelopeParked"');
    expect(handled).toEqual([eventId]);
  });

  it('still parks a retry whose bytes differ from the message the processor ran', async () => {
    const { ledger, lose, deliver, drain } = setup();
    const body = envelopeBody('contact.updated', { timestamp: new Date(NOW - 2_000) });
    const parsed = JSON.parse(body) as { eventId: string; data: Record<string, unknown> };
    const altered = JSON.stringify({ ...parsed, data: { ...parsed.data, operation: 'update', extra: 1 } });
    lose.next = 1;

    await deliver(body);
    await drain();
    const conflicting = await deliver(altered);

    expect(conflicting.statusCode).toBe(200);
    expect([...ledger.parked.values()].map((p) => p.problems)).toEqual([
      ['eventId already seen with a different body'],
    ]);
  });
});
