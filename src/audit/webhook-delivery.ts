import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

import { checkDestination, guardedLookup, type AddressGuard, type Resolver } from '../security/ssrf.ts';

/** What one POST attempt came to: an HTTP status, or no answer at all. */
export type SendResult = { status: number } | { error: 'refused' | 'network' | 'timeout'; message: string };

export type Send = (url: URL, body: string, headers: Record<string, string>) => Promise<SendResult>;

/**
 * POSTs over node:http(s) to a URL that passes the SSRF guard twice: before the request
 * (literal addresses, and names as they resolve now) and inside the connection's DNS
 * lookup, so the address checked is the address connected to. Redirects are not
 * followed (a 3xx is an answer like any other): a redirect could point anywhere.
 */
export function createSender(options: { guard: AddressGuard; timeoutMs: number; resolve?: Resolver }): Send {
  const lookup = guardedLookup(options.guard);
  return async function send(url, body, headers) {
    try {
      await checkDestination(url, options.guard, options.resolve);
    } catch (err) {
      return { error: 'refused', message: (err as Error).message };
    }
    return new Promise<SendResult>((resolve) => {
      const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = request(url, {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: lookup as never,
        timeout: options.timeoutMs,
        // A fresh connection per delivery: a pooled socket would skip the lookup check.
        agent: false,
      }, (res) => {
        res.resume(); // the receiver's body is not read, only drained
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        res.on('error', () => resolve({ status: res.statusCode ?? 0 }));
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${options.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', (err: NodeJS.ErrnoException) => {
        const error = err.code === 'ESSRF' ? 'refused' : err.code === 'ETIMEDOUT' ? 'timeout' : 'network';
        resolve({ error, message: err.message });
      });
      req.end(body);
    });
  };
}
