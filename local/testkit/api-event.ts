import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { buildHttpApiEvent } from '../server';

export interface DeliveryEventOptions {
  /** @default 'default' */
  readonly subscription?: string;
  /** @default now */
  readonly now?: Date;
  /** @default a random UUID */
  readonly requestId?: string;
  /** @default '127.0.0.1' */
  readonly sourceIp?: string;
  /** Sent as `user-agent` when given. */
  readonly userAgent?: string;
}

/**
 * API Gateway's payload-2.0 event for one FPT delivery of `body` with the given `X-FPT-Signature`, as the
 * local API builds it: what the verifier's Lambda handler receives.
 */
export function fptDeliveryEvent(
  body: string,
  signature: string,
  options: DeliveryEventOptions = {},
): APIGatewayProxyEventV2 {
  const subscription = options.subscription ?? 'default';
  return buildHttpApiEvent({
    method: 'POST',
    url: `/webhooks/${subscription}`,
    rawHeaders: [
      'content-type',
      'application/json',
      'x-fpt-signature',
      signature,
      ...(options.userAgent !== undefined ? ['user-agent', options.userAgent] : []),
    ],
    httpVersion: '1.1',
    sourceIp: options.sourceIp ?? '127.0.0.1',
    body: Buffer.from(body, 'utf8'),
    subscription,
    now: options.now ?? new Date(),
    requestId: options.requestId ?? randomUUID(),
  });
}
