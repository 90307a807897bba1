/**
 * AWS settings of the local stack: the emulator's endpoint, a fixed region and dummy credentials.
 *
 * The Lambda code reads its endpoint through the SDK's standard `AWS_ENDPOINT_URL` setting, so the local
 * stack sets that (and the rest) in `process.env` and the real handlers run unchanged. Nothing here is
 * ever used against a real AWS account: the credentials are the emulator's conventional `test`/`test`.
 */

export const LOCAL_REGION = 'us-east-1';
/** moto's default account id; the queue ARNs it returns use it. */
export const LOCAL_ACCOUNT_ID = '123456789012';
export const DEFAULT_EMULATOR_PORT = 4566;
export const DEFAULT_SERVER_PORT = 3000;
export const LOCAL_HOST = '127.0.0.1';

/** Client settings for an SDK v3 client talking to the emulator. */
export interface LocalClientConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export function localClientConfig(endpoint: string): LocalClientConfig {
  return { endpoint, region: LOCAL_REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
}

/** The environment the AWS SDK inside the handlers needs to reach the emulator. */
export function localAwsEnvironment(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    // Never pick up a developer's real profile or session for the local stack.
    AWS_SESSION_TOKEN: '',
    AWS_PROFILE: '',
    // The SDK's "Node 20 support ends" notice is noise in a local tool's terminal.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** Applies `vars` to `env` (process.env by default); empty strings delete the variable. */
export function applyEnvironment(vars: Record<string, string>, env: NodeJS.ProcessEnv = process.env): void {
  for (const [name, value] of Object.entries(vars)) {
    if (value === '') delete env[name];
    else env[name] = value;
  }
}

/** Reads a TCP port from the environment, failing with the variable's name when it is not a port. */
export function portFromEnv(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name} must be a TCP port from 1 to 65535, but ${JSON.stringify(raw)} was provided`);
  }
  return port;
}

export function emulatorUrl(port: number): string {
  return `http://${LOCAL_HOST}:${port}`;
}
