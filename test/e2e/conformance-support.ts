import * as oidc from 'openid-client';

import { ADMIN_SCOPES } from '../../src/admin/scopes.ts';
import { Browser, type Page } from '../support/browser.ts';
import { consent, login, startAuthorization, type AuthorizationStart } from '../support/flows.ts';
import type { TestServer } from '../support/gatehouse.ts';

/**
 * Shared steps of the conformance-plan tests (conformance-*.test.ts). Each test there is
 * named after an OpenID conformance suite module and asserts that module's pass
 * condition black-box; docs/conformance.md maps modules to tests.
 *
 * One difference from the suite runs through all of them: Gatehouse requires PKCE S256
 * of every client (RFC 9700 §2.1.1), and the suite sends it only in
 * oidcc-ensure-request-with-valid-pkce-succeeds. These tests send it everywhere; see
 * docs/conformance.md, "PKCE".
 */

export const CB = 'https://rp.example/cb';
export const POST_LOGOUT = 'https://rp.example/post_logout_redirect';

/** A platform API key (every admin scope), for registering the tests' own clients. */
export async function platformKey(server: TestServer): Promise<string> {
  return (await server.apiKeys.issue({ name: 'conformance', scopes: [...ADMIN_SCOPES] }, {
    owner: { type: 'account', id: 'platform-admin' }, allowedScopes: ADMIN_SCOPES,
  })).key;
}

/** Registers a client through the admin API (the suite's "static client"); answers status and body. */
export async function registerClient(server: TestServer, key: string, body: Record<string, unknown>) {
  const res = await fetch(`${server.issuer}/api/v1/clients`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() as Record<string, any> };
}

/** A registered client as openid-client sees it, through discovery. */
export async function rpFor(
  server: TestServer, clientId: string, secret: string | undefined, auth: 'basic' | 'post' | 'none' = 'basic',
): Promise<oidc.Configuration> {
  const method = auth === 'none' ? oidc.None() : auth === 'post' ? oidc.ClientSecretPost(secret) : oidc.ClientSecretBasic(secret);
  return oidc.discovery(new URL(server.issuer), clientId, secret, method, { execute: [oidc.allowInsecureRequests] });
}

/**
 * The browser's side of one authorization request: follows it, signs in as Ada if asked
 * (`signIn: true`), gives consent if asked, and stops at the redirect_uri. `page` is
 * where it stopped: the callback, or a page of ours (an error, or a login the test did
 * not want answered).
 */
export async function authorize(
  rp: oidc.Configuration, browser: Browser, params: Record<string, string>, options: { signIn?: boolean; redirectUri?: string } = {},
): Promise<{ start: AuthorizationStart; page: Page; loginShown: boolean }> {
  const redirectUri = options.redirectUri ?? CB;
  const start = await startAuthorization(rp, { redirect_uri: redirectUri, ...params });
  return { start, ...await follow(browser, start.url.href, redirectUri, options) };
}

/** Opens an authorization request (a URL, or a POST of its parameters) and plays the person's part, as `authorize` does. */
export async function follow(
  browser: Browser, url: string, redirectUri: string, options: { signIn?: boolean; init?: RequestInit } = {},
): Promise<{ page: Page; loginShown: boolean }> {
  let page = await browser.open(url, options.init ?? {}, redirectUri);
  const loginShown = isLoginPage(page);
  if (loginShown && options.signIn !== false) page = await login(browser, page, redirectUri);
  if (!page.url.startsWith(redirectUri) && /\/confirm"/.test(page.html)) page = await consent(browser, page, redirectUri);
  return { page, loginShown };
}

export const isLoginPage = (page: Page) => /name="password"/.test(page.html);

/** Redeems the code an authorization ended with; openid-client validates the ID token (iss, aud, exp, iat, nonce). */
export function redeem(rp: oidc.Configuration, flow: { start: AuthorizationStart; page: Page }, checks: { nonce?: string | false } = {}) {
  return oidc.authorizationCodeGrant(rp, new URL(flow.page.url), {
    pkceCodeVerifier: flow.start.verifier, expectedState: flow.start.state,
    ...(checks.nonce === false ? {} : { expectedNonce: checks.nonce ?? flow.start.nonce }),
  });
}

/** A full authorization + token request: what most modules do first. */
export async function codeFlow(rp: oidc.Configuration, browser: Browser, params: Record<string, string> = {}, redirectUri = CB) {
  const flow = await authorize(rp, browser, { scope: 'openid', ...params }, { redirectUri });
  const tokens = await redeem(rp, flow);
  return { ...flow, tokens, claims: tokens.claims()! };
}

/** The query of the callback an authorization ended with (code, state, iss, or error). */
export const callbackParams = (page: Page) => Object.fromEntries(new URL(page.url).searchParams);

/** Moves the browser's session login back by `seconds`, as if it had happened then (instead of sleeping). */
export async function ageSession(server: TestServer, browser: Browser, seconds: number): Promise<void> {
  const sessions = server.stores.adapter('Session');
  const id = browser.cookies.get('_session')!;
  const stored = await sessions.find(id);
  if (typeof stored?.loginTs !== 'number') throw new Error('no signed-in session in this browser');
  await sessions.upsert(id, { ...stored, loginTs: stored.loginTs - seconds }, 3600);
}
