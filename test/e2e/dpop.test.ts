import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTHeaderParameters,
} from 'jose';
import * as oidc from 'openid-client';

import { Browser } from '../support/browser.ts';
import { consent, login, startAuthorization } from '../support/flows.ts';
import { clientFor, oauthError, SECRETS, SEED_PATH, startTestServer, type TestServer } from '../support/gatehouse.ts';

const ORDERS = 'https://orders.example/api';
const SPA_CB = 'https://spa.example/cb';

interface KeyPair { privateKey: CryptoKey; publicKey: CryptoKey }
const newKey = (alg = 'ES256') => generateKeyPair(alg, { extractable: true }) as Promise<KeyPair>;
const thumbprintOf = async (key: KeyPair) => calculateJwkThumbprint(await exportJWK(key.publicKey));
const now = () => Math.floor(Date.now() / 1000);
const ath = (token: string) => createHash('sha256').update(token).digest('base64url');
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const basic = (id: keyof typeof SECRETS) => `Basic ${Buffer.from(`${id}:${SECRETS[id]}`).toString('base64')}`;

/** A DPoP proof made by hand, so each test can get one thing wrong (RFC 9449 §4.2). */
async function proof(key: KeyPair, claims: Record<string, unknown>, header: Partial<JWTHeaderParameters> = {}): Promise<string> {
  return new SignJWT({ jti: randomUUID(), iat: now(), ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(key.publicKey), ...header })
    .sign(key.privateKey);
}

/** The test seed plus `clients`, written to a file of its own. */
async function seedWith(clients: object[]): Promise<string> {
  const seed = JSON.parse(await readFile(SEED_PATH, 'utf8')) as { clients: object[] };
  seed.clients.push(...clients);
  const path = join(await mkdtemp(join(tmpdir(), 'gatehouse-dpop-')), 'seed.json');
  await writeFile(path, JSON.stringify(seed));
  return path;
}

describe('DPoP: sender-constrained tokens (RFC 9449)', () => {
  let server: TestServer;
  let service: oidc.Configuration;
  let rs: oidc.Configuration;

  beforeAll(async () => {
    server = await startTestServer({
      GATEHOUSE_SEED: await seedWith([{
        client_id: 'dpop-only', client_secret: 'dpop-only-secret-for-tests-only-0123456', client_name: 'DPoP only',
        grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', scope: 'api:read',
        dpop_bound_access_tokens: true,
      }]),
    });
    service = await clientFor(server, 'service');
    rs = await clientFor(server, 'resource-server');
  });
  afterAll(() => server.close());

  /** POST /token for the `service` client with client credentials and the given DPoP header. */
  const tokenRequest = (dpop: string | undefined, client: keyof typeof SECRETS = 'service') => fetch(`${server.issuer}/token`, {
    method: 'POST',
    headers: { authorization: basic(client), 'content-type': 'application/x-www-form-urlencoded', ...(dpop === undefined ? {} : { dpop }) },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api:read' }),
  });
  const errorOf = async (res: Response) => ({ status: res.status, ...(await res.json() as { error: string }) });

  test('discovery advertises the proof algorithms', async () => {
    const metadata = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(metadata.dpop_signing_alg_values_supported).toEqual(['ES256', 'Ed25519', 'EdDSA']);
  });

  test('a client credentials token requested with a proof is DPoP-bound; introspection shows cnf.jkt', async () => {
    const key = await oidc.randomDPoPKeyPair();
    const tokens = await oidc.clientCredentialsGrant(service, { scope: 'api:read' }, { DPoP: oidc.getDPoPHandle(service, key) });
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    expect(await oidc.tokenIntrospection(rs, tokens.access_token)).toMatchObject({
      active: true, token_type: 'DPoP', cnf: { jkt: await thumbprintOf(key) },
    });
  });

  test('a JWT access token carries cnf.jkt, and introspection passes it on', async () => {
    const key = await oidc.randomDPoPKeyPair();
    const tokens = await oidc.clientCredentialsGrant(service, { scope: 'api:read', resource: ORDERS }, { DPoP: oidc.getDPoPHandle(service, key) });
    const jkt = await thumbprintOf(key);
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt });
    expect(await oidc.tokenIntrospection(rs, tokens.access_token)).toMatchObject({ active: true, aud: ORDERS, token_type: 'DPoP', cnf: { jkt } });
  });

  test('a client registered with dpop_bound_access_tokens gets nothing without a proof', async () => {
    const request = (dpop?: string) => fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('dpop-only:dpop-only-secret-for-tests-only-0123456').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded', ...(dpop ? { dpop } : {}),
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api:read' }),
    });
    // The provider words every invalid_grant alike ("grant request is invalid"); the code says it.
    expect(await errorOf(await request())).toMatchObject({ status: 400, error: 'invalid_grant' });
    const withProof = await request(await proof(await newKey(), { htm: 'POST', htu: `${server.issuer}/token` }));
    expect(await withProof.json()).toMatchObject({ token_type: 'DPoP' });
  });

  describe('proofs the token endpoint refuses (RFC 9449 §4.3)', () => {
    let key: KeyPair;
    let htu: string;
    beforeAll(async () => {
      key = await newKey();
      htu = `${server.issuer}/token`;
    });

    test('a well-formed proof passes (the control)', async () => {
      const res = await tokenRequest(await proof(key, { htm: 'POST', htu }));
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ token_type: 'DPoP' });
    });

    test.each([
      ['no htm', (token: string) => ({ htu: token }), 'DPoP proof htm mismatch'],
      ['another htm', (token: string) => ({ htm: 'GET', htu: token }), 'DPoP proof htm mismatch'],
      ['no htu', () => ({ htm: 'POST' }), 'DPoP proof htu mismatch'],
      ['another htu', () => ({ htm: 'POST', htu: 'https://elsewhere.example/token' }), 'DPoP proof htu mismatch'],
      ['the userinfo URL as htu', (token: string) => ({ htm: 'POST', htu: token.replace(/\/token$/, '/me') }), 'DPoP proof htu mismatch'],
      ['no jti', (token: string) => ({ htm: 'POST', htu: token, jti: undefined }), 'DPoP proof must have a jti string property'],
    ])('%s: 400 invalid_dpop_proof', async (_name, claims, description) => {
      expect(await errorOf(await tokenRequest(await proof(key, claims(htu))))).toEqual({
        status: 400, error: 'invalid_dpop_proof', error_description: description,
      });
    });

    test('a stale or future iat is refused, and the client is told a nonce to use instead (§8)', async () => {
      for (const iat of [now() - 600, now() + 600]) {
        const res = await tokenRequest(await proof(key, { htm: 'POST', htu, iat }));
        expect(await errorOf(res)).toEqual({
          status: 400, error: 'use_dpop_nonce', error_description: 'DPoP proof iat is not recent enough, use a DPoP nonce instead',
        });
        const nonce = res.headers.get('dpop-nonce');
        expect(nonce).toMatch(/^[\w-]{43}$/);
        // With the server's nonce the proof is fresh, whatever its clock says (§8.2).
        expect((await tokenRequest(await proof(key, { htm: 'POST', htu, iat, nonce }))).status).toBe(200);
      }
    });

    test('a made-up nonce is refused with a fresh one', async () => {
      const res = await tokenRequest(await proof(key, { htm: 'POST', htu, nonce: randomBytes(32).toString('base64url') }));
      expect(await errorOf(res)).toEqual({ status: 400, error: 'use_dpop_nonce', error_description: 'invalid nonce in DPoP proof' });
      expect(res.headers.get('dpop-nonce')).toMatch(/^[\w-]{43}$/);
    });

    test('a proof is single use: its jti is refused the second time', async () => {
      const once = await proof(key, { htm: 'POST', htu });
      expect((await tokenRequest(once)).status).toBe(200);
      // node-oidc-provider answers a replayed proof at the token endpoint as invalid_grant.
      expect(await errorOf(await tokenRequest(once))).toMatchObject({ status: 400, error: 'invalid_grant' });
    });

    test('alg "none" is refused', async () => {
      const header = { alg: 'none', typ: 'dpop+jwt', jwk: await exportJWK(key.publicKey) };
      const unsigned = `${b64(header)}.${b64({ jti: randomUUID(), iat: now(), htm: 'POST', htu })}.`;
      expect(await errorOf(await tokenRequest(unsigned))).toEqual({
        status: 400, error: 'invalid_dpop_proof', error_description: 'invalid DPoP key binding',
      });
    });

    test('an HMAC-signed proof is refused (only asymmetric algorithms)', async () => {
      const secret = new Uint8Array(randomBytes(32));
      const symmetric: JWK = { kty: 'oct', k: Buffer.from(secret).toString('base64url') };
      const hmac = await new SignJWT({ jti: randomUUID(), iat: now(), htm: 'POST', htu })
        .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: symmetric })
        .sign(secret);
      expect(await errorOf(await tokenRequest(hmac))).toMatchObject({ status: 400, error: 'invalid_dpop_proof' });
    });

    test('a private key in the jwk header is refused', async () => {
      const withPrivate = await proof(key, { htm: 'POST', htu }, { jwk: await exportJWK(key.privateKey) });
      expect(await errorOf(await tokenRequest(withPrivate))).toEqual({
        status: 400, error: 'invalid_dpop_proof', error_description: 'invalid DPoP key binding',
      });
    });

    test('a proof signed by another key than the one in its header is refused', async () => {
      const other = await newKey();
      const forged = await new SignJWT({ jti: randomUUID(), iat: now(), htm: 'POST', htu })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(key.publicKey) })
        .sign(other.privateKey);
      expect(await errorOf(await tokenRequest(forged))).toEqual({
        status: 400, error: 'invalid_dpop_proof', error_description: 'invalid DPoP key binding',
      });
    });

    test('a JWT that is not typed dpop+jwt is refused', async () => {
      expect(await errorOf(await tokenRequest(await proof(key, { htm: 'POST', htu }, { typ: 'JWT' })))).toMatchObject({
        status: 400, error: 'invalid_dpop_proof',
      });
    });
  });

  describe('a person signs in with DPoP (public client: refresh tokens are bound too, §5)', () => {
    let spa: oidc.Configuration;
    let key: KeyPair;
    let tokens: oidc.TokenEndpointResponse;
    let sub: string;

    beforeAll(async () => {
      spa = await clientFor(server, 'spa', 'none');
      key = await newKey();
      const browser = new Browser();
      const start = await startAuthorization(spa, { redirect_uri: SPA_CB, scope: 'openid offline_access', prompt: 'consent' });
      let page = await browser.open(start.url.href, {}, SPA_CB);
      page = await login(browser, page, SPA_CB);
      page = await consent(browser, page, SPA_CB);
      const result = await oidc.authorizationCodeGrant(spa, new URL(page.url), {
        pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce,
      }, undefined, { DPoP: oidc.getDPoPHandle(spa, key) });
      tokens = result;
      sub = result.claims()!.sub;
    });

    test('the tokens are DPoP tokens and userinfo answers with a proof', async () => {
      expect(tokens.token_type.toLowerCase()).toBe('dpop');
      expect(await oidc.fetchUserInfo(spa, tokens.access_token, sub, { DPoP: oidc.getDPoPHandle(spa, key) })).toMatchObject({ sub });
    });

    test('the access token used as a plain Bearer token at userinfo is refused', async () => {
      const res = await fetch(`${server.issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(res.status).toBe(401);
      // The challenge names the DPoP scheme (RFC 9449 §7.1); the provider does not say more than invalid_token.
      expect(res.headers.get('www-authenticate')).toMatch(/^DPoP realm="[^"]+", error="invalid_token", error_description="invalid token provided", algs="ES256 Ed25519 EdDSA"$/);
    });

    test('at userinfo a proof needs the right ath, key and a fresh jti', async () => {
      const userinfo = `${server.issuer}/me`;
      const call = (dpop: string) => fetch(userinfo, { headers: { authorization: `DPoP ${tokens.access_token}`, dpop } });
      const challenge = async (res: Response) => ({ status: res.status, header: res.headers.get('www-authenticate') });

      expect(await challenge(await call(await proof(key, { htm: 'GET', htu: userinfo })))).toEqual({
        status: 401, header: expect.stringContaining('error="invalid_dpop_proof", error_description="DPoP proof ath mismatch"'),
      });
      expect(await challenge(await call(await proof(key, { htm: 'GET', htu: userinfo, ath: ath('another token') })))).toEqual({
        status: 401, header: expect.stringContaining('error="invalid_dpop_proof", error_description="DPoP proof ath mismatch"'),
      });
      const other = await newKey();
      expect(await challenge(await call(await proof(other, { htm: 'GET', htu: userinfo, ath: ath(tokens.access_token) })))).toEqual({
        status: 401, header: expect.stringContaining('error="invalid_token"'),
      });
      const good = await proof(key, { htm: 'GET', htu: userinfo, ath: ath(tokens.access_token) });
      expect((await call(good)).status).toBe(200);
      expect(await challenge(await call(good))).toEqual({
        status: 401, header: expect.stringContaining('error="invalid_token"'),
      });
    });

    test('the refresh token works only with a proof of the same key', async () => {
      const rt = tokens.refresh_token!;
      expect(await oauthError(oidc.refreshTokenGrant(spa, rt))).toEqual({ status: 400, error: 'invalid_grant' });
      const other = await newKey();
      expect(await oauthError(oidc.refreshTokenGrant(spa, rt, undefined, { DPoP: oidc.getDPoPHandle(spa, other) })))
        .toEqual({ status: 400, error: 'invalid_grant' });
      const refreshed = await oidc.refreshTokenGrant(spa, rt, undefined, { DPoP: oidc.getDPoPHandle(spa, key) });
      expect(refreshed.token_type.toLowerCase()).toBe('dpop');
      expect(await oidc.tokenIntrospection(rs, refreshed.access_token)).toMatchObject({ active: true, cnf: { jkt: await thumbprintOf(key) } });
    });
  });

  test('dpop_jkt binds the authorization code to a key (§10): another key cannot redeem it', async () => {
    const spa = await clientFor(server, 'spa', 'none');
    const key = await newKey();
    const browser = new Browser();
    const start = await startAuthorization(spa, { redirect_uri: SPA_CB, dpop_jkt: await thumbprintOf(key) });
    let page = await browser.open(start.url.href, {}, SPA_CB);
    page = await login(browser, page, SPA_CB);
    page = await consent(browser, page, SPA_CB);
    const other = await newKey();
    const checks = { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce };
    expect(await oauthError(oidc.authorizationCodeGrant(spa, new URL(page.url), checks, undefined, { DPoP: oidc.getDPoPHandle(spa, other) })))
      .toEqual({ status: 400, error: 'invalid_grant' });
  });

  describe('the admin API (RFC 9449 §7)', () => {
    let ops: oidc.Configuration;
    let key: KeyPair;
    let token: string;
    let whoami: string;
    beforeAll(async () => {
      ops = await clientFor(server, 'admin-service');
      key = await newKey();
      ({ access_token: token } = await oidc.clientCredentialsGrant(
        ops, { scope: 'admin:api-keys:read', resource: `${server.issuer}/api/v1` }, { DPoP: oidc.getDPoPHandle(ops, key) },
      ));
      whoami = `${server.issuer}/api/v1/auth/whoami`;
    });
    const call = (headers: Record<string, string>) => fetch(whoami, { headers });

    test('a DPoP-bound token works with a proof of its key', async () => {
      const res = await oidc.fetchProtectedResource(ops, token, new URL(whoami), 'GET', undefined, undefined, { DPoP: oidc.getDPoPHandle(ops, key) });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ subject: { type: 'service_account', id: 'admin-service' }, scopes: ['admin:api-keys:read'] });
    });

    test('presented as a Bearer token it is refused', async () => {
      const res = await call({ authorization: `Bearer ${token}` });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        error: 'invalid_token', error_description: 'this access token is DPoP-bound: send it as "Authorization: DPoP" with a DPoP proof',
      });
      expect(res.headers.get('www-authenticate')).toMatch(/^DPoP realm="gatehouse-admin", error="invalid_token", .*algs="ES256 Ed25519 EdDSA"$/);
    });

    test('a missing, replayed, mis-targeted or foreign-key proof is 401 invalid_dpop_proof', async () => {
      const refusal = async (headers: Record<string, string>) => {
        const res = await call(headers);
        return { status: res.status, ...(await res.json() as object) };
      };
      const dpop = (claims: Record<string, unknown>, signer = key) => proof(signer, { htm: 'GET', htu: whoami, ath: ath(token), ...claims });
      const refused = (description: string) => ({ status: 401, error: 'invalid_dpop_proof', error_description: description });

      expect(await refusal({ authorization: `DPoP ${token}` })).toEqual(refused('a DPoP proof is required with a DPoP-bound access token'));
      expect(await refusal({ authorization: `DPoP ${token}`, dpop: await dpop({ htm: 'POST' }) }))
        .toEqual(refused('the DPoP proof htm does not match the request method'));
      expect(await refusal({ authorization: `DPoP ${token}`, dpop: await dpop({ htu: `${server.issuer}/api/v1/api-keys` }) }))
        .toEqual(refused('the DPoP proof htu does not match the request URL'));
      expect(await refusal({ authorization: `DPoP ${token}`, dpop: await dpop({ iat: now() - 600 }) }))
        .toEqual(refused('the DPoP proof iat is not recent'));
      expect(await refusal({ authorization: `DPoP ${token}`, dpop: await dpop({ ath: undefined }) }))
        .toEqual(refused('the DPoP proof ath does not match the access token'));
      expect(await refusal({ authorization: `DPoP ${token}`, dpop: await dpop({}, await newKey()) }))
        .toEqual(refused('the DPoP proof is signed by another key than the access token is bound to'));
      expect(await refusal({ authorization: `DPoP ${token}`, dpop: await proof(key, { htm: 'GET', htu: whoami, ath: ath(token) }, { jwk: await exportJWK(key.privateKey) }) }))
        .toEqual(refused('the DPoP proof is not a valid dpop+jwt signed by the key in its header'));

      const once = await dpop({});
      expect((await call({ authorization: `DPoP ${token}`, dpop: once })).status).toBe(200);
      expect(await refusal({ authorization: `DPoP ${token}`, dpop: once })).toEqual(refused('the DPoP proof was used before'));
    });

    test('an unbound token under the DPoP scheme is refused', async () => {
      const { access_token: plain } = await oidc.clientCredentialsGrant(ops, { scope: 'admin:api-keys:read', resource: `${server.issuer}/api/v1` });
      const res = await call({ authorization: `DPoP ${plain}`, dpop: await proof(await newKey(), { htm: 'GET', htu: whoami, ath: ath(plain) }) });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'invalid_token', error_description: 'this access token is not DPoP-bound: send it as a Bearer token' });
    });
  });
});

describe('DPoP nonces: required, and shared by every node through DPOP_NONCE_SECRET', () => {
  const secret = randomBytes(32).toString('base64url');
  let a: TestServer;
  let b: TestServer;
  let stranger: TestServer;
  beforeAll(async () => {
    [a, b, stranger] = await Promise.all([
      startTestServer({ DPOP_REQUIRE_NONCE: 'true', DPOP_NONCE_SECRET: secret }),
      startTestServer({ DPOP_REQUIRE_NONCE: 'true', DPOP_NONCE_SECRET: secret }),
      startTestServer({ DPOP_REQUIRE_NONCE: 'true' }),
    ]);
  });
  afterAll(() => Promise.all([a.close(), b.close(), stranger.close()]));

  const request = (server: TestServer, dpop: string) => fetch(`${server.issuer}/token`, {
    method: 'POST',
    headers: { authorization: basic('service'), 'content-type': 'application/x-www-form-urlencoded', dpop },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api:read' }),
  });

  test('a proof without a nonce is answered use_dpop_nonce with a DPoP-Nonce header', async () => {
    const res = await request(a, await proof(await newKey(), { htm: 'POST', htu: `${a.issuer}/token` }));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'use_dpop_nonce', error_description: 'nonce is required in the DPoP proof' });
    expect(res.headers.get('dpop-nonce')).toMatch(/^[\w-]{43}$/);
    // Browsers may read it cross-origin (RFC 9449 §8.1, CORS).
    expect(res.headers.get('access-control-expose-headers') ?? '').toMatch(/DPoP-Nonce/i);
  });

  test('openid-client learns the nonce and retries by itself', async () => {
    const service = await clientFor(a, 'service');
    const tokens = await oidc.clientCredentialsGrant(service, { scope: 'api:read' }, { DPoP: oidc.getDPoPHandle(service, await oidc.randomDPoPKeyPair()) });
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
  });

  test("one node's nonce works on another node with the same secret, not on one with another secret", async () => {
    const key = await newKey();
    const first = await request(a, await proof(key, { htm: 'POST', htu: `${a.issuer}/token` }));
    const nonce = first.headers.get('dpop-nonce')!;
    expect((await request(b, await proof(key, { htm: 'POST', htu: `${b.issuer}/token`, nonce }))).status).toBe(200);
    const res = await request(stranger, await proof(key, { htm: 'POST', htu: `${stranger.issuer}/token`, nonce }));
    expect(await res.json()).toEqual({ error: 'use_dpop_nonce', error_description: 'invalid nonce in DPoP proof' });
  });
});

describe('DPOP=off', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer({ DPOP: 'off' }); });
  afterAll(() => server.close());

  test('discovery says nothing of DPoP, and a proof does not bind the token', async () => {
    const metadata = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(metadata).not.toHaveProperty('dpop_signing_alg_values_supported');
    const res = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: basic('service'), 'content-type': 'application/x-www-form-urlencoded',
        dpop: await proof(await newKey(), { htm: 'POST', htu: `${server.issuer}/token` }),
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api:read' }),
    });
    expect(await res.json()).toMatchObject({ token_type: 'Bearer' });
  });
});
