import type { Configuration } from 'oidc-provider';

/**
 * node-oidc-provider's cookies (the sign-in session, the interaction and its resume link).
 * - HttpOnly and SameSite=Lax on every one (its defaults, stated so they cannot drift):
 *   no script reads them, and no cross-site subrequest or POST carries them.
 * - Secure: node-oidc-provider sets it whenever the request came over https — so behind a
 *   TLS-terminating proxy, TRUST_PROXY must be set for it to see that.
 * - With an https issuer the names carry cookie prefixes (RFC 6265bis §4.1.3), which
 *   browsers enforce: `__Host-` (Secure, Path=/, no Domain: no sibling subdomain can
 *   set or shadow the session cookie) on the session cookie, and `__Secure-` on the
 *   interaction cookies, whose Path is the interaction's own (`/interaction/<uid>`,
 *   `/auth/<uid>`), which `__Host-` does not allow. On plain-http development issuers
 *   browsers would drop prefixed cookies, so the plain names stay there.
 * A new session id is issued on every sign-in (node-oidc-provider's resume step resets it),
 * so a session id planted before sign-in is worth nothing after it (no session fixation).
 */
export function providerCookies(options: { issuer: string; cookieKeys: readonly string[] }): NonNullable<Configuration['cookies']> {
  const https = options.issuer.startsWith('https:');
  return {
    keys: [...options.cookieKeys],
    long: { httpOnly: true, sameSite: 'lax' },
    short: { httpOnly: true, sameSite: 'lax' },
    names: https
      ? { session: '__Host-session', interaction: '__Secure-interaction', resume: '__Secure-interaction_resume' }
      : { session: '_session', interaction: '_interaction', resume: '_interaction_resume' },
  };
}
