import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';

import { ADMIN_SCOPES } from '../../src/admin/scopes.ts';
import { startThrowawayRedis, type ThrowawayRedis } from '../../scripts/throwaway-redis.ts';
import { Browser } from '../support/browser.ts';
import { consent, login, signIn, startAuthorization } from '../support/flows.ts';
import { ADA, clientFor, oauthError, SECRETS, startTestServer, type TestServer } from '../support/gatehouse.ts';

const ORDERS = 'https://orders.example/api'; // JWT access tokens (test/fixtures/seed.json)
const WEB_CB = 'https://app.example/cb';
const GRACE = { email: 'grace@example.com', password: 'another good passphrase', name: 'Grace Hopper' };

/** Revoking anything reaches every token derived from it, opaque or JWT (RFC 7009, RFC 9068). */
describe.each([
  ['memory', () => ({})],
  ['redis', () => ({ REDIS_URL: process.env.REDIS_URL! })],
] as const)('revocation (%s)', (backend, env) => {
  let server: TestServer;
  let rs: oidc.Configuration;
  let service: oidc.Configuration;
  let platformKey: string;
  const introspect = (token: string) => oidc.tokenIntrospection(rs, token);
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.issuer}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${platformKey}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) as Record<string, any> : {} };
  };

  beforeAll(async () => {
    server = await startTestServer(env());
    rs = await clientFor(server, 'resource-server');
    service = await clientFor(server, 'service');
    platformKey = (await server.apiKeys.issue(
      { name: 'revocation tests', scopes: [...ADMIN_SCOPES] }, { owner: { type: 'account', id: 'operator' }, allowedScopes: ADMIN_SCOPES },
    )).key;
  });
  afterAll(() => server.close());

  test('RFC 7009 revokes a JWT access token: inactive at introspection from then on', async () => {
    const { access_token: jwt } = await oidc.clientCredentialsGrant(service, { scope: 'api:read', resource: ORDERS });
    expect(await introspect(jwt)).toMatchObject({ active: true, client_id: 'service' });
    await oidc.tokenRevocation(service, jwt); // 200, or openid-client throws
    expect(await introspect(jwt)).toEqual({ active: false });
  });

  test("another client's JWT, or a forged one, is answered 200 and changes nothing (RFC 7009 §2.1, §2.2)", async () => {
    const { access_token: jwt } = await oidc.clientCredentialsGrant(service, { scope: 'api:read', resource: ORDERS });
    await oidc.tokenRevocation(await clientFor(server, 'service-post', 'post'), jwt);
    const [header, payload] = jwt.split('.');
    await oidc.tokenRevocation(service, `${header}.${payload}.${'A'.repeat(86)}`);
    expect(await introspect(jwt)).toMatchObject({ active: true });
  });

  test('deleting a service account kills its opaque tokens and its JWTs', async () => {
    const created = await admin('POST', '/service-accounts', { name: 'doomed', scopes: ['api:read'] });
    const doomed = await clientFor(server, created.body.client_id, 'basic', created.body.client_secret);
    const { access_token: opaque } = await oidc.clientCredentialsGrant(doomed, { scope: 'api:read' });
    const { access_token: jwt } = await oidc.clientCredentialsGrant(doomed, { scope: 'api:read', resource: ORDERS });
    expect(await introspect(opaque)).toMatchObject({ active: true });
    expect(await introspect(jwt)).toMatchObject({ active: true });

    expect((await admin('DELETE', `/service-accounts/${created.body.client_id}`)).status).toBe(204);
    expect(await introspect(opaque)).toEqual({ active: false });
    expect(await introspect(jwt)).toEqual({ active: false });
    expect(await oauthError(oidc.clientCredentialsGrant(doomed, { scope: 'api:read' }))).toEqual({ status: 401, error: 'invalid_client' });
  });

  test('a client deleted and registered again under the same id does not bring its old tokens back', async () => {
    const metadata = {
      client_id: `reborn-${backend}`, client_name: 'Reborn', redirect_uris: ['https://reborn.example/cb'],
      grant_types: ['authorization_code', 'client_credentials'], scope: 'openid api:read',
    };
    const first = await admin('POST', '/clients', metadata);
    expect(first.status).toBe(201);
    const before = await clientFor(server, metadata.client_id, 'basic', first.body.client_secret);
    const { access_token: opaque } = await oidc.clientCredentialsGrant(before, { scope: 'api:read' });
    const { access_token: jwt } = await oidc.clientCredentialsGrant(before, { scope: 'api:read', resource: ORDERS });

    expect((await admin('DELETE', `/clients/${metadata.client_id}`)).status).toBe(204);
    expect((await admin('POST', '/clients', metadata)).status).toBe(201);
    expect(await introspect(opaque)).toEqual({ active: false });
    expect(await introspect(jwt)).toEqual({ active: false });
  });

  test("revoking a person's grant (admin API) kills the JWTs issued under it, and only those", async () => {
    const web = await clientFor(server, 'web');
    const signInForOrders = () => signIn(web, WEB_CB, { scope: 'openid api:read', resource: ORDERS, prompt: 'consent' }, undefined, { resource: ORDERS });
    const { tokens } = await signInForOrders();
    expect(decodeJwt(tokens.access_token)).toMatchObject({ gid: expect.any(String) });
    expect(await introspect(tokens.access_token)).toMatchObject({ active: true, client_id: 'web' });

    const ada = (await server.stores.accounts.findByEmail(ADA.email))!;
    const grants = (await admin('GET', `/accounts/${ada.id}/grants`)).body.items as Array<{ id: string; client_id: string }>;
    const grant = grants.find((g) => g.client_id === 'web')!;
    expect((await admin('DELETE', `/grants/${grant.id}`)).status).toBe(204);
    expect(await introspect(tokens.access_token)).toEqual({ active: false });

    // A new grant right away is not caught by the old one's revocation.
    const again = await signInForOrders();
    expect(await introspect(again.tokens.access_token)).toMatchObject({ active: true });
  });

  test('refresh-token reuse revokes the grant, and its JWTs with it (RFC 9700 §4.14.2)', async () => {
    const web = await clientFor(server, 'web');
    const { tokens } = await signIn(web, WEB_CB, { scope: 'openid offline_access api:read', resource: ORDERS, prompt: 'consent' }, undefined, { resource: ORDERS });
    const rotated = await oidc.refreshTokenGrant(web, tokens.refresh_token!, { resource: ORDERS });
    expect(await introspect(rotated.access_token)).toMatchObject({ active: true });
    await expect(oidc.refreshTokenGrant(web, tokens.refresh_token!, { resource: ORDERS })).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await introspect(rotated.access_token)).toEqual({ active: false });
    expect(await introspect(tokens.access_token)).toEqual({ active: false });
  });

  test("disabling an account kills its JWTs at every client", async () => {
    const web = await clientFor(server, 'web');
    const browser = new Browser();
    const start = await startAuthorization(web, { redirect_uri: WEB_CB, scope: 'openid api:read', resource: ORDERS });
    let page = await browser.open(start.url.href, {}, WEB_CB);
    page = await consent(browser, await login(browser, page, WEB_CB, GRACE), WEB_CB);
    const tokens = await oidc.authorizationCodeGrant(web, new URL(page.url), {
      pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce,
    }, { resource: ORDERS });
    expect(await introspect(tokens.access_token)).toMatchObject({ active: true });

    const grace = (await server.stores.accounts.findByEmail(GRACE.email))!;
    expect((await admin('PATCH', `/accounts/${grace.id}`, { disabled: true })).status).toBe(200);
    expect(await introspect(tokens.access_token)).toEqual({ active: false });
  });

  test('revocations are counted by what was revoked', async () => {
    const text = await server.metrics.registry.metrics();
    expect(text).toMatch(/^gatehouse_revocations_total\{source="client"\} [1-9]/m);
    expect(text).toMatch(/^gatehouse_revocations_total\{source="account"\} [1-9]/m);
    expect(text).toMatch(/^gatehouse_revocations_total\{source="token"\} [1-9]/m);
    // With Redis, checks come from the process's copy of the list, which is current by now.
    if (backend === 'redis') expect(text).toMatch(/^gatehouse_revocation_copy_current 1$/m);
    else expect(text).not.toContain('gatehouse_revocation_copy_current');
  });
});

/** If the revocation list cannot be read, no answer is given from stale state. */
describe('revocation when Redis is unreachable', () => {
  let redis: ThrowawayRedis;
  let server: TestServer;
  let jwt: string;
  let opaque: string;
  const post = (path: string, clientId: keyof typeof SECRETS, token: string) => fetch(`${server.issuer}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${SECRETS[clientId]}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token }),
  });

  beforeAll(async () => {
    redis = await startThrowawayRedis('This test');
    server = await startTestServer({ REDIS_URL: redis.url });
    const service = await clientFor(server, 'service');
    ({ access_token: jwt } = await oidc.clientCredentialsGrant(service, { scope: 'api:read', resource: ORDERS }));
    ({ access_token: opaque } = await oidc.clientCredentialsGrant(service, { scope: 'api:read' }));
    const rs = await clientFor(server, 'resource-server');
    expect(await oidc.tokenIntrospection(rs, jwt)).toMatchObject({ active: true });
    expect(await oidc.tokenIntrospection(rs, opaque)).toMatchObject({ active: true });
    await redis.stop();
  });
  afterAll(async () => {
    await server.close();
    await redis.stop();
  });

  test('introspection fails closed: 503 temporarily_unavailable, never active: true', async () => {
    for (const token of [jwt, opaque]) {
      const res = await post('/token/introspection', 'resource-server', token);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await res.json()).toEqual({
        error: 'temporarily_unavailable', error_description: 'the token status cannot be checked right now; try again shortly',
      });
    }
  });

  test('the metrics say that the revocation list copy is not current', async () => {
    expect(await server.metrics.registry.metrics()).toMatch(/^gatehouse_revocation_copy_current 0$/m);
  });

  test('revocation answers 503 too: "not revoked, retry" (RFC 7009 §2.2.1), never 200 for a token that still works', async () => {
    for (const token of [jwt, opaque]) {
      const res = await post('/token/revocation', 'service', token);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({
        error: 'temporarily_unavailable', error_description: 'the token could not be revoked right now; try again shortly',
      });
    }
  });
});
