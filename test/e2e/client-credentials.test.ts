import * as oidc from 'openid-client';

import { clientFor, oauthError, SECRETS, startTestServer, type TestServer } from '../support/gatehouse.ts';

describe.each([
  ['memory', {}],
  ['redis', () => ({ REDIS_URL: process.env.REDIS_URL! })],
] as const)('service to service and resource servers (%s)', (_name, env) => {
  let server: TestServer;
  let service: oidc.Configuration;
  let rs: oidc.Configuration;

  beforeAll(async () => {
    server = await startTestServer(typeof env === 'function' ? env() : env);
    service = await clientFor(server, 'service');
    rs = await clientFor(server, 'resource-server');
  });
  afterAll(() => server.close());

  test('client_credentials with client_secret_basic, then introspection (RFC 7662)', async () => {
    const tokens = await oidc.clientCredentialsGrant(service, { scope: 'api:read' });
    expect(tokens).toMatchObject({ token_type: expect.stringMatching(/^bearer$/i), scope: 'api:read', expires_in: expect.any(Number) });

    const info = await oidc.tokenIntrospection(rs, tokens.access_token);
    expect(info).toMatchObject({ active: true, client_id: 'service', scope: 'api:read', token_type: 'Bearer' });
    expect(info.exp! - info.iat!).toBe(3600);
  });

  test('client_credentials with client_secret_post', async () => {
    const post = await clientFor(server, 'service-post', 'post');
    const tokens = await oidc.clientCredentialsGrant(post, { scope: 'api:read' });
    expect(tokens.scope).toBe('api:read');
  });

  test('a scope the client is not registered for is 400 invalid_scope', async () => {
    const post = await clientFor(server, 'service-post', 'post');
    await expect(oidc.clientCredentialsGrant(post, { scope: 'api:read api:write' }))
      .rejects.toMatchObject({ status: 400, error: 'invalid_scope' });
  });

  test('a scope the server does not know is 400 invalid_scope', async () => {
    await expect(oidc.clientCredentialsGrant(service, { scope: 'api:read admin:everything' }))
      .rejects.toMatchObject({ status: 400, error: 'invalid_scope' });
  });

  test('a wrong client secret is 401 invalid_client', async () => {
    const wrong = await clientFor(server, 'service', 'basic', `${SECRETS.service}x`);
    expect(await oauthError(oidc.clientCredentialsGrant(wrong, { scope: 'api:read' })))
      .toEqual({ status: 401, error: 'invalid_client' });
  });

  test('introspection and revocation require client authentication', async () => {
    const { access_token: token } = await oidc.clientCredentialsGrant(service, { scope: 'api:read' });
    for (const endpoint of ['token/introspection', 'token/revocation']) {
      const res = await fetch(`${server.issuer}/${endpoint}`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }),
      });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(await res.json()).toMatchObject({ error: expect.stringMatching(/^invalid_(client|request)$/) });
    }
    const wrongRs = await clientFor(server, 'resource-server', 'basic', 'wrong');
    expect(await oauthError(oidc.tokenIntrospection(wrongRs, token))).toEqual({ status: 401, error: 'invalid_client' });
  });

  test('revocation (RFC 7009) makes the token inactive at introspection', async () => {
    const { access_token: token } = await oidc.clientCredentialsGrant(service, { scope: 'api:write' });
    await oidc.tokenRevocation(service, token);
    expect(await oidc.tokenIntrospection(rs, token)).toEqual({ active: false });
  });

  test('an unknown token introspects as inactive', async () => {
    expect(await oidc.tokenIntrospection(rs, 'not-a-token')).toEqual({ active: false });
  });

  test('client secrets are stored only as keyed hashes', async () => {
    const stored = await server.stores.adapter('Client').find('service');
    expect(stored!.client_secret).toMatch(/^\$hmac-sha256\$/);
    expect(JSON.stringify(stored)).not.toContain(SECRETS.service);
  });
});
