import * as oidc from 'openid-client';

import { Browser } from '../support/browser.ts';
import { clientFor, SECRETS, startTestServer, type TestServer } from '../support/gatehouse.ts';
import { consent, login, signIn, startAuthorization } from '../support/flows.ts';

const WEB_CB = 'https://app.example/cb';
const SPA_CB = 'https://spa.example/cb';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/**
 * What the token endpoint must refuse. The happy paths and the basic refusals (wrong
 * verifier, single-use code, parallel redemption) are in protocol-rules.test.ts and
 * sign-in.test.ts; these are the ways around them an attacker would try.
 */
describe('negative: codes, PKCE and refresh tokens', () => {
  let server: TestServer;
  let web: oidc.Configuration;
  let spa: oidc.Configuration;
  let rs: oidc.Configuration;

  beforeAll(async () => {
    server = await startTestServer();
    web = await clientFor(server, 'web');
    spa = await clientFor(server, 'spa', 'none');
    rs = await clientFor(server, 'resource-server');
  });
  afterAll(() => server.close());

  /** A code for `config`, as the browser brings it back, and the verifier it was made for. */
  async function codeFor(config: oidc.Configuration, redirectUri: string, params: Record<string, string> = {}) {
    const browser = new Browser();
    const start = await startAuthorization(config, { redirect_uri: redirectUri, ...params });
    let page = await browser.open(start.url.href, {}, redirectUri);
    page = await consent(browser, await login(browser, page, redirectUri), redirectUri);
    const code = new URL(page.url).searchParams.get('code');
    expect(code).toEqual(expect.any(String));
    return { code: code!, verifier: start.verifier, start, callback: new URL(page.url) };
  }

  /** A raw token request: openid-client will not send most of these. */
  async function token(params: Record<string, string>, authorization?: string) {
    const res = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
      body: new URLSearchParams(params),
    });
    return { status: res.status, body: await res.json() as Record<string, unknown> };
  }

  describe('PKCE (RFC 7636 §4.6)', () => {
    test('a code redeemed without its code_verifier is refused', async () => {
      const { code } = await codeFor(web, WEB_CB);
      const reply = await token({ grant_type: 'authorization_code', code, redirect_uri: WEB_CB }, basic('web', SECRETS.web));
      expect(reply.status).toBe(400);
      expect(reply.body.error).toBe('invalid_grant');
    });

    test('the code_challenge itself is not a verifier (no "plain" downgrade)', async () => {
      const { code, start } = await codeFor(web, WEB_CB);
      const challenge = new URL(start.url).searchParams.get('code_challenge')!;
      const reply = await token({ grant_type: 'authorization_code', code, redirect_uri: WEB_CB, code_verifier: challenge }, basic('web', SECRETS.web));
      expect(reply).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    });

    test('a verifier of the wrong shape (RFC 7636 §4.1: 43-128 unreserved characters) is refused', async () => {
      const { code } = await codeFor(web, WEB_CB);
      for (const verifier of ['short', `${'a'.repeat(42)}`, 'a'.repeat(129), `${'a'.repeat(42)}~%`, `${'a'.repeat(43)}\u0000`]) {
        const bad = await token({ grant_type: 'authorization_code', code, redirect_uri: WEB_CB, code_verifier: verifier }, basic('web', SECRETS.web));
        expect(bad.status).toBe(400);
        expect(['invalid_grant', 'invalid_request']).toContain(bad.body.error);
      }
    });
  });

  test("reusing a code revokes the access and refresh tokens issued from it", async () => {
    const { callback, start } = await codeFor(web, WEB_CB, { scope: 'openid offline_access', prompt: 'consent' });
    const checks = { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce };
    const tokens = await oidc.authorizationCodeGrant(web, callback, checks);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(await oidc.tokenIntrospection(rs, tokens.access_token)).toMatchObject({ active: true });

    await expect(oidc.authorizationCodeGrant(web, callback, checks)).rejects.toMatchObject({ error: 'invalid_grant' });

    expect(await oidc.tokenIntrospection(web, tokens.access_token)).toEqual({ active: false });
    expect(await oidc.tokenIntrospection(web, tokens.refresh_token!)).toEqual({ active: false });
    await expect(oidc.refreshTokenGrant(web, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  describe("another client's credentials are invalid_grant (RFC 6749 §4.1.3, §6)", () => {
    test("a confidential client redeeming another client's code", async () => {
      const { code, verifier } = await codeFor(web, WEB_CB);
      const reply = await token(
        { grant_type: 'authorization_code', code, redirect_uri: WEB_CB, code_verifier: verifier }, basic('narrow', SECRETS.narrow),
      );
      expect(reply).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    });

    test("a public client redeeming a confidential client's code", async () => {
      const { code, verifier } = await codeFor(web, WEB_CB);
      const reply = await token({ grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: WEB_CB, code_verifier: verifier });
      expect(reply).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    });

    test("a confidential client redeeming a public client's code", async () => {
      const { code, verifier } = await codeFor(spa, SPA_CB);
      const reply = await token({ grant_type: 'authorization_code', code, redirect_uri: SPA_CB, code_verifier: verifier }, basic('web', SECRETS.web));
      expect(reply).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    });

    test("a client using another client's refresh token", async () => {
      const { tokens } = await signIn(web, WEB_CB, { scope: 'openid offline_access', prompt: 'consent' });
      await expect(oidc.refreshTokenGrant(spa, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
      const { tokens: spaTokens } = await signIn(spa, SPA_CB, { scope: 'openid offline_access', prompt: 'consent' });
      await expect(oidc.refreshTokenGrant(web, spaTokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    });
  });

  test('a refresh may narrow the scope but never widen it beyond the grant (RFC 6749 §6)', async () => {
    const { tokens } = await signIn(web, WEB_CB, { scope: 'openid offline_access', prompt: 'consent' });
    // `profile` is registered for the client but was not granted by this sign-in.
    await expect(oidc.refreshTokenGrant(web, tokens.refresh_token!, { scope: 'openid offline_access profile' }))
      .rejects.toMatchObject({ error: 'invalid_scope' });
    await expect(oidc.refreshTokenGrant(web, tokens.refresh_token!, { scope: 'openid offline_access api:write' }))
      .rejects.toMatchObject({ error: 'invalid_scope' });
    const narrowed = await oidc.refreshTokenGrant(web, tokens.refresh_token!, { scope: 'openid' });
    expect(narrowed.scope).toBe('openid');
  });
});
