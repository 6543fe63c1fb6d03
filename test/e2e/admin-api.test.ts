import * as oidc from 'openid-client';

import { adminRoutes } from '../../src/admin/index.ts';
import { koaPath } from '../../src/admin/route.ts';
import { ADMIN_SCOPES } from '../../src/admin/scopes.ts';
import { clientFor, startTestServer, type TestServer } from '../support/gatehouse.ts';

interface Reply { status: number; body: Record<string, any>; headers: Headers }

describe('admin API (/api/v1)', () => {
  let server: TestServer;
  let platformKey: string;
  let orgAKey: string;
  let orgBKey: string;
  let readOnlyKey: string;

  const issueKey = async (scopes: readonly string[], orgId?: string, id = 'someone') => (await server.apiKeys.issue(
    { name: `test ${orgId ?? 'platform'}`, scopes: [...scopes] },
    { owner: { type: 'account', id }, orgId, allowedScopes: ADMIN_SCOPES },
  )).key;

  beforeAll(async () => {
    server = await startTestServer();
    platformKey = await issueKey(ADMIN_SCOPES, undefined, 'platform-admin');
    orgAKey = await issueKey(['admin:api-keys:read', 'admin:api-keys:write', 'admin:resource-servers:read'], 'org-a', 'alice');
    orgBKey = await issueKey(['admin:api-keys:read', 'admin:api-keys:write'], 'org-b', 'bob');
    readOnlyKey = await issueKey(['admin:api-keys:read'], 'org-a', 'carol');
  });
  afterAll(() => server.close());

  async function call(method: string, path: string, key: string | undefined, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const res = await fetch(`${server.issuer}/api/v1${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : {}, headers: res.headers };
  }

  describe('authentication', () => {
    test('whoami answers for an API key, by Authorization or X-API-Key', async () => {
      const viaBearer = await call('GET', '/auth/whoami', orgAKey);
      expect(viaBearer).toMatchObject({ status: 200, body: {
        subject: { type: 'account', id: 'alice' }, organization: 'org-a', platform_admin: false,
        scopes: ['admin:api-keys:read', 'admin:api-keys:write', 'admin:resource-servers:read'],
        credential: { type: 'api_key', key_id: expect.any(String) }, expires_at: expect.any(String),
      } });
      const viaHeader = await call('GET', '/auth/whoami', undefined, undefined, { 'x-api-key': platformKey });
      expect(viaHeader.body).toMatchObject({ organization: null, platform_admin: true });
    });

    test('a missing credential is 401 with a Bearer challenge; an invalid one names invalid_token', async () => {
      const missing = await call('GET', '/auth/whoami', undefined);
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse-admin"');
      expect(missing.body).toEqual({ error: 'invalid_token', error_description: 'an API key or access token is required' });

      const typo = `${orgAKey.slice(0, -1)}${orgAKey.endsWith('a') ? 'b' : 'a'}`;
      for (const credential of [typo, 'not-a-token']) {
        const invalid = await call('GET', '/auth/whoami', credential);
        expect(invalid.status).toBe(401);
        expect(invalid.headers.get('www-authenticate')).toMatch(/^Bearer realm="gatehouse-admin", error="invalid_token"/);
      }
    });

    test('a valid caller without the scope is 403 insufficient_scope naming it (RFC 6750 §3.1)', async () => {
      const res = await call('POST', '/api-keys', readOnlyKey, { name: 'x', scopes: ['admin:api-keys:read'] });
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ error: 'insufficient_scope', error_description: 'this operation needs the scope admin:api-keys:write', scope: 'admin:api-keys:write' });
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse-admin", error="insufficient_scope", scope="admin:api-keys:write"');
    });

    test("a service account's access token for the admin API resource works; one for another audience does not", async () => {
      const ops = await clientFor(server, 'admin-service');
      const { access_token: token } = await oidc.clientCredentialsGrant(ops, { scope: 'admin:api-keys:read', resource: `${server.issuer}/api/v1` });
      expect((await call('GET', '/auth/whoami', token)).body).toMatchObject({
        subject: { type: 'service_account', id: 'admin-service' }, scopes: ['admin:api-keys:read'], credential: { type: 'access_token' },
      });
      expect((await call('GET', '/api-keys', token)).status).toBe(200);
      expect((await call('POST', '/api-keys', token, { name: 'x', scopes: ['admin:api-keys:read'] })).status).toBe(403);

      const { access_token: plain } = await oidc.clientCredentialsGrant(ops, { scope: 'admin:api-keys:read' });
      expect((await call('GET', '/auth/whoami', plain)).status).toBe(401);
    });
  });

  describe('API keys', () => {
    test('the lifecycle: create (shown once) → use → list → rotate → old one dies → revoke', async () => {
      const created = await call('POST', '/api-keys', orgAKey, { name: 'deploy bot', scopes: ['admin:api-keys:read'], expires_in_days: 7 });
      expect(created.status).toBe(201);
      const { key, id } = created.body as { key: string; id: string };
      expect(key).toMatch(/^gh_test_/);
      expect(created.body).toMatchObject({ name: 'deploy bot', status: 'active', owner: { type: 'account', id: 'alice' }, org_id: 'org-a', last4: key.slice(-4) });

      expect((await call('GET', '/auth/whoami', key)).body).toMatchObject({ organization: 'org-a', scopes: ['admin:api-keys:read'] });
      const rs = await clientFor(server, 'resource-server');
      expect(await oidc.tokenIntrospection(rs, key)).toMatchObject({ active: true, scope: 'admin:api-keys:read', org_id: 'org-a' });

      const listed = await call('GET', '/api-keys?limit=200', orgAKey);
      const entry = listed.body.items.find((k: { id: string }) => k.id === id);
      expect(entry).toMatchObject({ name: 'deploy bot', prefix: `gh_test_${id}`, last4: key.slice(-4) });
      expect(JSON.stringify(listed.body)).not.toContain(key);

      const rotated = await call('POST', `/api-keys/${id}:rotate`, orgAKey, {});
      expect(rotated.status).toBe(201);
      expect(rotated.body).toMatchObject({ name: 'deploy bot', rotated_from: id });
      expect((await call('GET', '/auth/whoami', key)).status).toBe(401);
      const next = rotated.body.key as string;
      expect((await call('GET', '/auth/whoami', next)).status).toBe(200);

      expect((await call('DELETE', `/api-keys/${rotated.body.id}`, orgAKey)).status).toBe(204);
      expect((await call('GET', '/auth/whoami', next)).status).toBe(401);
      expect(await oidc.tokenIntrospection(rs, next)).toEqual({ active: false });
      expect((await call('GET', `/api-keys/${rotated.body.id}`, orgAKey)).body).toMatchObject({ status: 'revoked' });
    });

    test('a key never gets a scope its maker lacks', async () => {
      const res = await call('POST', '/api-keys', orgAKey, { name: 'escalate', scopes: ['admin:resource-servers:write'] });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request', fields: [{ path: expect.stringMatching(/^scopes/), message: expect.any(String) }] });
    });

    test('only the platform picks a rate-limit tier: an organization cannot make itself premium', async () => {
      const res = await call('POST', '/api-keys', orgAKey, { name: 'fast', scopes: ['admin:api-keys:read'], rate_limit_tier: 'premium' });
      expect(res).toMatchObject({ status: 400, body: { fields: [{ path: 'rate_limit_tier' }] } });
      const platform = await call('POST', '/api-keys', platformKey, { name: 'fast', scopes: ['admin:api-keys:read'], rate_limit_tier: 'premium' });
      expect(platform).toMatchObject({ status: 201, body: { rate_limit_tier: 'premium' } });
    });

    test('bad bodies are 400 with fields, bad JSON 400, other media types 415', async () => {
      const invalid = await call('POST', '/api-keys', orgAKey, { scopes: 'admin:api-keys:read', extra: 1 });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error).toBe('invalid_request');
      expect(invalid.body.fields.map((f: { path: string }) => f.path).sort()).toEqual(['body', 'name', 'scopes']);

      expect((await call('POST', '/api-keys', orgAKey, '{"name":')).body).toEqual({ error: 'invalid_request', error_description: 'the request body is not valid JSON' });
      const form = await fetch(`${server.issuer}/api/v1/api-keys`, {
        method: 'POST', headers: { authorization: `Bearer ${orgAKey}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=x',
      });
      expect(form.status).toBe(415);
    });

    test("tenants are isolated: another organization's key is 404 and never listed", async () => {
      const created = await call('POST', '/api-keys', orgAKey, { name: 'a-only', scopes: ['admin:api-keys:read'] });
      const id = created.body.id as string;
      expect((await call('GET', `/api-keys/${id}`, orgBKey)).status).toBe(404);
      expect((await call('POST', `/api-keys/${id}:rotate`, orgBKey, {})).status).toBe(404);
      expect((await call('DELETE', `/api-keys/${id}`, orgBKey)).status).toBe(404);
      const listB = await call('GET', '/api-keys?limit=200', orgBKey);
      expect(listB.body.items.every((k: { org_id?: string }) => k.org_id === 'org-b')).toBe(true);
      expect((await call('GET', `/api-keys/${id}`, platformKey)).status).toBe(200);
      expect((await call('GET', '/api-keys/unknown', orgAKey)).status).toBe(404);
    });

    test('lists page with a cursor', async () => {
      for (let i = 0; i < 3; i += 1) await call('POST', '/api-keys', orgBKey, { name: `page ${i}`, scopes: ['admin:api-keys:read'] });
      const first = await call('GET', '/api-keys?limit=2', orgBKey);
      expect(first.body.items).toHaveLength(2);
      const second = await call('GET', `/api-keys?limit=2&cursor=${first.body.next_cursor}`, orgBKey);
      const ids = [...first.body.items, ...second.body.items].map((k: { id: string }) => k.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect((await call('GET', '/api-keys?cursor=garbage', orgBKey)).status).toBe(400);
    });
  });

  describe('resource servers', () => {
    const id = encodeURIComponent('https://billing.example/api');

    test('a platform admin registers one; clients then get tokens for it', async () => {
      const put = await call('PUT', `/resource-servers/${id}`, platformKey, { scope: 'api:read', access_token_format: 'jwt', access_token_ttl: 120 });
      expect(put).toMatchObject({ status: 200, body: { identifier: 'https://billing.example/api', access_token_format: 'jwt', access_token_ttl: 120 } });
      const service = await clientFor(server, 'service');
      const tokens = await oidc.clientCredentialsGrant(service, { scope: 'api:read', resource: 'https://billing.example/api' });
      expect(tokens.expires_in).toBe(120);
      expect((await call('GET', '/resource-servers', platformKey)).body.items.map((s: { identifier: string }) => s.identifier))
        .toContain('https://billing.example/api');
      expect((await call('DELETE', `/resource-servers/${id}`, platformKey)).status).toBe(204);
      expect((await call('GET', `/resource-servers/${id}`, platformKey)).status).toBe(404);
    });

    test('an unknown scope is refused with the field; an organization admin may not manage them', async () => {
      const bad = await call('PUT', `/resource-servers/${id}`, platformKey, { scope: 'api:read nope:nope' });
      expect(bad).toMatchObject({ status: 400, body: { fields: [{ path: 'scope', message: '"nope:nope" is not a scope this server knows (API_SCOPES)' }] } });
      expect((await call('GET', '/resource-servers', orgAKey)).status).toBe(403);
    });
  });

  describe('signing keys', () => {
    test('a platform admin lists kid, alg, state and creation, never key material; an organization may not', async () => {
      const res = await call('GET', '/keys', platformKey);
      expect(res.status).toBe(200);
      expect(res.body.items.map((k: { alg: string; state: string }) => `${k.alg} ${k.state}`).sort())
        .toEqual(['ES256 current', 'ES256 next', 'EdDSA current', 'EdDSA next', 'RS256 current', 'RS256 next']);
      expect(res.body.items[0]).toEqual({ kid: expect.any(String), alg: expect.any(String), state: expect.any(String), created_at: expect.any(String) });
      const jwks = await (await fetch(`${server.issuer}/jwks`)).json() as { keys: Array<{ kid: string }> };
      expect(res.body.items.map((k: { kid: string }) => k.kid).sort()).toEqual(jwks.keys.map((k) => k.kid).sort());
      expect((await call('GET', '/keys', orgAKey)).status).toBe(403);
    });
  });

  describe('OpenAPI document', () => {
    test('is served at /api/v1/openapi.json and lists exactly the routes the server answers', async () => {
      const res = await fetch(`${server.issuer}/api/v1/openapi.json`);
      const doc = await res.json() as { openapi: string; paths: Record<string, Record<string, { operationId: string }>> };
      expect(doc.openapi).toBe('3.1.0');
      const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${koaPath(path)}`));
      expect(documented.length).toBeGreaterThanOrEqual(10);
      const served = adminRoutes({} as never).map((r) => `${r.method.toUpperCase()} ${koaPath(r.path)}`);
      expect(documented.sort()).toEqual(served.sort());
      // And every documented route really answers (an unauthenticated call is a 401, not a 404).
      for (const [path, ops] of Object.entries(doc.paths)) {
        for (const method of Object.keys(ops)) {
          const concrete = path.replace(/\{\w+\}/g, 'x');
          const answer = await fetch(`${server.issuer}/api/v1${concrete}`, { method: method.toUpperCase() });
          expect([method, path, answer.status]).toEqual([method, path, 401]);
        }
      }
    });
  });
});
