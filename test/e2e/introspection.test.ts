import * as oidc from 'openid-client';

import { clientFor, oauthError, startTestServer, type TestServer } from '../support/gatehouse.ts';

const ORDERS = 'https://orders.example/api';

/** One introspection endpoint answers for opaque tokens, JWT access tokens and API keys (RFC 7662). */
describe('introspection of every credential', () => {
  let server: TestServer;
  let rs: oidc.Configuration;
  let service: oidc.Configuration;

  beforeAll(async () => {
    server = await startTestServer();
    rs = await clientFor(server, 'resource-server');
    service = await clientFor(server, 'service');
  });
  afterAll(() => server.close());

  test('a JWT access token introspects as active with its claims', async () => {
    const { access_token: jwt } = await oidc.clientCredentialsGrant(service, { scope: 'api:write', resource: ORDERS });
    expect(await oidc.tokenIntrospection(rs, jwt)).toMatchObject({
      active: true, aud: ORDERS, scope: 'api:write', client_id: 'service', iss: server.issuer, token_type: 'Bearer',
    });
  });

  test('a JWT with a broken signature or from another issuer is inactive', async () => {
    const { access_token: jwt } = await oidc.clientCredentialsGrant(service, { scope: 'api:write', resource: ORDERS });
    const [header, payload, signature] = jwt.split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), scope: 'admin' })).toString('base64url')}.${signature}`;
    expect(await oidc.tokenIntrospection(rs, tampered)).toEqual({ active: false });
    expect(await oidc.tokenIntrospection(rs, `${header}.${payload}.${'A'.repeat(86)}`)).toEqual({ active: false });
  });

  test('an API key introspects like an access token; revoked or mistyped keys are inactive', async () => {
    const { key, record } = await server.apiKeys.issue(
      { name: 'orders reader', scopes: ['api:read'] },
      { owner: { type: 'service_account', id: 'service' }, allowedScopes: ['api:read', 'api:write'] },
    );
    expect(await oidc.tokenIntrospection(rs, key)).toMatchObject({
      active: true, scope: 'api:read', sub: 'service', client_id: 'service', token_type: 'api_key', key_id: record.id,
      exp: Math.floor(record.expiresAt.getTime() / 1000),
    });

    const last = key.at(-1)!;
    const typo = `${key.slice(0, -1)}${last === 'a' ? 'b' : 'a'}`;
    expect(await oidc.tokenIntrospection(rs, typo)).toEqual({ active: false });

    await server.apiKeys.revoke(record.id);
    expect(await oidc.tokenIntrospection(rs, key)).toEqual({ active: false });
  });

  test('the caller must still authenticate, for a JWT as for an API key', async () => {
    const { key } = await server.apiKeys.issue(
      { name: 'k', scopes: ['api:read'] }, { owner: { type: 'account', id: 'someone' }, allowedScopes: ['api:read'] },
    );
    const wrong = await clientFor(server, 'resource-server', 'basic', 'wrong-secret');
    expect(await oauthError(oidc.tokenIntrospection(wrong, key))).toEqual({ status: 401, error: 'invalid_client' });
    const { access_token: jwt } = await oidc.clientCredentialsGrant(service, { scope: 'api:read', resource: ORDERS });
    expect(await oauthError(oidc.tokenIntrospection(wrong, jwt))).toEqual({ status: 401, error: 'invalid_client' });
  });
});

describe('API-key introspection on the hot path (Redis)', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer({ REDIS_URL: process.env.REDIS_URL! }); });
  afterAll(() => server.close());

  test('costs no token look-up in Redis', async () => {
    const rs = await clientFor(server, 'resource-server');
    const { key } = await server.apiKeys.issue(
      { name: 'k', scopes: ['api:read'] }, { owner: { type: 'account', id: 'someone' }, allowedScopes: ['api:read'] },
    );
    const redisFinds = async () => {
      const metric = await server.metrics.storeDuration.get();
      return metric.values.find((v) => v.metricName?.endsWith('_count') && v.labels.backend === 'redis' && v.labels.operation === 'find')?.value ?? 0;
    };
    await oidc.tokenIntrospection(rs, key); // warm: discovery and client caches
    const before = await redisFinds();
    expect(await oidc.tokenIntrospection(rs, key)).toMatchObject({ active: true });
    expect(await redisFinds()).toBe(before);
  });
});
