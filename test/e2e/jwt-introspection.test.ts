import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import * as oidc from 'openid-client';

import { ADMIN_SCOPES } from '../../src/admin/scopes.ts';
import { clientFor, SECRETS, SEED_PATH, startTestServer, type TestServer } from '../support/gatehouse.ts';

const ORDERS = 'https://orders.example/api'; // JWT access tokens (test/fixtures/seed.json)
const JWT_TYPE = 'application/token-introspection+jwt';
const ES_SECRET = 'rs-es256-secret-for-tests-only-0123456789';
const DOOMED_SECRET = 'doomed-secret-for-tests-only-0123456789ab';

/** The test seed plus a resource server registered for ES256 answers, and a client to revoke. */
async function seed(): Promise<string> {
  const data = JSON.parse(await readFile(SEED_PATH, 'utf8')) as { clients: object[] };
  data.clients.push(
    {
      client_id: 'rs-es256', client_secret: ES_SECRET, client_name: 'Payments API', grant_types: [], response_types: [], redirect_uris: [],
      introspection_signed_response_alg: 'ES256',
    },
    {
      client_id: 'doomed', client_secret: DOOMED_SECRET, client_name: 'Doomed Service', grant_types: ['client_credentials'],
      scope: 'api:read',
    },
  );
  const path = join(await mkdtemp(join(tmpdir(), 'gatehouse-jwt-introspection-')), 'seed.json');
  await writeFile(path, JSON.stringify(data));
  return path;
}

describe('JWT-secured introspection responses (RFC 9701)', () => {
  let server: TestServer;
  let service: oidc.Configuration;
  let jwks: JWTVerifyGetKey;

  beforeAll(async () => {
    server = await startTestServer({ GATEHOUSE_SEED: await seed() });
    service = await clientFor(server, 'service');
    jwks = createRemoteJWKSet(new URL(service.serverMetadata().jwks_uri!));
  });
  afterAll(() => server.close());

  /** Introspects as `client`, asking for a JWT unless `accept` says otherwise. */
  const introspect = (token: string, client = 'resource-server', secret: string = SECRETS['resource-server'], accept = JWT_TYPE) =>
    fetch(`${server.issuer}/token/introspection`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${client}:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded', accept,
      },
      body: new URLSearchParams({ token }),
    });

  /** Checks the answer is a JWT signed by a key of the JWKS for `audience`, and returns its claims and header. */
  const verified = async (res: Response, audience = 'resource-server') => {
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(`${JWT_TYPE}; charset=utf-8`);
    const { payload, protectedHeader } = await jwtVerify(await res.text(), jwks, {
      issuer: server.issuer, audience, typ: 'token-introspection+jwt', requiredClaims: ['iat'],
    });
    return { payload, protectedHeader, answer: payload.token_introspection as Record<string, unknown> };
  };

  test('discovery advertises the algorithms answers are signed with', async () => {
    expect(service.serverMetadata().introspection_signing_alg_values_supported).toEqual(['ES256', 'RS256', 'EdDSA']);
  });

  test('an opaque token: the answer is signed (RS256 by default, §6) and holds the RFC 7662 answer', async () => {
    const { access_token: token } = await oidc.clientCredentialsGrant(service, { scope: 'api:read' });
    const { payload, protectedHeader, answer } = await verified(await introspect(token));
    expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'token-introspection+jwt', kid: expect.any(String) });
    expect(answer).toMatchObject({ active: true, client_id: 'service', scope: 'api:read', token_type: 'Bearer', iss: server.issuer });
    // §5: the JWT is about the introspection, not a token itself.
    expect(payload).not.toHaveProperty('sub');
    expect(payload).not.toHaveProperty('active');
  });

  test("Gatehouse's own answers are signed too: a JWT access token", async () => {
    const { access_token: jwt } = await oidc.clientCredentialsGrant(service, { scope: 'api:write', resource: ORDERS });
    const { answer } = await verified(await introspect(jwt));
    expect(answer).toMatchObject({ active: true, aud: ORDERS, client_id: 'service', scope: 'api:write', token_type: 'Bearer' });
  });

  test("Gatehouse's own answers are signed too: an API key, live and revoked", async () => {
    const { key, record } = await server.apiKeys.issue(
      { name: 'signed answers', scopes: ['api:read'] },
      { owner: { type: 'service_account', id: 'service' }, allowedScopes: ['api:read'] },
    );
    expect((await verified(await introspect(key))).answer).toMatchObject({ active: true, token_type: 'api_key', key_id: record.id });
    await server.apiKeys.revoke(record.id);
    expect((await verified(await introspect(key))).answer).toEqual({ active: false });
  });

  test('an unknown token gets a signed { active: false }', async () => {
    expect((await verified(await introspect('no-such-token'))).answer).toEqual({ active: false });
  });

  test("a token the revocation list kills is inactive in the signed answer too (the provider's answer is re-signed)", async () => {
    const doomed = await clientFor(server, 'doomed', 'basic', DOOMED_SECRET);
    const { access_token: token } = await oidc.clientCredentialsGrant(doomed, { scope: 'api:read' });
    expect((await verified(await introspect(token))).answer).toMatchObject({ active: true, client_id: 'doomed' });
    await server.stores.revocations.revokeIssuedBefore({ kind: 'client', clientId: 'doomed' }, Math.floor(Date.now() / 1000), 3600);
    expect((await verified(await introspect(token))).answer).toEqual({ active: false });
  });

  test('a resource server registered with introspection_signed_response_alg ES256 gets ES256', async () => {
    const { access_token: token } = await oidc.clientCredentialsGrant(service, { scope: 'api:read' });
    const { protectedHeader, answer } = await verified(await introspect(token, 'rs-es256', ES_SECRET), 'rs-es256');
    expect(protectedHeader.alg).toBe('ES256');
    expect(answer).toMatchObject({ active: true, client_id: 'service' });
  });

  test('the admin API takes introspection_signed_response_alg, ES256, RS256 or EdDSA only', async () => {
    const { key } = await server.apiKeys.issue(
      { name: 'jwt introspection tests', scopes: [...ADMIN_SCOPES] }, { owner: { type: 'account', id: 'operator' }, allowedScopes: ADMIN_SCOPES },
    );
    const create = (alg: string) => fetch(`${server.issuer}/api/v1/clients`, {
      method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Another API', grant_types: [], introspection_signed_response_alg: alg }),
    });
    const hmac = await create('HS256');
    expect(hmac.status).toBe(400);
    expect(JSON.stringify(await hmac.json())).toContain('must be ES256, RS256 or EdDSA, the algorithms Gatehouse signs with');
    const good = await create('ES256');
    expect(good.status).toBe(201);
    expect(await good.json()).toMatchObject({ introspection_signed_response_alg: 'ES256' });
  });

  test('openid-client asks for and checks the signed answer (non-repudiation checks on)', async () => {
    const rs = await oidc.discovery(new URL(server.issuer), 'rs-es256', { client_secret: ES_SECRET, introspection_signed_response_alg: 'ES256' },
      oidc.ClientSecretBasic(ES_SECRET), { execute: [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks] });
    // openid-client takes a plain JSON answer too: note what it was sent (and that it then
    // fetched the JWKS to check the signature).
    const seen: string[] = [];
    rs[oidc.customFetch] = async (url, options) => {
      const res = await fetch(url, options);
      seen.push(`${new URL(url).pathname} ${res.headers.get('content-type')}`);
      return res;
    };
    const { access_token: jwt } = await oidc.clientCredentialsGrant(service, { scope: 'api:read', resource: ORDERS });
    expect(await oidc.tokenIntrospection(rs, jwt)).toMatchObject({ active: true, aud: ORDERS, client_id: 'service' });
    expect(seen).toEqual([`/token/introspection ${JWT_TYPE}; charset=utf-8`, '/jwks application/jwk-set+json; charset=utf-8']);
  });

  test('without the Accept header the answer stays plain JSON', async () => {
    const { access_token: jwt } = await oidc.clientCredentialsGrant(service, { scope: 'api:read', resource: ORDERS });
    const res = await introspect(jwt, 'resource-server', SECRETS['resource-server'], 'application/json');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({ active: true, aud: ORDERS });
  });

  test('a caller that fails authentication gets a plain error, signed nothing', async () => {
    const res = await introspect('whatever', 'resource-server', 'wrong-secret-0123456789abcdefghijklmnop');
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });
});

describe('JWT_INTROSPECTION=off', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer({ JWT_INTROSPECTION: 'off' }); });
  afterAll(() => server.close());

  test('discovery lists no signing algorithms, and a JWT is answered as plain JSON', async () => {
    const service = await clientFor(server, 'service');
    expect(service.serverMetadata()).not.toHaveProperty('introspection_signing_alg_values_supported');
    const { access_token: jwt } = await oidc.clientCredentialsGrant(service, { scope: 'api:read', resource: ORDERS });
    const res = await fetch(`${server.issuer}/token/introspection`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`resource-server:${SECRETS['resource-server']}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded', accept: JWT_TYPE,
      },
      body: new URLSearchParams({ token: jwt }),
    });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({ active: true, aud: ORDERS });
  });
});
