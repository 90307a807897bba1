import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { HttpRequest } from '@smithy/types';
import { localClientConfig } from '../../local/aws';
import { EmulatorError, findFreePort, isEmulatorHealthy, startEmulator } from '../../local/emulator';
import {
  fptBody,
  fptSignatureHeader,
  type Harness,
  nowSeconds,
  sleep,
  startHarness,
} from './support/harness';

jest.setTimeout(60_000);

const ROOT = join(__dirname, '..', '..');
const PAGE = 'https://attacker.example';

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One HTTP request with exactly these headers (fetch would not let a test set Host or drop its own). */
function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers ?? {}, timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within 5 s`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The preflight a browser sends before a page's fetch with an AWS signature or a JSON content type. */
const preflight = (url: string) =>
  raw(url, {
    method: 'OPTIONS',
    headers: {
      origin: PAGE,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type,x-amz-target',
      'sec-fetch-mode': 'cors',
      'sec-fetch-site': 'cross-site',
    },
  });

describe('the local emulator is closed to web pages', () => {
  let harness: Harness;
  let secrets: SecretsManagerClient;
  let secretId: string;

  beforeAll(async () => {
    harness = await startHarness({ name: 'closed-emulator' });
    secrets = new SecretsManagerClient(localClientConfig(harness.emulatorUrl));
    secretId = harness.running.stack.secrets.default as string;
  });
  afterAll(async () => {
    secrets?.destroy();
    await harness?.stop();
  });

  /** GetSecretValue, signed as the SDK signs it, from a page: the Origin a browser adds to it. */
  async function getSecretFrom(origin: string | undefined): Promise<{ status: number; text: string }> {
    const client = new SecretsManagerClient(localClientConfig(harness.emulatorUrl));
    if (origin !== undefined) {
      client.middlewareStack.add(
        (next) => async (args) => {
          (args.request as HttpRequest).headers.origin = origin;
          return next(args);
        },
        { step: 'build' },
      );
    }
    try {
      const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      return { status: out.$metadata.httpStatusCode ?? 0, text: JSON.stringify(out) };
    } catch (error) {
      const failure = error as Error & { $metadata?: { httpStatusCode?: number } };
      return { status: failure.$metadata?.httpStatusCode ?? 0, text: `${failure.name} ${failure.message}` };
    } finally {
      client.destroy();
    }
  }

  it.each(['/', '/moto-api/reset', '/moto-api/data.json'])(
    'refuses a cross-origin CORS preflight to %s, without any Access-Control-Allow header',
    async (path) => {
      const response = await preflight(`${harness.emulatorUrl}${path}`);

      expect(response.status).toBe(403);
      expect(Object.keys(response.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    },
  );

  it("refuses a page's request for the signing secret, even signed, and never sends the value", async () => {
    const fromPage = await getSecretFrom(PAGE);
    const fromTool = await getSecretFrom(undefined);

    expect(fromPage.status).toBe(403);
    expect(fromPage.text).not.toContain(harness.secret);
    // The same request without the Origin a browser adds is the developer's own tool: answered.
    expect(fromTool.status).toBe(200);
    expect(fromTool.text).toContain(harness.secret);
  });

  it("refuses a page's POST to /moto-api/reset and keeps the stack", async () => {
    const response = await raw(`${harness.emulatorUrl}/moto-api/reset`, {
      method: 'POST',
      headers: { origin: PAGE, 'content-type': 'text/plain', 'sec-fetch-site': 'cross-site' },
    });

    expect(response.status).toBe(403);
    expect(response.body).toContain('refused by the local AWS emulator');
    expect((await getSecretFrom(undefined)).status).toBe(200);
  });

  it('refuses a cross-site request a browser sends without an Origin (a script or image tag)', async () => {
    const response = await raw(`${harness.emulatorUrl}/moto-api/data.json`, {
      headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'script' },
    });

    expect(response.status).toBe(403);
    expect(response.body).not.toContain(harness.secret);
  });

  it('refuses a request whose Host is not loopback, as after DNS rebinding', async () => {
    const port = new URL(harness.emulatorUrl).port;
    const response = await raw(`${harness.emulatorUrl}/moto-api/data.json`, {
      headers: { host: `attacker.example:${port}`, 'sec-fetch-site': 'same-origin' },
    });

    expect(response.status).toBe(403);
    expect(response.body).not.toContain(harness.secret);
  });

  it('refuses an AWS API call without a SigV4 Authorization header, as an old browser form would send it', async () => {
    const response = await raw(`${harness.emulatorUrl}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `Action=PurgeQueue&QueueUrl=${encodeURIComponent(harness.running.stack.queueUrl)}`,
    });

    expect(response.status).toBe(403);
    expect(response.body).toContain('SigV4 Authorization header');
  });

  it('marks every answer as guarded, so startEmulator can tell it from a plain moto', async () => {
    const response = await raw(`${harness.emulatorUrl}/moto-api/`);

    expect(response.status).toBe(200);
    expect(response.headers['x-fpt-emulator']).toBe('guarded');
    expect(await isEmulatorHealthy(harness.emulatorUrl)).toBe(true);
  });

  it('refuses a cross-origin preflight and a page-origin POST to the local webhook API, storing nothing', async () => {
    const body = fptBody('contact.created');
    const { eventId } = JSON.parse(body) as { eventId: string };
    const url = harness.url();

    const options = await preflight(url);
    const post = await raw(url, {
      method: 'POST',
      headers: {
        origin: PAGE,
        'content-type': 'text/plain',
        'x-fpt-signature': fptSignatureHeader(harness.secret, nowSeconds(), body),
      },
      body,
    });

    expect(options.status).toBe(403);
    expect(Object.keys(options.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    expect(post.status).toBe(403);
    expect(await harness.readRow(eventId)).toBeUndefined();
  });
});

describe('startEmulator and a moto without these rules', () => {
  it('refuses to reuse a plain moto server on its port, instead of running the stack on an open emulator', async () => {
    const port = await findFreePort();
    const plain = spawn(
      join(ROOT, '.venv', 'bin', 'python'),
      ['-c', 'from moto.server import main; main()', '-H', '127.0.0.1', '-p', String(port)],
      { stdio: 'ignore' },
    );
    try {
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const up = await raw(`http://127.0.0.1:${port}/moto-api/`).catch(() => undefined);
        if (up?.status === 200) break;
        await sleep(200);
      }
      // Plain moto 5.2.5 allows any page's origin in a preflight: what local/moto_server.py turns off.
      const open = await preflight(`http://127.0.0.1:${port}/`);
      expect(open.headers['access-control-allow-origin']).toBe(PAGE);

      const started = startEmulator({ port });

      await expect(started).rejects.toThrow(EmulatorError);
      await expect(started).rejects.toThrow(/without this project's rules/);
    } finally {
      plain.kill('SIGKILL');
    }
  });
});
