import * as oidc from 'openid-client';

import { Browser, type Page } from './browser.ts';
import { ADA } from './gatehouse.ts';

export interface AuthorizationStart {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

export async function startAuthorization(
  config: oidc.Configuration, params: Record<string, string>,
): Promise<AuthorizationStart> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    state, nonce, ...params,
  });
  return { url, verifier, state, nonce };
}

/** Submits the login form on `page` and returns the page the browser lands on. */
export function login(browser: Browser, page: Page, stopAt: string, credentials = ADA): Promise<Page> {
  return browser.submit(page, /\/login$/, { email: credentials.email, password: credentials.password }, stopAt);
}

/** Answers the consent page (if shown) with `decision`. */
export async function consent(browser: Browser, page: Page, stopAt: string, decision: 'allow' | 'deny' = 'allow'): Promise<Page> {
  if (page.url.startsWith(stopAt)) return page;
  return browser.submit(page, /\/confirm$/, { decision }, stopAt);
}

/**
 * Runs the whole authorization code + PKCE flow as a person would (login, consent) and
 * redeems the code with openid-client. Returns the tokens and the callback URL.
 */
export async function signIn(
  config: oidc.Configuration, redirectUri: string, params: Record<string, string> = {}, browser = new Browser(),
  tokenParams: Record<string, string> = {},
) {
  const start = await startAuthorization(config, { redirect_uri: redirectUri, ...params });
  let page = await browser.open(start.url.href, {}, redirectUri);
  if (!page.url.startsWith(redirectUri)) page = await login(browser, page, redirectUri);
  page = await consent(browser, page, redirectUri);
  const callback = new URL(page.url);
  const tokens = await oidc.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce,
  }, tokenParams);
  return { tokens, callback, browser, start };
}
