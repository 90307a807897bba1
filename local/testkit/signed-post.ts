import { type Agent, request } from 'node:http';
import { fptSignatureHeader } from './signer';

/** POSTs one event signed as FPT signs it, over a keep-alive agent; resolves to the status code. */
export function postSignedEvent(url: URL, agent: Agent, secret: string, body: string): Promise<number> {
  const header = fptSignatureHeader(secret, body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-fpt-signature': header,
        },
        timeout: 30_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}
