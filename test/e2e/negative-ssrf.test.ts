import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

import { ADMIN_SCOPES } from '../../src/admin/scopes.ts';
import { startTestServer, type TestServer } from '../support/gatehouse.ts';

/**
 * A listener on loopback standing for an internal service (a metadata endpoint, an admin
 * port): it counts every TCP connection and every HTTP request that reaches it, and
 * would serve `body` if asked.
 */
async function internalService(body: unknown) {
  const seen = { connections: 0, requests: 0 };
  const server: Server = createServer((_req, res) => {
    seen.requests += 1;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  });
  server.on('connection', () => { seen.connections += 1; });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { seen, url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * Server-side request forgery: Gatehouse never fetches a URL that points inside the
 * network (OWASP SSRF Prevention Cheat Sheet). node-oidc-provider fetches a client's
 * jwks_uri (private_key_jwt) and sector_identifier_uri, and would fetch request_uri
 * and URL client_ids if those features were on; each is checked here.
 */
describe('negative: server-side request forgery', () => {
  let server: TestServer;
  let signerKey: CryptoKey;
  let signerJwk: JWK;
  let platformKey: string;

  beforeAll(async () => {
    server = await startTestServer();
    const pair = await generateKeyPair('ES256', { extractable: true });
    signerKey = pair.privateKey;
    signerJwk = { ...(await exportJWK(pair.publicKey)), alg: 'ES256', use: 'sig', kid: 'k1' };
    platformKey = (await server.apiKeys.issue(
      { name: 'ssrf tests', scopes: ['admin:clients:write', 'admin:clients:read'] },
      { owner: { type: 'account', id: 'platform-admin' }, allowedScopes: ADMIN_SCOPES },
    )).key;
  });
  afterAll(() => server.close());

  const registerClient = (body: Record<string, unknown>) => fetch(`${server.issuer}/api/v1/clients`, {
    method: 'POST',
    headers: { authorization: `Bearer ${platformKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, any> }));

  test("a client's jwks_uri on an internal address is never connected to, even once stored", async () => {
    // Stored directly, as an older release or a hand-edited database could have it: the
    // guard at fetch time must hold whatever registration let through.
    const internal = await internalService({ keys: [signerJwk] });
    try {
      await server.stores.clients.save({
        client_id: 'jwks-uri-client', client_name: 'JWKS URI', grant_types: ['client_credentials'], response_types: [],
        redirect_uris: [], token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256',
        jwks_uri: `${internal.url}/jwks`, scope: 'api:read',
      });
      const now = Math.floor(Date.now() / 1000);
      const assertion = await new SignJWT({
        iss: 'jwks-uri-client', sub: 'jwks-uri-client', aud: `${server.issuer}/token`, iat: now, exp: now + 60, jti: randomUUID(),
      }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(signerKey);
      const res = await fetch(`${server.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials', client_id: 'jwks-uri-client', scope: 'api:read',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion,
        }),
      });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(((await res.json()) as { error: string }).error).toMatch(/^invalid_client/);
      expect(internal.seen).toEqual({ connections: 0, requests: 0 });
    } finally {
      await internal.close();
    }
  });

  test.each([
    ['loopback', 'https://127.0.0.1/jwks'],
    ['loopback by name', 'https://localhost/jwks'],
    ['IPv6 loopback', 'https://[::1]/jwks'],
    ['a private range', 'https://10.1.2.3/jwks'],
    ['the cloud metadata service', 'https://169.254.169.254/latest/meta-data/'],
    ['an IPv4-mapped IPv6 private address', 'https://[::ffff:192.168.0.1]/jwks'],
  ])('registering a jwks_uri on %s is refused, naming the field', async (_label, jwksUri) => {
    const reply = await registerClient({
      client_name: 'x', grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks_uri: jwksUri, scope: 'api:read',
    });
    expect(reply.status).toBe(400);
    expect(reply.body.fields).toEqual([expect.objectContaining({ path: 'jwks_uri' })]);
  });

  test('sector_identifier_uri is not accepted, so it is never fetched', async () => {
    const internal = await internalService([]);
    try {
      const reply = await registerClient({
        client_name: 'pairwise', redirect_uris: ['https://app.example/cb'], scope: 'openid',
        subject_type: 'pairwise', sector_identifier_uri: `${internal.url}/sector`,
      });
      expect(reply.status).toBe(400);
      expect(reply.body.error).toBe('invalid_request');
      expect(internal.seen).toEqual({ connections: 0, requests: 0 });
    } finally {
      await internal.close();
    }
  });

  test('request_uri and a URL as client_id are refused at /auth without a fetch', async () => {
    const internal = await internalService({});
    try {
      const base = {
        response_type: 'code', scope: 'openid', redirect_uri: 'https://app.example/cb',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
      };
      for (const params of [
        { ...base, client_id: 'web', request_uri: `${internal.url}/request.jwt` },
        { ...base, client_id: `${internal.url}/client.json` },
      ]) {
        const res = await fetch(`${server.issuer}/auth?${new URLSearchParams(params)}`, { redirect: 'manual', headers: { accept: 'text/html' } });
        expect(res.status).toBeGreaterThanOrEqual(300);
        expect(res.status).toBeLessThan(500);
        const location = res.headers.get('location');
        if (location) expect(new URL(location).searchParams.get('error')).toMatch(/^(request_uri_not_supported|invalid_request_uri|invalid_request)$/);
      }
      const discovery = await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
      expect(discovery.request_uri_parameter_supported).toBe(false);
      expect(internal.seen).toEqual({ connections: 0, requests: 0 });
    } finally {
      await internal.close();
    }
  });
});
