import { getCACertificates, setDefaultCACertificates } from 'node:tls';

import { jest } from '@jest/globals';
import * as oidc from 'openid-client';
import {
  createLocalJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JSONWebKeySet, type JWK,
} from 'jose';

import { Browser } from '../support/browser.ts';
import { startAuthorization } from '../support/flows.ts';
import { oauthError, startTestServer, type TestServer } from '../support/gatehouse.ts';
import { httpsServer, selfSignedCertificate, sendJson, type HttpsServer } from '../support/tls.ts';
import { authorize, callbackParams, CB, codeFlow, platformKey } from './conformance-support.ts';

/**
 * The OpenID conformance suite's Dynamic OP plan (oidcc-dynamic-certification-test-plan:
 * dynamic registration, private_key_jwt, discovery), module by module, against a server
 * with open registration (REGISTRATION=open). Gatehouse cannot certify for this profile
 * by design (docs/conformance.md, "Dynamic OP"); the modules it passes are tested here,
 * and those it fails say why.
 */
describe('conformance: Dynamic OP', () => {
  let server: TestServer;
  let metadata: oidc.ServerMetadata;
  let key: { privateKey: CryptoKey; jwk: JWK };

  beforeAll(async () => {
    // Open registration has its own per-address quota; the suite registers a client per module.
    server = await startTestServer({ REGISTRATION: 'open', RATE_LIMIT_TIERS: 'registration:100/min:100' });
    const pair = await generateKeyPair('ES256');
    key = { privateKey: pair.privateKey, jwk: { ...await exportJWK(pair.publicKey), kid: 'rp-key-1', alg: 'ES256', use: 'sig' } };
    metadata = (await oidc.discovery(new URL(server.issuer), 'probe', undefined, undefined, { execute: [oidc.allowInsecureRequests] })).serverMetadata();
  });
  afterAll(() => server.close());

  /** RFC 7591 registration at the advertised endpoint; answers status and body. */
  async function register(body: Record<string, unknown>) {
    const res = await fetch(metadata.registration_endpoint!, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() as Record<string, any> };
  }

  /** What the suite registers: a private_key_jwt client with its public key inline, for the code flow. */
  async function registerRp(extra: Record<string, unknown> = {}, assertion: { aud?: string } = {}) {
    const registered = await register({
      client_name: 'conformance dynamic', redirect_uris: [CB], grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256', jwks: { keys: [key.jwk] },
      scope: 'openid profile email offline_access', ...extra,
    });
    expect(registered.status).toBe(201);
    const modify = assertion.aud === undefined ? {} : {
      [oidc.modifyAssertion]: (_header: Record<string, unknown>, payload: Record<string, unknown>) => { payload.aud = assertion.aud; },
    };
    const rp = await oidc.discovery(new URL(server.issuer), registered.body.client_id, undefined, oidc.PrivateKeyJwt({ key: key.privateKey, kid: 'rp-key-1' }, modify), {
      execute: [oidc.allowInsecureRequests],
    });
    return { rp, registered: registered.body };
  }

  test('oidcc-server: register (private_key_jwt, jwks), then the code flow end to end', async () => {
    const { rp, registered } = await registerRp();
    expect(registered).toMatchObject({ client_id: expect.any(String), token_endpoint_auth_method: 'private_key_jwt', redirect_uris: [CB] });
    expect(registered).not.toHaveProperty('client_secret');
    const { tokens, claims } = await codeFlow(rp, new Browser());
    expect(claims.aud).toBe(registered.client_id);
    expect((await oidc.fetchUserInfo(rp, tokens.access_token, claims.sub)).sub).toBe(claims.sub);
  });

  test('oidcc-idtoken-rs256: a client registered with id_token_signed_response_alg RS256 gets RS256 ID tokens', async () => {
    const { rp, registered } = await registerRp({ id_token_signed_response_alg: 'RS256' });
    const { tokens } = await codeFlow(rp, new Browser());
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('RS256');
    const jwks = await (await fetch(metadata.jwks_uri!)).json() as JSONWebKeySet;
    await expect(jwtVerify(tokens.id_token!, createLocalJWKSet(jwks), { issuer: server.issuer, audience: registered.client_id, algorithms: ['RS256'] }))
      .resolves.toBeDefined();
  });

  test('oidcc-idtoken-unsigned: not applicable: "none" is not offered, so the suite skips it', () => {
    expect(metadata.id_token_signing_alg_values_supported).not.toContain('none');
  });

  test('oidcc-userinfo-rs256: a client registered with userinfo_signed_response_alg RS256 gets its userinfo as an RS256 JWT', async () => {
    expect(metadata.userinfo_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS256']));
    const { rp, registered } = await registerRp({ userinfo_signed_response_alg: 'RS256' });
    expect(registered.userinfo_signed_response_alg).toBe('RS256');
    const { tokens, claims } = await codeFlow(rp, new Browser());
    // openid-client, told the client's registered algorithm, checks the JWT's signature, iss and aud.
    const signedRp = await oidc.discovery(new URL(server.issuer), registered.client_id, { userinfo_signed_response_alg: 'RS256' },
      oidc.PrivateKeyJwt({ key: key.privateKey, kid: 'rp-key-1' }), { execute: [oidc.allowInsecureRequests] });
    const info = await oidc.fetchUserInfo(signedRp, tokens.access_token, claims.sub);
    expect(info).toMatchObject({ sub: claims.sub, iss: server.issuer, aud: registered.client_id });
    const raw = await fetch(metadata.userinfo_endpoint!, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(raw.headers.get('content-type')).toMatch(/^application\/jwt/);
    expect(decodeProtectedHeader(await raw.text()).alg).toBe('RS256');
  });

  test('oidcc-userinfo-rs256: a client that registered no algorithm still gets JSON', async () => {
    const { rp } = await registerRp();
    const { tokens } = await codeFlow(rp, new Browser());
    const raw = await fetch(metadata.userinfo_endpoint!, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(raw.headers.get('content-type')).toMatch(/^application\/json/);
  });

  test('oidcc-ensure-redirect-uri-in-authorization-request: with two registered redirect URIs, a request without one gets an error page', async () => {
    const { rp } = await registerRp({ redirect_uris: [CB, 'https://rp.example/cb2'] });
    const start = await startAuthorization(rp, { scope: 'openid' });
    expect(start.url.searchParams.has('redirect_uri')).toBe(false);
    const res = await fetch(start.url, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain('redirect_uri');
  });

  describe('redirect URIs with a query (OIDC Core §3.1.2.1: compared exactly)', () => {
    const WITH_QUERY = `${CB}?foo=bar`;

    test('oidcc-redirect-uri-query-OK: the registered URI with its query works', async () => {
      const { rp } = await registerRp({ redirect_uris: [WITH_QUERY] });
      const flow = await authorize(rp, new Browser(), { scope: 'openid' }, { redirectUri: WITH_QUERY });
      const params = callbackParams(flow.page);
      expect(params).toMatchObject({ foo: 'bar', code: expect.any(String), state: flow.start.state, iss: server.issuer });
      // openid-client drops the callback's query from redirect_uri, so the token request is
      // made as the suite makes it, with the registered URI exactly.
      const assertion = await new SignJWT({ jti: crypto.randomUUID() }).setProtectedHeader({ alg: 'ES256', kid: 'rp-key-1' })
        .setIssuer(rp.clientMetadata().client_id).setSubject(rp.clientMetadata().client_id).setAudience(server.issuer)
        .setIssuedAt().setExpirationTime('1m').sign(key.privateKey);
      const res = await fetch(metadata.token_endpoint!, {
        method: 'POST', body: new URLSearchParams({
          grant_type: 'authorization_code', code: params.code!, redirect_uri: WITH_QUERY, code_verifier: flow.start.verifier,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion,
        }),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ access_token: expect.any(String), id_token: expect.any(String) });
    });

    test.each([
      ['oidcc-redirect-uri-query-mismatch', [WITH_QUERY], `${CB}?foo=zot`],
      ['oidcc-redirect-uri-query-added', [CB], `${CB}?foo=bar`],
    ])('%s: a different query gets an error page, never a redirect', async (_module, registeredUris, used) => {
      const { rp } = await registerRp({ redirect_uris: registeredUris });
      const start = await startAuthorization(rp, { scope: 'openid', redirect_uri: used });
      const res = await fetch(start.url, { redirect: 'manual', headers: { accept: 'text/html' } });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(await res.text()).toContain('invalid_redirect_uri');
    });
  });

  test('oidcc-redirect-uri-regfrag: a redirect URI with a fragment is refused at registration', async () => {
    const refused = await register({ redirect_uris: [`${CB}#frag`], token_endpoint_auth_method: 'none' });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_redirect_uri');
  });

  test('oidcc-discovery-endpoint-verification (dynamic variant): not applicable, by design: only the code response type is offered', () => {
    // OIDC Discovery §3 asks a Dynamic OP for code, id_token and "id_token token", and the
    // suite for the implicit grant; RFC 9700 §2.1.2 says not to use them.
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.grant_types_supported).not.toContain('implicit');
    expect(metadata.registration_endpoint).toBe(`${server.issuer}/reg`);
  });

  test.each([
    ['logo_uri', (url: string) => `<img class="client-logo" src="${url}"`],
    ['policy_uri', (url: string) => `<a href="${url}" target="_blank" rel="noopener noreferrer" id="client-policy">`],
    ['tos_uri', (url: string) => `<a href="${url}" target="_blank" rel="noopener noreferrer" id="client-tos">`],
  ] as const)('oidcc-registration-%s: the registered URL is shown on the login page', async (field, shown) => {
    const url = `https://rp.example/${field}`;
    const { rp, registered } = await registerRp({ [field]: url });
    expect(registered[field]).toBe(url);
    const flow = await authorize(rp, new Browser(), { scope: 'openid' }, { signIn: false });
    expect(flow.loginShown).toBe(true);
    expect(flow.page.html).toContain(shown(url));
    // The logo's origin is allowed as an image source on this page only (the CSP is otherwise 'self').
    const csp = flow.page.headers.get('content-security-policy')!;
    if (field === 'logo_uri') expect(csp).toContain("img-src 'self' data: https://rp.example;");
    else expect(csp).toContain("img-src 'self' data:;");
  });

  test.each(['oidcc-registration-sector-uri', 'oidcc-registration-sector-bad'])('%s: not applicable: no pairwise subjects, so the suite skips it', () => {
    expect(metadata.subject_types_supported).toEqual(['public']);
  });

  test('oidcc-server-rotate-keys: after a rotation the JWKS has a new signing key and still the old one', async () => {
    const jwks = async () => (await (await fetch(metadata.jwks_uri!)).json() as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    const before = await jwks();
    const res = await fetch(`${server.issuer}/api/v1/keys:rotate`, {
      method: 'POST', headers: { authorization: `Bearer ${await platformKey(server)}`, 'content-type': 'application/json' }, body: '{}',
    });
    expect(res.status).toBe(200);
    const after = await jwks();
    expect(after).toEqual(expect.arrayContaining(before));
    expect(after.filter((kid) => !before.includes(kid)).length).toBeGreaterThan(0);
    expect(new Set(after).size).toBe(after.length); // kids stay distinct (RFC 7517 §4.5)
  });

  test('oidcc-request-uri-unsigned: not applicable: "none" is not a request object algorithm here, so the suite skips it', () => {
    expect(metadata.request_object_signing_alg_values_supported ?? []).not.toContain('none');
  });

  test('oidcc-request-uri-signed-rs256: not applicable, by design: request_uri (outside PAR) is refused as request_uri_not_supported', async () => {
    const { rp } = await registerRp();
    const flow = await authorize(rp, new Browser(), { scope: 'openid', request_uri: 'https://rp.example/request.jwt' }, { signIn: false });
    expect(callbackParams(flow.page)).toMatchObject({ error: 'request_uri_not_supported', state: flow.start.state });
  });

  test('oidcc-ensure-request-object-with-redirect-uri: not applicable: no unsigned request objects, so the suite skips it', () => {
    expect(metadata.request_object_signing_alg_values_supported ?? []).not.toContain('none');
  });

  test('oidcc-refresh-token: with private_key_jwt, the refresh token works and is bound to its client', async () => {
    const { rp } = await registerRp();
    const { rp: other } = await registerRp();
    const first = await codeFlow(rp, new Browser(), { scope: 'openid offline_access', prompt: 'consent' });
    expect(await oauthError(oidc.refreshTokenGrant(other, first.tokens.refresh_token!))).toEqual({ status: 400, error: 'invalid_grant' });
    const refreshed = await oidc.refreshTokenGrant(rp, first.tokens.refresh_token!);
    expect(refreshed.claims()).toMatchObject({ iss: server.issuer, sub: first.claims.sub, aud: first.claims.aud });
  });

  test('oidcc-ensure-client-assertion-with-iss-aud-succeeds: a client assertion whose aud is the issuer is accepted', async () => {
    const { rp } = await registerRp({}, { aud: server.issuer });
    const { tokens } = await codeFlow(rp, new Browser());
    expect(tokens.access_token).toEqual(expect.any(String));
  });

  /**
   * The suite serves the RP's JWKS from its own host; here a relying party on the private
   * network does (an https listener on loopback, its certificate self-signed). Gatehouse
   * is set up as a deployment whose relying parties live there: CLIENT_URLS_ALLOW_PRIVATE,
   * and the RP's certificate added to the trusted ones, which is what NODE_EXTRA_CA_CERTS
   * does for a Gatehouse process (tls.setDefaultCACertificates here, in the test's own).
   */
  describe('the RP publishes its keys at a jwks_uri on a private network (CLIENT_URLS_ALLOW_PRIVATE)', () => {
    let privateServer: TestServer;
    let rpHost: HttpsServer;
    const defaultCas = getCACertificates('default');
    /** What the RP's jwks_uri serves now: its public keys. */
    let published: JWK[] = [];

    beforeAll(async () => {
      const tls = await selfSignedCertificate();
      setDefaultCACertificates([...defaultCas, tls.cert]);
      rpHost = await httpsServer(tls, (_req, res) => sendJson(res, { keys: published }));
      privateServer = await startTestServer({
        REGISTRATION: 'open', RATE_LIMIT_TIERS: 'registration:100/min:100', CLIENT_URLS_ALLOW_PRIVATE: 'true',
      });
    });
    afterAll(async () => {
      await privateServer.close();
      await rpHost.close();
      setDefaultCACertificates(defaultCas);
    });

    async function rpKey(kid: string) {
      const pair = await generateKeyPair('ES256');
      return { kid, privateKey: pair.privateKey, jwk: { ...await exportJWK(pair.publicKey), kid, alg: 'ES256', use: 'sig' } };
    }

    /** A private_key_jwt client registered with its jwks_uri (no inline jwks), as the suite registers it. */
    async function registerWithJwksUri(signing: { kid: string; privateKey: CryptoKey }) {
      const res = await fetch(`${privateServer.issuer}/reg`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({
          client_name: 'conformance jwks_uri', redirect_uris: [CB], grant_types: ['authorization_code', 'refresh_token'],
          token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256', jwks_uri: `${rpHost.origin}/jwks`,
          scope: 'openid profile email offline_access',
        }),
      });
      const registered = await res.json() as Record<string, any>;
      expect({ status: res.status, jwks_uri: registered.jwks_uri }).toEqual({ status: 201, jwks_uri: `${rpHost.origin}/jwks` });
      expect(registered).not.toHaveProperty('jwks');
      return { clientId: registered.client_id as string, rp: await rpSigningWith(registered.client_id, signing) };
    }

    /** The RP's openid-client configuration, signing its client assertions with `signing`. */
    function rpSigningWith(clientId: string, signing: { kid: string; privateKey: CryptoKey }) {
      return oidc.discovery(new URL(privateServer.issuer), clientId, undefined, oidc.PrivateKeyJwt({ key: signing.privateKey, kid: signing.kid }), {
        execute: [oidc.allowInsecureRequests],
      });
    }

    test('without CLIENT_URLS_ALLOW_PRIVATE (the default), a jwks_uri on the private network is refused at registration', async () => {
      const refused = await register({
        redirect_uris: [CB], token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `${rpHost.origin}/jwks`,
      });
      expect(refused).toEqual({
        status: 400, body: { error: 'invalid_client_metadata', error_description: 'jwks_uri: must not point to an internal address (loopback)' },
      });
    });

    test("oidcc-registration-jwks-uri: a client registered with a jwks_uri signs in; Gatehouse reads the RP's keys there", async () => {
      const signing = await rpKey('rp-uri-1');
      published = [signing.jwk];
      const before = rpHost.requests.length;
      const { clientId, rp } = await registerWithJwksUri(signing);
      const { tokens, claims } = await codeFlow(rp, new Browser());
      expect(claims.aud).toBe(clientId);
      expect(tokens.access_token).toEqual(expect.any(String));
      expect(rpHost.requests.slice(before)).toContain('/jwks');
    });

    test('oidcc-refresh-token-rp-key-rotation: after the RP rotates the key at its jwks_uri, a refresh signed with the new key works', async () => {
      const oldKey = await rpKey('rp-rotate-1');
      const newKey = await rpKey('rp-rotate-2');
      published = [oldKey.jwk];
      const { clientId, rp } = await registerWithJwksUri(oldKey);
      const first = await codeFlow(rp, new Browser(), { scope: 'openid offline_access', prompt: 'consent' });
      const refreshed = await oidc.refreshTokenGrant(rp, first.tokens.refresh_token!);
      expect(refreshed.claims()).toMatchObject({ sub: first.claims.sub, aud: clientId });

      // The RP rotates: only the new key, with a new kid, is published now.
      published = [newKey.jwk];
      const rotated = await rpSigningWith(clientId, newKey);
      // Gatehouse keeps a fetched JWKS for at least 60 s, so right away the new kid is unknown.
      expect(await oauthError(oidc.refreshTokenGrant(rotated, refreshed.refresh_token!))).toEqual({ status: 401, error: 'invalid_client' });

      // The suite waits 60 s before it uses the new key; the clock is moved on instead.
      const realNow = Date.now;
      const later = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 61_000);
      try {
        const fetchesBefore = rpHost.requests.length;
        const again = await oidc.refreshTokenGrant(rotated, refreshed.refresh_token!);
        expect(again.claims()).toMatchObject({ iss: privateServer.issuer, sub: first.claims.sub, aud: clientId });
        expect(rpHost.requests.length).toBeGreaterThan(fetchesBefore);
      } finally {
        later.mockRestore();
      }
    });
  });
});
