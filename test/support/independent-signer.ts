import { createHmac } from 'node:crypto';

/**
 * A signer written from FPT's documentation alone, independent of lambda/verifier/signature.ts, so the
 * tests do not check the verifier against itself.
 */
export function fptSign(secret: string, t: number | string, body: string | Buffer): string {
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8'));
  mac.update(
    Buffer.concat([Buffer.from(`${t}.`, 'utf8'), Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8')]),
  );
  return mac.digest('hex');
}

export function fptHeader(secret: string, t: number, body: string | Buffer): string {
  return `t=${t},v1=${fptSign(secret, t, body)}`;
}
