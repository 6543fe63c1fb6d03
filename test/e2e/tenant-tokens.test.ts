import * as oidc from 'openid-client';
import { decodeJwt } from 'jose';

import { ADMIN_SCOPES, adminResourceFor } from '../../src/admin/scopes.ts';
import { Browser } from '../support/browser.ts';
import { consent, login, startAuthorization } from '../support/flows.ts';
import { createPasswordHasher } from '../../src/security/passwords.ts';
import { ADA, clientFor, startTestServer, type TestServer } from '../support/gatehouse.ts';

interface Reply { status: number; body: Record<string, any> }

const CB = 'https://console.acme.example/cb';
const GRACE = { email: 'grace@example.com', password: 'another good passphrase', name: 'Grace Hopper' };
const ASKED = 'admin:clients:read admin:clients:write admin:organizations:write';

/**
 * Tokens carry the tenant: `org_id` and `roles` in ID tokens and access tokens, and a
 * token's admin scopes are what was asked ∩ what the client may ask ∩ what the roles allow.
 */
describe('tenant and roles in tokens', () => {
  let server: TestServer;
  let platformKey: string;
  let orgId: string;
  let orgKey: string;
  let console_: oidc.Configuration;
  let adminApi: string;

  async function call(method: string, path: string, credential: string, body?: unknown): Promise<Reply> {
    const res = await fetch(`${server.issuer}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${credential}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : {} };
  }

  async function introspect(token: string) {
    const rs = await clientFor(server, 'resource-server');
    return oidc.tokenIntrospection(rs, token);
  }

  async function signInWith(who: { email: string; password: string; name: string }, scope: string, resource: string, browser: Browser) {
    const start = await startAuthorization(console_, { redirect_uri: CB, scope: `openid ${scope}`, resource });
    let page = await browser.open(start.url.href, {}, CB);
    if (!page.url.startsWith(CB)) page = await login(browser, page, CB, who);
    const consentShown = !page.url.startsWith(CB);
    page = await consent(browser, page, CB);
    const tokens = await oidc.authorizationCodeGrant(console_, new URL(page.url), {
      pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce,
    }, { resource });
    return { tokens, consentShown, browser };
  }

  beforeAll(async () => {
    server = await startTestServer();
    adminApi = adminResourceFor(server.issuer);
    platformKey = (await server.apiKeys.issue({ name: 'platform', scopes: [...ADMIN_SCOPES] }, {
      owner: { type: 'account', id: 'platform-admin' }, allowedScopes: ADMIN_SCOPES,
    })).key;
    // Ada, an existing account, becomes acme's admin; Grace joins it read-only.
    const org = await call('POST', '/organizations', platformKey, { name: 'Acme', slug: 'acme', admin: { email: 'ada@example.com', name: 'Ada' } });
    expect(org.status).toBe(201);
    orgId = org.body.organization.id;
    orgKey = org.body.api_key.key;
    const grace = (await call('GET', `/accounts?email=${GRACE.email}`, platformKey)).body.items[0];
    expect((await call('PUT', `/organizations/${orgId}/members/${grace.id}`, platformKey, { role: 'readonly' })).status).toBeLessThan(300);
    // A console app of the platform (no organization of its own) that may ask for admin
    // scopes: who signs in decides the tenant.
    const created = await call('POST', '/clients', platformKey, {
      client_id: 'acme-console', client_name: 'Acme Console', token_endpoint_auth_method: 'none',
      redirect_uris: [CB], grant_types: ['authorization_code'], response_types: ['code'],
      scope: `openid api:read ${ASKED}`,
    });
    expect(created.status).toBe(201);
    console_ = await clientFor(server, 'acme-console', 'none');
  });
  afterAll(() => server.close());

  test('an org admin gets org_id and roles in the ID token and only the admin scopes its role allows', async () => {
    const { tokens } = await signInWith(ADA, ASKED, adminApi, new Browser());
    expect(tokens.claims()).toMatchObject({ org_id: orgId, roles: ['admin'] });
    // admin:organizations:write is platform-only: no organization role carries it.
    expect(tokens.scope?.split(' ').sort()).toEqual(['admin:clients:read', 'admin:clients:write']);
    expect(await introspect(tokens.access_token)).toMatchObject({
      active: true, org_id: orgId, roles: ['admin'], scope: expect.not.stringContaining('organizations'),
    });
    const whoami = await call('GET', '/auth/whoami', tokens.access_token);
    expect(whoami).toMatchObject({ status: 200, body: {
      subject: { type: 'account' }, organization: orgId, platform_admin: false, credential: { type: 'access_token' },
    } });
    expect(whoami.body.scopes).toEqual(['admin:clients:read', 'admin:clients:write']);
    expect((await call('GET', '/clients', tokens.access_token)).status).toBe(200);
    expect((await call('POST', '/organizations', tokens.access_token, {})).body).toMatchObject({ error: 'insufficient_scope' });
  });

  test('a read-only member gets read scopes only, and is not asked again for what the role refused', async () => {
    const browser = new Browser();
    const first = await signInWith(GRACE, ASKED, adminApi, browser);
    expect(first.consentShown).toBe(true);
    expect(first.tokens.claims()).toMatchObject({ org_id: orgId, roles: ['readonly'] });
    expect(first.tokens.scope).toBe('admin:clients:read');
    expect((await call('POST', '/clients', first.tokens.access_token, { client_id: 'x', redirect_uris: [CB] })))
      .toMatchObject({ status: 403, body: { error: 'insufficient_scope', scope: 'admin:clients:write' } });
    // The refused scopes are recorded as decided: the second sign-in goes straight through.
    const second = await signInWith(GRACE, ASKED, adminApi, browser);
    expect(second.consentShown).toBe(false);
    expect(second.tokens.scope).toBe('admin:clients:read');
  });

  test('JWT access tokens for a resource server carry org_id and roles', async () => {
    const { tokens } = await signInWith(GRACE, 'api:read', 'https://orders.example/api', new Browser());
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({ aud: 'https://orders.example/api', sub: expect.any(String), org_id: orgId, roles: ['readonly'], scope: 'api:read' });
  });

  test('a role change reaches tokens already issued at the admin API', async () => {
    const mallory = { email: 'mallory@acme.example', password: 'a long enough passphrase', name: 'Mallory' };
    const account = await call('POST', '/accounts', orgKey, { email: mallory.email, name: mallory.name, role: 'admin' });
    expect(account.status).toBe(201);
    await server.stores.accounts.update(account.body.account.id, { passwordHash: await hash(mallory.password) });
    const { tokens } = await signInWith(mallory, ASKED, adminApi, new Browser());
    expect((await call('GET', '/auth/whoami', tokens.access_token)).body.scopes).toContain('admin:clients:write');
    expect((await call('PUT', `/organizations/${orgId}/members/${account.body.account.id}`, orgKey, { role: 'readonly' })).status).toBeLessThan(300);
    expect((await call('GET', '/auth/whoami', tokens.access_token)).body.scopes).toEqual(['admin:clients:read']);
    expect((await call('DELETE', `/organizations/${orgId}/members/${account.body.account.id}`, orgKey)).status).toBeLessThan(300);
    expect(await call('GET', '/auth/whoami', tokens.access_token)).toMatchObject({ status: 403, body: { error: 'forbidden' } });
  });

  test('an account outside every organization gets no admin scope and no tenant claims', async () => {
    // The seeded web client may not ask for admin scopes at all; acme-console may, but
    // a sign-in there by a non-member speaks for no tenant.
    const outsider = { email: 'outsider@example.com', password: 'a long enough passphrase', name: 'Outsider' };
    await server.stores.accounts.create({ email: outsider.email, name: outsider.name, passwordHash: await hash(outsider.password) });
    const { tokens } = await signInWith(outsider, ASKED, adminApi, new Browser());
    expect(tokens.claims()?.org_id).toBeUndefined();
    expect(tokens.scope ?? '').toBe('');
    expect((await call('GET', '/auth/whoami', tokens.access_token)).status).toBe(403);
  });

  test('a platform admin signing in gets every admin scope asked and acts outside every organization', async () => {
    const root = { email: 'root@example.com', password: 'a long enough passphrase', name: 'Root' };
    const account = await server.stores.accounts.create({ email: root.email, name: root.name, passwordHash: await hash(root.password) });
    await server.stores.accounts.update(account.id, { platformAdmin: true });
    const { tokens } = await signInWith(root, ASKED, adminApi, new Browser());
    expect(tokens.claims()?.org_id).toBeUndefined();
    expect(tokens.scope?.split(' ').sort()).toEqual(ASKED.split(' ').sort());
    expect((await call('GET', '/auth/whoami', tokens.access_token)).body).toMatchObject({ organization: null, platform_admin: true });
    expect((await call('GET', '/clients?limit=200', tokens.access_token)).body.items.map((c: { client_id: string }) => c.client_id)).toContain('web');
  });

  test('client credentials tokens of an organization service account carry its org_id', async () => {
    const sa = await call('POST', '/service-accounts', orgKey, { name: 'acme worker', scopes: ['api:read'] });
    expect(sa.status).toBe(201);
    const { client_id: id, client_secret: secret } = sa.body;
    const cfg = await oidc.discovery(new URL(server.issuer), id, secret, oidc.ClientSecretBasic(secret), { execute: [oidc.allowInsecureRequests] });
    const token = await oidc.clientCredentialsGrant(cfg, { scope: 'api:read' });
    expect(await introspect(token.access_token)).toMatchObject({ active: true, client_id: id, org_id: orgId });
  });

  const hash = (password: string) => createPasswordHasher({ memoryCost: 19456, timeCost: 2, parallelism: 1 }).hash(password);
});
