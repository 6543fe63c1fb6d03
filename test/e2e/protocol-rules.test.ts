import * as oidc from 'openid-client';

import { Browser } from '../support/browser.ts';
import { clientFor, oauthError, startTestServer, type TestServer } from '../support/gatehouse.ts';
import { consent, login, signIn, startAuthorization } from '../support/flows.ts';

const WEB_CB = 'https://app.example/cb';

describe('protocol rules', () => {
  let server: TestServer;
  let web: oidc.Configuration;

  beforeAll(async () => {
    server = await startTestServer();
    web = await clientFor(server, 'web');
  });
  afterAll(() => server.close());

  /** Opens an authorization URL built by hand and returns where the browser ends up. */
  async function authorize(params: Record<string, string>, redirectUri = WEB_CB) {
    const url = new URL(`${server.issuer}/auth`);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return new Browser().open(url.href, {}, redirectUri);
  }
  const base = { client_id: 'web', redirect_uri: WEB_CB, scope: 'openid', state: 'xyz' };
  const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

  test('discovery advertises only the code flow, S256 PKCE, iss in responses, ES256 and RS256', async () => {
    const meta = web.serverMetadata();
    expect(meta.response_types_supported).toEqual(['code']);
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']));
    expect(meta.grant_types_supported).not.toContain('password');
    expect(meta.grant_types_supported).not.toContain('implicit');
    expect(meta.authorization_response_iss_parameter_supported).toBe(true);
    expect(meta.id_token_signing_alg_values_supported).toEqual(['ES256', 'RS256', 'EdDSA']);
    expect(meta.token_endpoint_auth_methods_supported).not.toContain('client_secret_jwt');

    const jwks = await (await fetch(meta.jwks_uri!)).json() as { keys: Array<Record<string, unknown>> };
    // The signing keys first, then the next ones, published before they sign (verify only).
    expect(jwks.keys.map((k) => `${k.alg} ${JSON.stringify(k.key_ops ?? null)}`))
      .toEqual(['ES256 null', 'RS256 null', 'EdDSA null', 'ES256 ["verify"]', 'RS256 ["verify"]', 'EdDSA ["verify"]']);
    for (const key of jwks.keys) expect(key).not.toHaveProperty('d');
  });

  test.each(['token', 'id_token', 'code id_token', 'code token'])('response_type=%s is refused', async (responseType) => {
    const page = await authorize({ ...base, response_type: responseType, code_challenge: challenge, code_challenge_method: 'S256' });
    const url = new URL(page.url);
    // The redirect_uri is registered, so the error goes back to it (RFC 6749 §4.1.2.1).
    expect(url.origin + url.pathname).toBe(WEB_CB);
    const params = new URLSearchParams(url.hash ? url.hash.slice(1) : url.search);
    expect(params.get('error')).toBe('unsupported_response_type');
  });

  test('PKCE is required for a confidential client, and plain is refused', async () => {
    const missing = new URL((await authorize({ ...base, response_type: 'code' })).url);
    expect(missing.searchParams.get('error')).toBe('invalid_request');
    expect(missing.searchParams.get('error_description')).toMatch(/PKCE/);

    const plain = new URL((await authorize({ ...base, response_type: 'code', code_challenge: challenge, code_challenge_method: 'plain' })).url);
    expect(plain.searchParams.get('error')).toBe('invalid_request');
    expect(plain.searchParams.get('error_description')).toMatch(/code_challenge_method/);
  });

  test('PKCE is required for a public client too', async () => {
    const page = await authorize({ ...base, client_id: 'spa', redirect_uri: 'https://spa.example/cb', response_type: 'code' }, 'https://spa.example/cb');
    const url = new URL(page.url);
    expect(url.searchParams.get('error')).toBe('invalid_request');
    expect(url.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  test('no refresh token for a client without the refresh_token grant, even with offline_access', async () => {
    const narrow = await clientFor(server, 'narrow');
    const { tokens } = await signIn(narrow, 'https://narrow.example/cb', { scope: 'openid offline_access', prompt: 'consent' });
    expect(tokens.scope).toBe('openid');
    expect(tokens.refresh_token).toBeUndefined();
  });

  test.each([
    ['an unregistered redirect_uri', 'https://evil.example/cb'],
    ['a redirect_uri that only shares a prefix', 'https://app.example/cb/extra'],
    ['a redirect_uri with an extra query', 'https://app.example/cb?x=1'],
  ])('%s gets an error page (400), never a redirect', async (_label, redirectUri) => {
    const res = await fetch(`${server.issuer}/auth?${new URLSearchParams({
      ...base, redirect_uri: redirectUri, response_type: 'code', code_challenge: challenge, code_challenge_method: 'S256',
    })}`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    const html = await res.text();
    expect(html).toContain('invalid_redirect_uri');
    expect(html).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });

  test('a code is single use: the second redemption is invalid_grant and revokes the first tokens', async () => {
    const browser = new Browser();
    const start = await startAuthorization(web, { redirect_uri: WEB_CB });
    let page = await browser.open(start.url.href, {}, WEB_CB);
    page = await consent(browser, await login(browser, page, WEB_CB), WEB_CB);
    const callback = new URL(page.url);
    const checks = { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce };

    const tokens = await oidc.authorizationCodeGrant(web, callback, checks);
    await expect(oidc.authorizationCodeGrant(web, callback, checks)).rejects.toMatchObject({ error: 'invalid_grant' });

    const rs = await clientFor(server, 'resource-server');
    expect(await oidc.tokenIntrospection(rs, tokens.access_token)).toMatchObject({ active: false });
  });

  test('codes live 60 seconds', async () => {
    const browser = new Browser();
    const start = await startAuthorization(web, { redirect_uri: WEB_CB });
    let page = await browser.open(start.url.href, {}, WEB_CB);
    page = await consent(browser, await login(browser, page, WEB_CB), WEB_CB);
    const code = new URL(page.url).searchParams.get('code')!;
    const stored = await server.stores.adapter('AuthorizationCode').find(code);
    expect(stored!.exp! - stored!.iat!).toBe(60);
  });

  test('a scope outside the client\'s registered scope is invalid_scope, not silently narrowed', async () => {
    const narrow = await clientFor(server, 'narrow');
    const start = await startAuthorization(narrow, { redirect_uri: 'https://narrow.example/cb', scope: 'openid profile' });
    const page = await new Browser().open(start.url.href, {}, 'https://narrow.example/cb');
    const url = new URL(page.url);
    expect(url.searchParams.get('error')).toBe('invalid_scope');
  });

  test('a wrong client secret is 401 invalid_client', async () => {
    const wrong = await clientFor(server, 'web', 'basic', 'not-the-secret');
    const browser = new Browser();
    const start = await startAuthorization(web, { redirect_uri: WEB_CB });
    let page = await browser.open(start.url.href, {}, WEB_CB);
    page = await consent(browser, await login(browser, page, WEB_CB), WEB_CB);
    expect(await oauthError(oidc.authorizationCodeGrant(wrong, new URL(page.url), {
      pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce,
    }))).toEqual({ status: 401, error: 'invalid_client' });
  });

  test('a wrong code_verifier is invalid_grant', async () => {
    const browser = new Browser();
    const start = await startAuthorization(web, { redirect_uri: WEB_CB });
    let page = await browser.open(start.url.href, {}, WEB_CB);
    page = await consent(browser, await login(browser, page, WEB_CB), WEB_CB);
    await expect(oidc.authorizationCodeGrant(web, new URL(page.url), {
      pkceCodeVerifier: oidc.randomPKCECodeVerifier(), expectedState: start.state, expectedNonce: start.nonce,
    })).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  test('a public client signs in with PKCE and no secret', async () => {
    const spa = await clientFor(server, 'spa', 'none');
    const { tokens } = await signIn(spa, 'https://spa.example/cb', { scope: 'openid profile' });
    expect(tokens.claims()!.aud).toBe('spa');
  });
});

describe('protocol rules: PKCE_REQUIRED=public', () => {
  let server: TestServer;
  let web: oidc.Configuration;

  beforeAll(async () => {
    server = await startTestServer({ PKCE_REQUIRED: 'public' });
    web = await clientFor(server, 'web');
  });
  afterAll(() => server.close());

  /** The person's part of a sign-in to `web`, with the given request; returns the callback URL. */
  async function callbackFor(params: Record<string, string>, browser = new Browser()) {
    const url = oidc.buildAuthorizationUrl(web, { redirect_uri: WEB_CB, scope: 'openid', ...params });
    let page = await browser.open(url.href, {}, WEB_CB);
    if (!page.url.startsWith(WEB_CB)) page = await consent(browser, await login(browser, page, WEB_CB), WEB_CB);
    return new URL(page.url);
  }

  test('a confidential client may sign in without PKCE', async () => {
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const callback = await callbackFor({ state, nonce });
    expect(callback.searchParams.get('code')).toEqual(expect.any(String));
    const tokens = await oidc.authorizationCodeGrant(web, callback, { expectedState: state, expectedNonce: nonce });
    expect(tokens.claims()).toMatchObject({ aud: 'web', nonce });
  });

  test('a challenge the confidential client sent is still checked: no verifier, or a wrong one, is invalid_grant', async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const challenge = await oidc.calculatePKCECodeChallenge(verifier);
    for (const sent of [undefined, oidc.randomPKCECodeVerifier()]) {
      const state = oidc.randomState();
      const callback = await callbackFor({ state, code_challenge: challenge, code_challenge_method: 'S256' });
      await expect(oidc.authorizationCodeGrant(web, callback, { expectedState: state, ...(sent && { pkceCodeVerifier: sent }) }))
        .rejects.toMatchObject({ error: 'invalid_grant' });
    }
  });

  test('a verifier for a request that had no challenge is invalid_grant (no PKCE downgrade)', async () => {
    const state = oidc.randomState();
    const callback = await callbackFor({ state });
    await expect(oidc.authorizationCodeGrant(web, callback, { expectedState: state, pkceCodeVerifier: oidc.randomPKCECodeVerifier() }))
      .rejects.toMatchObject({ error: 'invalid_grant' });
  });

  test('a public client must still use PKCE', async () => {
    const page = await new Browser().open(`${server.issuer}/auth?${new URLSearchParams({
      client_id: 'spa', redirect_uri: 'https://spa.example/cb', response_type: 'code', scope: 'openid', state: 's',
    })}`, {}, 'https://spa.example/cb');
    const url = new URL(page.url);
    expect(url.searchParams.get('error')).toBe('invalid_request');
    expect(url.searchParams.get('error_description')).toMatch(/PKCE/);
  });
});
