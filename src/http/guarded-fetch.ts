import { checkDestination, createAddressGuard, STRICT_POLICY, type AddressGuard, type Resolver } from '../security/ssrf.ts';

/** The largest JWKS or sector identifier document read from a client's URL (node-oidc-provider reads any size). */
export const FETCHED_DOCUMENT_LIMIT = 64 * 1024;

/**
 * node-oidc-provider's `fetch` option: it fetches URLs that clients register (jwks_uri for
 * private_key_jwt, sector_identifier_uri). The destination is checked with Gatehouse's
 * SSRF guard (src/security/ssrf.ts) before anything connects, so an internal address is
 * not even sent a TCP handshake. The provider's own dispatcher, passed in `init`, still
 * refuses special-use addresses on connect, which also covers a name that resolves
 * differently by then (DNS rebinding).
 */
export function guardedFetch(options: { guard?: AddressGuard; resolve?: Resolver } = {}) {
  const guard = options.guard ?? createAddressGuard(STRICT_POLICY);
  return async function fetchChecked(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const url = new URL(input instanceof Request ? input.url : input);
    await checkDestination(url, guard, options.resolve);
    return globalThis.fetch(input, init);
  };
}
