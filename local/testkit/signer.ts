import { signPayload } from '../../lambda/verifier/signature';

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/**
 * The value of `X-FPT-Signature` for `rawBody`, as FPT computes it: `t=<unix seconds>,v1=<hex HMAC>`.
 * Tools, scripts and benchmarks sign with the receiver's own signer; tests that check the verifier use
 * test/support/independent-signer.ts instead, so the verifier is never checked against itself.
 */
export function fptSignatureHeader(
  secret: string,
  rawBody: string | Buffer,
  t: number = nowSeconds(),
): string {
  return signPayload(secret, t, rawBody);
}
