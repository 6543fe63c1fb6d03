import { decodeJwt } from 'jose';

import type { LogoutDelivery } from './backchannel-queue.ts';

export type FetchHook = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** A logout token lives 120 s in node-oidc-provider (IdToken#issue, use "logout"). */
const FALLBACK_LIFETIME_MS = 120_000;

/** The `logout_token` of a back-channel logout POST (Back-Channel Logout 1.0 §2.5), if this is one. */
function logoutTokenOf(init: RequestInit | undefined): string | undefined {
  if (init?.method !== 'POST' || !(init.body instanceof URLSearchParams)) return undefined;
  return init.body.get('logout_token') ?? undefined;
}

/**
 * node-oidc-provider delivers a logout token with its `fetch` option, once, and the
 * logout request waits for the answer (lib/actions/end_session.js awaits every
 * delivery). Gatehouse answers that call itself: the token goes to the delivery queue
 * (backchannel-queue.ts), which sends it in the background under Gatehouse's SSRF policy
 * and retries it, and the provider is told 204 at once, so a slow or failing receiver
 * never holds up the person's logout. Every other fetch (jwks_uri, sector_identifier_uri)
 * goes to `next` as before.
 */
export function deferLogoutTokens(next: FetchHook, enqueue: (delivery: LogoutDelivery) => boolean, now = Date.now): FetchHook {
  return async function fetchOrQueue(input, init) {
    const token = logoutTokenOf(init);
    if (token === undefined) return next(input, init);
    // Our own token, just signed: read, not verified. Its audience names the client.
    const claims = decodeJwt(token);
    const clientId = typeof claims.aud === 'string' ? claims.aud : claims.aud?.[0];
    const queued = enqueue({
      url: new URL(input instanceof Request ? input.url : input),
      body: new URLSearchParams({ logout_token: token }).toString(),
      clientId,
      expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : now() + FALLBACK_LIFETIME_MS,
    });
    // 204: accepted for delivery (the provider's `backchannel.success`); 503 when dropped.
    return new Response(null, { status: queued ? 204 : 503 });
  };
}
