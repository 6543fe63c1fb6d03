import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';

import {
  checkDestination, createAddressGuard, guardedLookup, STRICT_POLICY, type AddressGuard, type AddressPolicy, type Resolver,
} from '../security/ssrf.ts';

/** The largest JWKS or sector identifier document read from a client's URL (node-oidc-provider reads any size). */
export const FETCHED_DOCUMENT_LIMIT = 64 * 1024;

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * node-oidc-provider's `fetch` option: it fetches URLs that clients register (jwks_uri for
 * private_key_jwt, sector_identifier_uri, client ID metadata documents). The destination
 * is checked with Gatehouse's SSRF guard (src/security/ssrf.ts) under `policy` before
 * anything connects, so an address the policy refuses is not even sent a TCP handshake.
 *
 * - Strict policy (the default): the provider's own dispatcher, passed in `init`, also
 *   refuses special-use addresses on connect, which covers a name that resolves
 *   differently by then (DNS rebinding).
 * - A policy opened by CLIENT_URLS_ALLOW_PRIVATE / _ALLOWED_CIDRS: that dispatcher would
 *   refuse every private address whatever the policy says, so the request goes over
 *   node:http(s) instead, its connection resolved through the same guard (the address
 *   checked is the address connected to). Redirects are not followed there: a 3xx is the
 *   answer, and the provider refuses it like any other non-200.
 */
export function guardedFetch(options: { policy?: AddressPolicy; resolve?: Resolver } = {}): Fetch {
  const policy = options.policy ?? STRICT_POLICY;
  const guard = createAddressGuard(policy);
  const opened = policy.allowPrivate || policy.allowedCidrs.length > 0;
  const send: Fetch = opened ? fetchWithGuardedConnections(guard) : (input, init) => globalThis.fetch(input, init);
  return async function fetchChecked(input, init) {
    const url = new URL(input instanceof Request ? input.url : input);
    await checkDestination(url, guard, options.resolve);
    return send(input, init);
  };
}

/** A GET or form POST over node:http(s) whose DNS lookup is checked by `guard`, answered as a fetch Response. */
function fetchWithGuardedConnections(guard: AddressGuard): Fetch {
  const lookup = guardedLookup(guard);
  return (input, init = {}) => new Promise<Response>((resolve, reject) => {
    if (input instanceof Request) throw new TypeError('a Request object is not supported here; pass its URL and init');
    const url = new URL(input);
    const body = init.body === undefined || init.body === null ? undefined : String(init.body as string | URLSearchParams);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(url, {
      method: init.method ?? 'GET',
      headers: Object.fromEntries(new Headers(init.headers)),
      lookup: lookup as never,
      ...(init.signal && { signal: init.signal }),
      // A fresh connection per request: a pooled socket would skip the lookup check.
      agent: false,
    }, (res) => resolve(responseOf(res)));
    req.on('error', reject);
    req.end(body);
  });
}

function responseOf(res: IncomingMessage): Response {
  const headers = new Headers();
  for (let i = 0; i < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
  const status = res.statusCode ?? 502;
  const empty = status === 204 || status === 304;
  if (empty) res.resume();
  return new Response(empty ? null : Readable.toWeb(res) as ReadableStream, { status, headers });
}
