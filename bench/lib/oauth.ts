import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

import type { Browser } from './browser.ts';
import { basic, FORM, form, json, type HttpClient } from './http.ts';
import { fixture } from './targets.ts';

interface SeedClient { client_id: string; client_secret?: string; redirect_uris?: string[] }
const seed = JSON.parse(readFileSync(fixture('seed.json'), 'utf8')) as {
  accounts: { email: string; password: string }[];
  clients: SeedClient[];
};
const client = (id: string) => {
  const c = seed.clients.find((x) => x.client_id === id);
  if (!c?.client_secret) throw new Error(`bench/fixtures/seed.json has no confidential client ${id}`);
  return { id, secret: c.client_secret, auth: basic(id, c.client_secret), redirectUri: c.redirect_uris?.[0] ?? '' };
};

/** The bench seed's parties, read from the seed itself so secrets live in one place. */
export const SERVICE = client('bench-service');
export const RESOURCE_SERVER = client('bench-rs');
export const WEB = client('bench-web');
/** Gatehouse only: may create API keys through the admin API. */
export const ADMIN = client('bench-admin');
export const ACCOUNT = seed.accounts[0]!;
/** The JWT resource server of bench/fixtures/seed-jwt.json. */
export const JWT_RESOURCE = 'https://api.bench.example';

export interface TokenResponse { access_token: string; refresh_token?: string; id_token?: string }

export function tokenRequest(http: HttpClient, auth: string, params: Record<string, string>) {
  return http.send('POST', '/token', { authorization: auth, 'content-type': FORM, accept: 'application/json' }, form(params));
}

export async function clientCredentials(http: HttpClient, params: Record<string, string> = {}): Promise<TokenResponse> {
  const res = await tokenRequest(http, SERVICE.auth, { grant_type: 'client_credentials', scope: 'api:read', ...params });
  return json<TokenResponse>(res, 'client credentials');
}

export async function introspect(http: HttpClient, token: string): Promise<{ active: boolean }> {
  const res = await http.send('POST', '/token/introspection',
    { authorization: RESOURCE_SERVER.auth, 'content-type': FORM, accept: 'application/json' }, form({ token }));
  return json<{ active: boolean }>(res, 'introspection');
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** /auth for the web client with a fresh PKCE pair (RFC 7636 S256, which both servers require). */
export function authorization(scope: string, extra: Record<string, string> = {}) {
  const { verifier, challenge } = pkce();
  const query = new URLSearchParams({
    client_id: WEB.id, response_type: 'code', scope, redirect_uri: WEB.redirectUri,
    code_challenge: challenge, code_challenge_method: 'S256', state: randomBytes(8).toString('base64url'), ...extra,
  });
  return { path: `/auth?${query}`, verifier };
}

/**
 * Walks a browser from /auth to the client's redirect URI: follows redirects, fills in
 * the login form with the bench account and allows on the consent form. Returns the code.
 */
export async function authorize(browser: Browser, path: string): Promise<string> {
  let res = await browser.get(path);
  for (let step = 0; step < 12; step++) {
    const next = browser.location(res);
    if (next?.href.startsWith(WEB.redirectUri)) {
      const code = next.searchParams.get('code');
      if (!code) throw new Error(`authorization failed: ${next.search}`);
      return code;
    }
    if (next) { res = await browser.get(next.href); continue; }
    const action = /<form[^>]*action="([^"]*\/(?:login|confirm))"/.exec(res.text)?.[1];
    const csrf = /name="csrf" value="([^"]*)"/.exec(res.text)?.[1] ?? '';
    if (res.status !== 200 || !action) throw new Error(`sign-in stuck at HTTP ${res.status}: ${res.text.slice(0, 200)}`);
    res = action.endsWith('/login')
      ? await browser.post(action, { csrf, email: ACCOUNT.email, password: ACCOUNT.password })
      : await browser.post(action, { csrf, decision: 'allow' });
  }
  throw new Error('sign-in did not reach the redirect URI in 12 steps');
}

/** RFC 7009 revocation by the web client. Revoking a refresh token ends its whole grant. */
export async function revoke(http: HttpClient, token: string): Promise<void> {
  const res = await http.send('POST', '/token/revocation', { authorization: WEB.auth, 'content-type': FORM }, form({ token }));
  if (res.status !== 200) throw new Error(`revocation: HTTP ${res.status} ${res.text.slice(0, 160)}`);
}

/**
 * How many operations one grant (one person's consent to the app) sees before the bench
 * replaces it. Real grants hold a bounded number of tokens; an endless one would
 * measure the store's index size instead of the server: node-oidc-provider's memory
 * adapter rescans a grant's whole token index on each write, and in a test run the
 * baseline's refresh rate halved within 30 s.
 */
export const OPS_PER_GRANT = 100;

export async function redeem(http: HttpClient, code: string, verifier: string): Promise<TokenResponse> {
  const res = await tokenRequest(http, WEB.auth, {
    grant_type: 'authorization_code', code, redirect_uri: WEB.redirectUri, code_verifier: verifier,
  });
  return json<TokenResponse>(res, 'code redemption');
}
