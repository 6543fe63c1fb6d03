import * as oidc from 'openid-client';
import { decodeProtectedHeader } from 'jose';

import { Browser } from '../support/browser.ts';
import { ADA, clientFor, startTestServer, type TestServer } from '../support/gatehouse.ts';
import { consent, login, signIn, startAuthorization } from '../support/flows.ts';

const WEB_CB = 'https://app.example/cb';

describe.each([
  ['memory', {}],
  ['redis', () => ({ REDIS_URL: process.env.REDIS_URL! })],
] as const)('sign in an app (authorization code + PKCE + OIDC), sessions and tokens in %s', (_name, env) => {
  let server: TestServer;
  let web: oidc.Configuration;

  beforeAll(async () => {
    server = await startTestServer(typeof env === 'function' ? env() : env);
    web = await clientFor(server, 'web');
  });
  afterAll(() => server.close());

  test('login, consent, code with iss, tokens, ES256 ID token, userinfo', async () => {
    const { tokens, callback } = await signIn(web, WEB_CB, { scope: 'openid profile email' });

    // RFC 9207: the authorization response names the issuer.
    expect(callback.searchParams.get('iss')).toBe(server.issuer);
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.refresh_token).toBeUndefined(); // no offline_access asked
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('ES256');

    const claims = tokens.claims()!;
    expect(claims.iss).toBe(server.issuer);
    expect(claims.aud).toBe('web');
    const account = await server.stores.accounts.findByEmail(ADA.email);
    expect(claims.sub).toBe(account!.id);

    const userinfo = await oidc.fetchUserInfo(web, tokens.access_token, claims.sub);
    expect(userinfo).toMatchObject({ sub: account!.id, name: ADA.name, email: ADA.email, email_verified: false });
  });

  test('prompt=login with consent asks for the password once, then consent, then returns to the app', async () => {
    const browser = new Browser();
    await signIn(web, WEB_CB, { scope: 'openid' }, browser);
    const start = await startAuthorization(web, { redirect_uri: WEB_CB, scope: 'openid profile', prompt: 'login' });
    let page = await browser.open(start.url.href, {}, WEB_CB);
    expect(page.html).toMatch(/action="[^"]*\/login"/);
    page = await login(browser, page, WEB_CB);
    expect(page.html).toMatch(/action="[^"]*\/confirm"/);
    page = await consent(browser, page, WEB_CB);
    expect(page.url.startsWith(WEB_CB)).toBe(true);
    expect(new URL(page.url).searchParams.get('code')).toEqual(expect.any(String));
  });

  test('refresh tokens with offline_access rotate; a reused one revokes the grant', async () => {
    const { tokens } = await signIn(web, WEB_CB, { scope: 'openid offline_access', prompt: 'consent' });
    const first = tokens.refresh_token!;
    expect(first).toEqual(expect.any(String));

    const second = await oidc.refreshTokenGrant(web, first);
    expect(second.refresh_token).toEqual(expect.any(String));
    expect(second.refresh_token).not.toBe(first);

    // Presenting the already-used first token is a replay: invalid_grant ...
    await expect(oidc.refreshTokenGrant(web, first)).rejects.toMatchObject({ error: 'invalid_grant' });
    // ... and the whole grant is gone, so the newest refresh token dies too.
    await expect(oidc.refreshTokenGrant(web, second.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  test('N parallel uses of one refresh token give exactly one success', async () => {
    const { tokens } = await signIn(web, WEB_CB, { scope: 'openid offline_access', prompt: 'consent' });
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => oidc.refreshTokenGrant(web, tokens.refresh_token!)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const failed of results.filter((r) => r.status === 'rejected')) {
      expect((failed as PromiseRejectedResult).reason).toMatchObject({ error: 'invalid_grant' });
    }
  });

  test('N parallel redemptions of one code give exactly one success', async () => {
    const browser = new Browser();
    const start = await startAuthorization(web, { redirect_uri: WEB_CB });
    let page = await browser.open(start.url.href, {}, WEB_CB);
    page = await consent(browser, await login(browser, page, WEB_CB), WEB_CB);
    const code = new URL(page.url).searchParams.get('code')!;

    const basic = `Basic ${Buffer.from(`web:${encodeURIComponent('web-secret-for-tests-only-0123456789')}`).toString('base64')}`;
    const redeem = () => fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: WEB_CB, code_verifier: start.verifier }),
    }).then(async (res) => ({ status: res.status, body: await res.json() as Record<string, unknown> }));

    const results = await Promise.all(Array.from({ length: 12 }, redeem));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const failed of results.filter((r) => r.status !== 200)) {
      expect(failed).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    }
  });
});
