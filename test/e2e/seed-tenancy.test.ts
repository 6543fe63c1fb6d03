import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as oidc from 'openid-client';

import { generateApiKey, parseApiKey } from '../../src/security/api-key-format.ts';
import { clientFor, startTestServer, type TestServer } from '../support/gatehouse.ts';

const SA_SECRET = 'acme-billing-secret-for-tests-only-0123456789';
const ORG_KEY = generateApiKey('test').key;
const SA_KEY = generateApiKey('test').key;
const PLATFORM_KEY = generateApiKey('test').key;

/** A seed of its own (the shared fixture's entries stay as other tests expect them). */
const SEED = {
  accounts: [
    { email: 'ops@example.com', name: 'Ops', password: 'a long platform passphrase', platform_admin: true },
    { email: 'grace@acme.example', name: 'Grace', password: 'another good passphrase' },
  ],
  organizations: [{ slug: 'acme', name: 'Acme', members: [{ email: 'grace@acme.example', role: 'admin' }] }],
  clients: [{
    client_id: 'acme-billing', client_name: 'Acme billing', service_account: true, org: 'acme', client_secret: SA_SECRET,
    grant_types: ['client_credentials'], scope: 'api:read api:write', ip_allow_list: ['127.0.0.0/8', '::1'],
  }],
  api_keys: [
    { key: ORG_KEY, name: 'acme ops', owner: { account: 'grace@acme.example' }, org: 'acme', scopes: ['admin:accounts:read', 'admin:service-accounts:read'] },
    { key: SA_KEY, name: 'billing batch', owner: { service_account: 'acme-billing' }, scopes: ['api:read'] },
    { key: PLATFORM_KEY, name: 'platform', owner: { account: 'ops@example.com' }, scopes: ['admin:service-accounts:read', 'admin:service-accounts:write'] },
  ],
};

describe('a seeded organization, service account and API keys on a running server', () => {
  let server: TestServer;
  let orgId: string;

  async function call(method: string, path: string, key: string, body?: unknown) {
    const res = await fetch(`${server.issuer}/api/v1${path}`, {
      method, headers: { authorization: `Bearer ${key}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() as Record<string, any> };
  }

  beforeAll(async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'gatehouse-seed-')), 'seed.json');
    await writeFile(path, JSON.stringify(SEED));
    server = await startTestServer({ GATEHOUSE_SEED: path });
    orgId = (await server.stores.organizations.findBySlug('acme'))!.id;
  });
  afterAll(() => server.close());

  test('the organization API key is the org admin at /auth/whoami', async () => {
    const grace = (await server.stores.accounts.findByEmail('grace@acme.example'))!;
    expect(await call('GET', '/auth/whoami', ORG_KEY)).toEqual({ status: 200, body: {
      subject: { type: 'account', id: grace.id }, organization: orgId, platform_admin: false,
      scopes: ['admin:accounts:read', 'admin:service-accounts:read'], expires_at: expect.any(String),
      credential: { type: 'api_key', key_id: parseApiKey(ORG_KEY)!.id },
    } });
    // Its organization's objects only: the seeded service account is there.
    const listed = await call('GET', '/service-accounts', ORG_KEY);
    expect(listed.body.items.map((s: { client_id: string }) => s.client_id)).toEqual(['acme-billing']);
  });

  test('the keys introspect as active with their organization (RFC 7662)', async () => {
    const rs = await clientFor(server, 'acme-billing', 'basic', SA_SECRET);
    expect(await oidc.tokenIntrospection(rs, ORG_KEY)).toMatchObject({ active: true, token_type: 'api_key', org_id: orgId, scope: 'admin:accounts:read admin:service-accounts:read' });
    expect(await oidc.tokenIntrospection(rs, SA_KEY)).toMatchObject({ active: true, token_type: 'api_key', client_id: 'acme-billing', sub: 'acme-billing', org_id: orgId, scope: 'api:read' });
  });

  test('the seeded service account gets a client-credentials token', async () => {
    const sa = await clientFor(server, 'acme-billing', 'basic', SA_SECRET);
    const tokens = await oidc.clientCredentialsGrant(sa, { scope: 'api:read' });
    expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'api:read' });
    expect(await oidc.tokenIntrospection(sa, tokens.access_token)).toMatchObject({ active: true, client_id: 'acme-billing', scope: 'api:read' });
  });

  test('it is stored exactly like a service account the admin API creates', async () => {
    const created = await call('POST', '/service-accounts', PLATFORM_KEY, { name: 'Made by API', scopes: ['api:read'], org_id: orgId, ip_allow_list: ['10.0.0.0/8'] });
    expect(created.status).toBe(201);
    const made = (await server.stores.clients.find(created.body.client_id))!;
    const seeded = (await server.stores.clients.find('acme-billing'))!;
    expect(Object.keys(seeded).sort()).toEqual(Object.keys(made).sort());
    expect(seeded).toMatchObject({ service_account: true, org_id: orgId, grant_types: ['client_credentials'], ip_allow_list: ['127.0.0.0/8', '::1/128'] });
    expect((await call('GET', '/service-accounts/acme-billing', PLATFORM_KEY)).body).toEqual({
      client_id: 'acme-billing', name: 'Acme billing', org_id: orgId, scopes: ['api:read', 'api:write'],
      ip_allow_list: ['127.0.0.0/8', '::1/128'], token_endpoint_auth_method: 'client_secret_basic',
    });
  });

  test('the platform admin flag and the summary the server keeps', async () => {
    expect((await server.stores.accounts.findByEmail('ops@example.com'))!.platformAdmin).toBe(true);
    expect(server.seeded).toMatchObject({
      organizations: [{ slug: 'acme', id: orgId, action: 'create' }],
      api_keys: [{ name: 'acme ops', action: 'create' }, { name: 'billing batch', organization: 'acme' }, { name: 'platform' }],
    });
    expect(JSON.stringify(server.seeded)).not.toContain(parseApiKey(ORG_KEY)!.secret);
  });
});
