import { createHmac, createPublicKey, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import * as oidc from 'openid-client';

import { clientFor, SEED_PATH, startTestServer, type TestServer } from '../support/gatehouse.ts';
import { signIn } from '../support/flows.ts';

const WEB_CB = 'https://app.example/cb';
const BYE = 'https://app.example/bye';
const ORDERS = 'https://orders.example/api';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** `alg: none`: no signature at all (RFC 7519 §6). */
function unsigned(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  return `${b64({ ...header, alg: 'none' })}.${b64(payload)}.`;
}

/**
 * The key-confusion forgery: HS256 with a public key's bytes as the HMAC secret. A
 * verifier that picks the algorithm from the token's header, and feeds it the key it
 * holds for that kid, would accept it (RFC 8725 §2.1, §3.1).
 */
function hmacWithPublicKey(header: Record<string, unknown>, payload: Record<string, unknown>, secret: string): string {
  const input = `${b64({ ...header, alg: 'HS256' })}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** Both forgeries, each with every public key the server publishes as the HMAC secret. */
function forgeries(jwks: JWK[], header: Record<string, unknown>, payload: Record<string, unknown>) {
  const out: Array<[string, string]> = [['alg none', unsigned(header, payload)]];
  for (const jwk of jwks) {
    const key = createPublicKey({ key: jwk as never, format: 'jwk' });
    const pem = key.export({ type: 'spki', format: 'pem' }).toString();
    out.push([`HS256 keyed with the ${jwk.alg} public key (PEM)`, hmacWithPublicKey({ ...header, kid: jwk.kid }, payload, pem)]);
    out.push([`HS256 keyed with the ${jwk.alg} public key (JWK JSON)`, hmacWithPublicKey({ ...header, kid: jwk.kid }, payload, JSON.stringify(jwk))]);
  }
  return out;
}

/**
 * `alg: none` and HS256-with-the-public-key JWTs are refused everywhere Gatehouse
 * accepts a JWT: introspection of JWT access tokens, userinfo, the admin API, client
 * assertions (private_key_jwt) and the logout id_token_hint.
 */
describe('negative: forged JWTs', () => {
  let server: TestServer;
  let serverKeys: JWK[];
  let signerKey: CryptoKey;
  let signerJwk: JWK;
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    signerKey = pair.privateKey;
    signerJwk = { ...(await exportJWK(pair.publicKey)), alg: 'RS256', use: 'sig', kid: 'signer-1' };
    const seed = JSON.parse(await readFile(SEED_PATH, 'utf8')) as { clients: unknown[] };
    seed.clients.push({
      client_id: 'signer', client_name: 'Signing Service', grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'RS256',
      jwks: { keys: [signerJwk] }, scope: 'api:read',
    });
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-forged-'));
    await writeFile(join(dir, 'seed.json'), JSON.stringify(seed));
    server = await startTestServer({ GATEHOUSE_SEED: join(dir, 'seed.json') });
    serverKeys = ((await (await fetch(`${server.issuer}/jwks`)).json()) as { keys: JWK[] }).keys;
    expect(serverKeys.length).toBeGreaterThan(0);
  });
  afterAll(() => server.close());

  describe('a forged JWT access token is inactive at introspection', () => {
    const claims = () => ({
      iss: server.issuer, sub: 'service', client_id: 'service', aud: ORDERS, scope: 'api:read api:write',
      iat: now(), exp: now() + 600, jti: randomUUID(),
    });

    test('(control: a genuine one is active)', async () => {
      const service = await clientFor(server, 'service');
      const { access_token: jwt } = await oidc.clientCredentialsGrant(service, { scope: 'api:read', resource: ORDERS });
      expect(await oidc.tokenIntrospection(await clientFor(server, 'resource-server'), jwt)).toMatchObject({ active: true });
    });

    test('alg none, and HS256 keyed with each published public key', async () => {
      const rs = await clientFor(server, 'resource-server');
      const all = forgeries(serverKeys, { typ: 'at+jwt' }, claims());
      expect(all.length).toBe(1 + 2 * serverKeys.length);
      for (const [label, forged] of all) {
        expect({ label, answer: await oidc.tokenIntrospection(rs, forged) }).toEqual({ label, answer: { active: false } });
      }
    });
  });

  test('a forged JWT is not a userinfo access token', async () => {
    const { tokens } = await signIn(await clientFor(server, 'web'), WEB_CB, { scope: 'openid' });
    const sub = tokens.claims()!.sub;
    for (const [label, forged] of forgeries(serverKeys, { typ: 'at+jwt' }, {
      iss: server.issuer, sub, client_id: 'web', aud: server.issuer, scope: 'openid', iat: now(), exp: now() + 600, jti: randomUUID(),
    })) {
      const res = await fetch(`${server.issuer}/me`, { headers: { authorization: `Bearer ${forged}` } });
      expect({ label, status: res.status }).toEqual({ label, status: 401 });
      expect(((await res.json()) as { error: string }).error).toBe('invalid_token');
    }
  });

  test('a forged JWT is not an admin API credential', async () => {
    for (const [label, forged] of forgeries(serverKeys, { typ: 'at+jwt' }, {
      iss: server.issuer, sub: 'admin-service', client_id: 'admin-service', aud: `${server.issuer}/api/v1`,
      scope: 'admin:api-keys:read admin:api-keys:write', iat: now(), exp: now() + 600, jti: randomUUID(),
    })) {
      const res = await fetch(`${server.issuer}/api/v1/auth/whoami`, { headers: { authorization: `Bearer ${forged}` } });
      expect({ label, status: res.status }).toEqual({ label, status: 401 });
      expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    }
  });

  describe('private_key_jwt client assertions (RFC 7523 §3)', () => {
    const assertionClaims = () => ({
      iss: 'signer', sub: 'signer', aud: `${server.issuer}/token`, iat: now(), exp: now() + 60, jti: randomUUID(),
    });
    const grant = async (assertion: string) => {
      const res = await fetch(`${server.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials', scope: 'api:read', client_id: 'signer',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion,
        }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    test('(control: an RS256 assertion signed with the registered key gets a token)', async () => {
      const assertion = await new SignJWT(assertionClaims()).setProtectedHeader({ alg: 'RS256', kid: 'signer-1' }).sign(signerKey);
      expect(await grant(assertion)).toMatchObject({ status: 200, body: { token_type: 'Bearer' } });
    });

    test('alg none', async () => {
      expect(await grant(unsigned({ typ: 'JWT' }, assertionClaims()))).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    });

    test("HS256 keyed with the client's registered public key", async () => {
      const pem = createPublicKey({ key: signerJwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
      for (const secret of [pem, JSON.stringify(signerJwk)]) {
        const forged = hmacWithPublicKey({ typ: 'JWT', kid: 'signer-1' }, assertionClaims(), secret);
        expect(await grant(forged)).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
      }
    });
  });

  test('a forged id_token_hint at logout gets an error page, never a redirect', async () => {
    const { tokens } = await signIn(await clientFor(server, 'web'), WEB_CB, { scope: 'openid' });
    const real = tokens.claims()!;
    for (const [label, forged] of forgeries(serverKeys, { typ: 'JWT' }, { ...real, iat: now(), exp: now() + 600 })) {
      const res = await fetch(`${server.issuer}/session/end?${new URLSearchParams({ id_token_hint: forged, post_logout_redirect_uri: BYE })}`, {
        redirect: 'manual', headers: { accept: 'text/html' },
      });
      expect({ label, status: res.status, location: res.headers.get('location') }).toEqual({ label, status: 400, location: null });
      expect(await res.text()).toContain('invalid_request');
    }
  });
});
