import * as oidc from 'openid-client';

import { ADMIN_SCOPES } from '../../src/admin/scopes.ts';
import { ADA, clientFor, startTestServer, type TestServer } from '../support/gatehouse.ts';
import { signIn } from '../support/flows.ts';

describe('admin API: grants', () => {
  let server: TestServer;
  let platformKey: string;
  let otherOrgKey: string;

  beforeAll(async () => {
    server = await startTestServer();
    const issue = async (orgId?: string) => (await server.apiKeys.issue(
      { name: 'grants', scopes: ['admin:grants:read', 'admin:grants:write'] },
      { owner: { type: 'account', id: 'operator' }, orgId, allowedScopes: ADMIN_SCOPES },
    )).key;
    platformKey = await issue();
    otherOrgKey = await issue('org-elsewhere');
  });
  afterAll(() => server.close());

  const call = async (method: string, path: string, key: string) => {
    const res = await fetch(`${server.issuer}/api/v1${path}`, { method, headers: { authorization: `Bearer ${key}` } });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) as Record<string, any> : {} };
  };

  test("list an account's grants, revoke one: its refresh token stops working", async () => {
    const web = await clientFor(server, 'web');
    const { tokens } = await signIn(web, 'https://app.example/cb', { scope: 'openid email offline_access', prompt: 'consent' });
    const ada = (await server.stores.accounts.findByEmail(ADA.email))!;

    const listed = await call('GET', `/accounts/${ada.id}/grants`, platformKey);
    expect(listed.status).toBe(200);
    const grant = listed.body.items.find((g: { client_id: string }) => g.client_id === 'web');
    expect(grant).toMatchObject({ account_id: ada.id, client_name: 'Web App', scopes: expect.arrayContaining(['openid', 'email', 'offline_access']) });

    expect((await call('GET', `/accounts/${ada.id}/grants`, otherOrgKey)).status).toBe(404);
    expect((await call('DELETE', `/grants/${grant.id}`, otherOrgKey)).status).toBe(404);

    expect((await call('DELETE', `/grants/${grant.id}`, platformKey)).status).toBe(204);
    await expect(oidc.refreshTokenGrant(web, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const rs = await clientFor(server, 'resource-server');
    expect(await oidc.tokenIntrospection(rs, tokens.access_token)).toEqual({ active: false });
    expect((await call('DELETE', `/grants/${grant.id}`, platformKey)).status).toBe(404);
  });
});
