import type { IncomingHttpHeaders } from 'node:http';

const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?$/i;

/**
 * Why a request to a local server (the webhook API of `npm start`) is refused, or undefined. Such a
 * server listens on 127.0.0.1 for FPT's and the developer's own tools, none of which is a web page: a
 * request with an Origin header, one a browser marks as cross-site, or one whose Host is not loopback
 * (a DNS rebinding page) comes from a page the developer happens to have open. The emulator applies
 * the same rules (local/moto_server.py, `_refusal`).
 */
export function webPageRefusal(method: string | undefined, headers: IncomingHttpHeaders): string | undefined {
  if (!LOOPBACK_HOST.test(headers.host ?? '')) return 'the Host header is not 127.0.0.1, localhost or [::1]';
  if (headers.origin !== undefined) return 'requests from a web page (with an Origin header) are refused';
  if (method === 'OPTIONS') return 'CORS preflights are refused';
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'none' && site !== 'same-origin') {
    return 'requests a browser marks as cross-site are refused';
  }
  return undefined;
}
