import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { eventMessage } from '../shared/queue-message';
import { createVerifierCore, type EnqueueFn, type VerifierDeps } from './receive';

export type VerifierHandler = (
  event: APIGatewayProxyEventV2,
  context?: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * Sends the exact verified bytes, with routing facts as attributes so the processor need not guess. A
 * body with characters SQS refuses goes as base64 (see lambda/shared/queue-message.ts).
 */
export function sqsEnqueue(client: SQSClient, queueUrl: string): EnqueueFn {
  return async ({ envelope, rawBody, bodySha256, subscription, receivedAtMs }) => {
    const message = eventMessage({
      text: rawBody,
      bodySha256,
      subscription,
      eventId: envelope.eventId,
      eventType: envelope.eventType,
      receivedAtMs,
    });
    const out = await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: message.body,
        MessageAttributes: message.attributes,
      }),
    );
    if (out.MessageId === undefined) throw new Error('SQS returned no MessageId');
    return out.MessageId;
  };
}

/** Builds the Lambda handler around injected dependencies; the module's `handler` uses the real ones. */
export function createVerifierHandler(deps: VerifierDeps): VerifierHandler {
  const receive = createVerifierCore(deps);
  return async (event, context) => {
    deps.logger.resetKeys();
    if (context) deps.logger.addContext(context);
    try {
      return await receive({
        subscription: event.pathParameters?.subscription,
        headers: event.headers ?? {},
        body: event.body,
        isBase64Encoded: event.isBase64Encoded === true,
      });
    } finally {
      // A new event stores no metric unless the dashboard is on: nothing to publish, and no warning line.
      if (deps.metrics.hasStoredMetrics()) deps.metrics.publishStoredMetrics();
    }
  };
}
