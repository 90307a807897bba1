/** Sending a delivery to a target's endpoint as FPT would: the stored secret, the signature header. */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { isUnusableSecret } from '../lambda/shared/secret-placeholder';
import { SIGNATURE_HEADER } from '../lambda/verifier/signature';
import { CliError } from './errors';
import type { Target } from './target';

/**
 * The subscription's signing secret as the verifier reads it: the AWSCURRENT version.
 * @throws CliError when it cannot be read or is still the placeholder
 */
export async function readCurrentSecret(target: Target, subscription: string): Promise<string> {
  const secretId = target.secretId(subscription);
  const client = new SecretsManagerClient(target.clientConfig);
  try {
    // Name the stage: that is what the verifier reads, and an emulator's default version can lag behind
    // the label moves of a rotation.
    const out = await client.send(
      new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }),
    );
    if (isUnusableSecret(out.SecretString)) {
      throw new CliError(
        target.kind === 'local'
          ? `the signing secret of subscription "${subscription}" (${secretId}) is not set: restart npm start`
          : `the signing secret of subscription "${subscription}" (${secretId}) is still the placeholder: store FPT's secret first with fpt-webhooks secret set ${subscription} ${target.flags}`,
      );
    }
    return out.SecretString as string;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`could not read secret ${secretId}: ${(error as Error).message ?? String(error)}`, {
      cause: error,
    });
  } finally {
    client.destroy();
  }
}

/**
 * POSTs a body as FPT does, with the given `X-FPT-Signature` value, and waits up to FPT's 30 s.
 * @throws CliError when the URL cannot be reached
 */
export async function postDelivery(
  url: string,
  body: string | Uint8Array,
  signature: string,
  target: Target,
): Promise<Response> {
  try {
    return await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signature,
        'user-agent': 'fpt-webhooks-cli',
      },
      body,
      // FPT waits 30 s for an answer.
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    const hint = target.kind === 'local' ? ': is npm start running (and on the same PORT)?' : '';
    const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new CliError(`could not reach ${url} (${reason})${hint}`, { cause: error });
  }
}
