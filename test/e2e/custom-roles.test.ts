import { ADMIN_SCOPES } from '../../src/admin/scopes.ts';
import { startTestServer, type TestServer } from '../support/gatehouse.ts';

/** Custom organization roles from GATEHOUSE_ROLES are usable like the built-in ones. */
describe('GATEHOUSE_ROLES', () => {
  let server: TestServer;
  let platformKey: string;

  beforeAll(async () => {
    server = await startTestServer({ GATEHOUSE_ROLES: '{"auditor":["admin:accounts:read","admin:grants:read"]}' });
    platformKey = (await server.apiKeys.issue(
      { name: 'platform', scopes: [...ADMIN_SCOPES] }, { owner: { type: 'account', id: 'platform' }, allowedScopes: ADMIN_SCOPES },
    )).key;
  });
  afterAll(() => server.close());

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.issuer}/api/v1${path}`, {
      method, headers: { authorization: `Bearer ${platformKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json().catch(() => ({})) as Record<string, any> };
  };

  test('a member can be given a custom role; an unknown role is a 400 naming the field', async () => {
    const org = await call('POST', '/organizations', { name: 'Audit Co', slug: 'audit-co', admin: { email: 'lead@audit.example', name: 'Lead' } });
    expect(org.status).toBe(201);
    const orgId = org.body.organization.id as string;
    const account = await call('POST', '/accounts', { email: 'eve@audit.example', name: 'Eve', organization_id: orgId, role: 'auditor' });
    expect(account.status).toBe(201);
    const accountId = account.body.account.id as string;

    expect(await call('PUT', `/organizations/${orgId}/members/${accountId}`, { role: 'auditor' }))
      .toMatchObject({ status: 200, body: { role: 'auditor' } });
    expect(await call('PUT', `/organizations/${orgId}/members/${accountId}`, { role: 'nope' }))
      .toMatchObject({ status: 400, body: { fields: [{ path: 'role', message: 'is not a known role' }] } });
  });
});
