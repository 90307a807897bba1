import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyResultV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { LOCAL_ACCOUNT_ID, LOCAL_HOST } from './aws';
import { webPageRefusal } from './browser-guard';
import { createLambdaContext, withTimeout } from './lambda-context';

/** The route the CDK `WebhookApi` declares (lib/webhook-api.ts). */
export const ROUTE_KEY = 'POST /webhooks/{subscription}';
const ROUTE = /^\/webhooks\/([^/]+)$/;

/** HTTP API's request payload limit. */
export const API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

export type VerifierLikeHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyResultV2 | APIGatewayProxyStructuredResultV2>;

export interface WebhookServerOptions {
  /** The verifier handler (the real one, or a wrapper around it). */
  readonly handler: VerifierLikeHandler;
  /**
   * Port on 127.0.0.1; 0 picks a free one.
   * @default 3000
   */
  readonly port?: number;
  /**
   * The verifier's Lambda timeout; past it the caller gets API Gateway's 500.
   * @default 10
   */
  readonly timeoutSeconds?: number;
  /** @default 'fpt-webhooks-local-verifier' */
  readonly functionName?: string;
  /**
   * Request bodies above this size get API Gateway's 413 without reaching the handler.
   * @default 10 MiB (HTTP API's limit)
   */
  readonly maxRequestBytes?: number;
  /** Told about handler crashes and timeouts (which become 500s), e.g. to print them. */
  readonly onInvocationError?: (error: unknown) => void;
}

export interface WebhookServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * HTTP API passes text bodies as they are and base64-encodes everything else, including
 * `application/x-www-form-urlencoded` and requests without a content type.
 */
export function isTextContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const mime = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return (
    mime.startsWith('text/') ||
    mime === 'application/json' ||
    mime.endsWith('+json') ||
    mime === 'application/xml' ||
    mime.endsWith('+xml') ||
    mime === 'application/javascript'
  );
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** `12/Mar/2020:19:03:58 +0000`, the format of `requestContext.time`. */
export function formatRequestTime(date: Date): string {
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

export interface RawRequest {
  readonly method: string;
  /** Path and query as sent, e.g. `/webhooks/default?x=1`. */
  readonly url: string;
  /** Node's `rawHeaders`: name, value, name, value... */
  readonly rawHeaders: readonly string[];
  readonly httpVersion: string;
  readonly sourceIp: string;
  readonly body: Buffer;
  readonly subscription: string;
  readonly now: Date;
  readonly requestId: string;
}

/**
 * Builds the event HTTP API (payload format 2.0) sends to a Lambda proxy integration.
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */
export function buildHttpApiEvent(request: RawRequest): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const name = (request.rawHeaders[i] as string).toLowerCase();
    const value = request.rawHeaders[i + 1] as string;
    // Repeated headers arrive comma-joined.
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const cookieHeader = headers.cookie;
  delete headers.cookie;
  headers['x-forwarded-for'] =
    headers['x-forwarded-for'] === undefined
      ? request.sourceIp
      : `${headers['x-forwarded-for']}, ${request.sourceIp}`;
  headers['x-forwarded-proto'] ??= 'http';
  headers['x-amzn-trace-id'] ??=
    `Root=1-${Math.floor(request.now.getTime() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;

  const queryIndex = request.url.indexOf('?');
  const rawPath = queryIndex === -1 ? request.url : request.url.slice(0, queryIndex);
  const rawQueryString = queryIndex === -1 ? '' : request.url.slice(queryIndex + 1);
  const queryStringParameters: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    queryStringParameters[key] =
      queryStringParameters[key] === undefined ? value : `${queryStringParameters[key]},${value}`;
  }

  const domainName = headers.host ?? LOCAL_HOST;
  const isText = isTextContentType(headers['content-type']);
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: ROUTE_KEY,
    rawPath,
    rawQueryString,
    ...(cookieHeader !== undefined ? { cookies: cookieHeader.split(/;\s*/).filter((c) => c !== '') } : {}),
    headers,
    ...(Object.keys(queryStringParameters).length > 0 ? { queryStringParameters } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: 'local',
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: request.method,
        path: rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: request.requestId,
      routeKey: ROUTE_KEY,
      stage: '$default',
      time: formatRequestTime(request.now),
      timeEpoch: request.now.getTime(),
    },
    pathParameters: { subscription: safeDecode(request.subscription) },
    isBase64Encoded: request.body.length > 0 && !isText,
  };
  if (request.body.length > 0) {
    event.body = isText ? request.body.toString('utf8') : request.body.toString('base64');
  }
  return event;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** API Gateway's own error responses are small JSON documents with a `message`. */
function sendGatewayError(res: ServerResponse, statusCode: number, message: string, requestId: string): void {
  const body = JSON.stringify({ message });
  res.writeHead(statusCode, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'apigw-requestid': requestId,
  });
  res.end(body);
}

/** Maps a payload 2.0 Lambda result to the HTTP response, as HTTP API does. */
export function writeLambdaResult(
  res: ServerResponse,
  result: APIGatewayProxyResultV2 | APIGatewayProxyStructuredResultV2,
  requestId: string,
): void {
  // A result without statusCode (or a bare string) is treated as a 200 JSON body.
  const structured: APIGatewayProxyStructuredResultV2 =
    typeof result === 'object' && result !== null && 'statusCode' in result && result.statusCode !== undefined
      ? result
      : {
          statusCode: 200,
          headers: { 'content-type': 'application/json' },
          body: typeof result === 'string' ? result : JSON.stringify(result),
        };
  const body =
    structured.body === undefined
      ? Buffer.alloc(0)
      : Buffer.from(structured.body, structured.isBase64Encoded === true ? 'base64' : 'utf8');
  const headers: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(structured.headers ?? {}))
    headers[name.toLowerCase()] = String(value);
  if (structured.cookies !== undefined && structured.cookies.length > 0)
    headers['set-cookie'] = structured.cookies;
  headers['content-length'] = body.length;
  headers['apigw-requestid'] = requestId;
  res.writeHead(structured.statusCode ?? 200, headers);
  res.end(body);
}

/** HTTP API request ids look like `JKJaXmPLvHcESHA=`. */
const newRequestId = () => randomBytes(10).toString('base64');

/**
 * A stand-in for the HTTP API: one route, `POST /webhooks/{subscription}`, proxied to the verifier
 * handler in this process with a payload format 2.0 event, on 127.0.0.1 only.
 */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const timeoutSeconds = options.timeoutSeconds ?? 10;
  const functionName = options.functionName ?? 'fpt-webhooks-local-verifier';
  const maxRequestBytes = options.maxRequestBytes ?? API_GATEWAY_MAX_BODY_BYTES;

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const requestId = newRequestId();
    const now = new Date();
    if (webPageRefusal(req.method, req.headers) !== undefined) {
      req.resume();
      sendGatewayError(res, 403, 'Forbidden', requestId);
      return;
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const match = ROUTE.exec(path);
    if (req.method !== 'POST' || match === null) {
      req.resume();
      sendGatewayError(res, 404, 'Not Found', requestId);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > maxRequestBytes) {
        // Stop reading: answer as HTTP API does and drop the connection.
        tooLarge = true;
        res.setHeader('connection', 'close');
        sendGatewayError(res, 413, 'Request Entity Too Large', requestId);
        res.on('finish', () => req.destroy());
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => {});
    req.on('end', () => {
      if (tooLarge) return;
      const event = buildHttpApiEvent({
        method: req.method ?? 'POST',
        url: req.url ?? '/',
        rawHeaders: req.rawHeaders,
        httpVersion: req.httpVersion,
        sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? LOCAL_HOST,
        body: Buffer.concat(chunks),
        subscription: match[1] as string,
        now,
        requestId,
      });
      const context = createLambdaContext({ functionName, timeoutSeconds });
      withTimeout(functionName, timeoutSeconds, () => options.handler(event, context))
        .then((result) => writeLambdaResult(res, result, requestId))
        .catch((error: unknown) => {
          options.onInvocationError?.(error);
          if (!res.headersSent) sendGatewayError(res, 500, 'Internal Server Error', requestId);
        });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, LOCAL_HOST, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${LOCAL_HOST}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
