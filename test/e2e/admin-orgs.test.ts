import * as oidc from 'openid-client';

import { ADMIN_SCOPES } from '../../src/admin/scopes.ts';
import { createRoles } from '../../src/security/roles.ts';
import { Browser } from '../support/browser.ts';
import { consent, login, startAuthorization } from '../support/flows.ts';
import { clientFor, startTestServer, type TestServer } from '../support/gatehouse.ts';

interface Reply { status: number; body: Record<string, any> }
interface Org { id: string; key: string; adminId: string; invitation?: string }

const WEB_CB = 'https://app.example/cb';
const PASSWORD = 'a long enough passphrase';

describe('organizations, accounts, memberships and invitations (/api/v1)', () => {
  let server: TestServer;
  let platformKey: string;
  let orgA: Org;
  let orgB: Org;

  const issuePlatformKey = async () => (await server.apiKeys.issue({ name: 'platform', scopes: [...ADMIN_SCOPES] }, {
    owner: { type: 'account', id: 'platform-admin' }, allowedScopes: ADMIN_SCOPES,
  })).key;

  beforeAll(async () => {
    server = await startTestServer();
    platformKey = await issuePlatformKey();
    orgA = await createOrg('acme', 'admin@acme.example');
    orgB = await createOrg('globex', 'admin@globex.example');
  });
  afterAll(() => server.close());

  async function call(method: string, path: string, key: string | undefined, body?: unknown): Promise<Reply> {
    const res = await fetch(`${server.issuer}/api/v1${path}`, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : {} };
  }

  async function createOrg(slug: string, email: string): Promise<Org> {
    const res = await call('POST', '/organizations', platformKey, { name: slug.toUpperCase(), slug, admin: { email, name: `${slug} admin` } });
    expect(res.status).toBe(201);
    return { id: res.body.organization.id, key: res.body.api_key.key, adminId: res.body.admin.account.id, invitation: res.body.admin.invitation?.url };
  }

  const keyWith = async (scopes: string[], orgId: string | undefined) => (await server.apiKeys.issue({ name: 'test', scopes }, {
    owner: { type: 'account', id: 'tester' }, orgId, allowedScopes: ADMIN_SCOPES,
  })).key;

  /** Creates an account in the key's organization and returns it with its invitation link. */
  async function invite(key: string, email: string, role = 'member') {
    const res = await call('POST', '/accounts', key, { email, name: email.split('@')[0], role });
    expect(res.status).toBe(201);
    return { id: res.body.account.id as string, url: res.body.invitation.url as string };
  }

  /** What a browser without cookies does with the link: load the form, post it back. */
  async function accept(url: string, password = PASSWORD, confirm = password, origin = new URL(server.issuer).origin) {
    const page = await fetch(url, { headers: { accept: 'text/html' } });
    const html = await page.text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? 'none';
    const res = await fetch(url, {
      method: 'POST', redirect: 'manual',
      headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded', origin },
      body: new URLSearchParams({ csrf, password, password_confirm: confirm }),
    });
    return { form: { status: page.status, html }, status: res.status, html: await res.text() };
  }

  /** Authorization code + PKCE as this person, with offline_access: returns the tokens. */
  async function signInAs(email: string, password = PASSWORD, browser = new Browser()) {
    const web = await clientFor(server, 'web');
    const start = await startAuthorization(web, { redirect_uri: WEB_CB, scope: 'openid offline_access', prompt: 'consent' });
    let page = await browser.open(start.url.href, {}, WEB_CB);
    page = await login(browser, page, WEB_CB, { email, password, name: '' });
    if (/action="[^"]*\/login"/.test(page.html)) return { web, tokens: undefined, page }; // the login form again: refused
    page = await consent(browser, page, WEB_CB);
    const tokens = await oidc.authorizationCodeGrant(web, new URL(page.url), {
      pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce,
    });
    return { web, tokens, page };
  }

  describe('organizations', () => {
    test('creating one makes its first admin (invited, no password) and an admin API key shown once', async () => {
      const res = await call('POST', '/organizations', platformKey, { name: 'Initech', slug: 'initech', admin: { email: 'Boss@Initech.example', name: 'Bill' } });
      expect(res).toMatchObject({ status: 201, body: {
        organization: { name: 'Initech', slug: 'initech', id: expect.any(String) },
        admin: { account: { email: 'boss@initech.example', password_set: false, disabled: false }, invitation: { url: expect.stringMatching(/\/invitations\/[\w-]{43}$/) } },
        api_key: { key: expect.stringMatching(/^gh_test_/), owner: { type: 'account' } },
      } });
      const { organization, api_key: apiKey, admin } = res.body;
      expect(apiKey).toMatchObject({ org_id: organization.id, owner: { id: admin.account.id } });
      expect([...apiKey.scopes].sort()).toEqual(createRoles().scopesOf('admin').sort());
      expect((await call('GET', '/auth/whoami', apiKey.key)).body).toMatchObject({ organization: organization.id, platform_admin: false });
      expect((await call('GET', `/organizations/${organization.id}/members`, apiKey.key)).body.items)
        .toEqual([expect.objectContaining({ account_id: admin.account.id, role: 'admin' })]);
    });

    test('an existing account becomes the admin as it is: no invitation', async () => {
      const res = await call('POST', '/organizations', platformKey, { name: 'Ada Co', slug: 'ada-co', admin: { email: 'ada@example.com', name: 'Ada' } });
      expect(res.status).toBe(201);
      expect(res.body.admin.account).toMatchObject({ email: 'ada@example.com', name: 'Ada Lovelace', password_set: true });
      expect(res.body.admin.invitation).toBeUndefined();
    });

    test('a taken slug is 409; a bad body 400 with fields; no credential 401', async () => {
      const taken = await call('POST', '/organizations', platformKey, { name: 'x', slug: 'acme', admin: { email: 'x@x.example', name: 'x' } });
      expect(taken).toEqual({ status: 409, body: { error: 'conflict', error_description: 'the slug "acme" is taken' } });
      const bad = await call('POST', '/organizations', platformKey, { name: '', slug: 'Not A Slug', admin: { email: 'nope' } });
      expect(bad.status).toBe(400);
      expect(bad.body.fields.map((f: { path: string }) => f.path).sort()).toEqual(['admin.email', 'admin.name', 'name', 'slug']);
      expect((await call('POST', '/organizations', undefined, {})).status).toBe(401);
    });

    test('only the platform creates and deletes organizations', async () => {
      const body = { name: 'x', slug: 'xyz', admin: { email: 'x@x.example', name: 'x' } };
      expect(await call('POST', '/organizations', orgA.key, body)).toMatchObject({ status: 403, body: { error: 'insufficient_scope', scope: 'admin:organizations:write' } });
      const strong = await keyWith(['admin:organizations:write'], orgA.id);
      expect(await call('POST', '/organizations', strong, body)).toMatchObject({ status: 403, body: { error: 'forbidden' } });
      expect((await call('DELETE', `/organizations/${orgA.id}`, strong)).status).toBe(403);
    });

    test("an organization sees only itself; another's id is 404", async () => {
      expect((await call('GET', '/organizations', orgA.key)).body.items.map((o: { id: string }) => o.id)).toEqual([orgA.id]);
      expect((await call('GET', `/organizations/${orgA.id}`, orgA.key)).body).toMatchObject({ slug: 'acme' });
      expect((await call('GET', `/organizations/${orgB.id}`, orgA.key)).status).toBe(404);
      expect((await call('GET', '/organizations/unknown', platformKey)).status).toBe(404);
      const editor = await keyWith(['admin:organizations:write'], orgA.id);
      expect((await call('PATCH', `/organizations/${orgB.id}`, editor, { name: 'mine now' })).status).toBe(404);
      expect((await call('PATCH', `/organizations/${orgA.id}`, orgA.key, { name: 'x' })).status).toBe(403); // the admin role lacks organizations:write
    });

    test('the platform lists every organization in pages, and renames', async () => {
      const first = await call('GET', '/organizations?limit=2', platformKey);
      const second = await call('GET', `/organizations?limit=200&cursor=${first.body.next_cursor}`, platformKey);
      const slugs = [...first.body.items, ...second.body.items].map((o: { slug: string }) => o.slug);
      expect(slugs).toEqual(expect.arrayContaining(['acme', 'globex']));
      expect(new Set(slugs).size).toBe(slugs.length);
      expect((await call('GET', '/organizations?cursor=garbage', platformKey)).status).toBe(400);
      expect((await call('PATCH', `/organizations/${orgB.id}`, platformKey, { name: 'Globex Corp' })).body).toMatchObject({ name: 'Globex Corp' });
      expect((await call('PATCH', `/organizations/${orgB.id}`, platformKey, {})).status).toBe(400);
    });

    test('deleting one revokes its API keys and removes its memberships', async () => {
      const doomed = await createOrg('doomed', 'admin@doomed.example');
      const member = await invite(doomed.key, 'member@doomed.example');
      expect((await call('DELETE', `/organizations/${doomed.id}`, platformKey)).status).toBe(204);
      expect((await call('GET', '/auth/whoami', doomed.key)).status).toBe(401);
      expect((await call('GET', `/organizations/${doomed.id}`, platformKey)).status).toBe(404);
      expect((await call('DELETE', `/organizations/${doomed.id}`, platformKey)).status).toBe(404);
      expect((await accept(member.url)).status).toBe(404); // its pending invitations went with it
    });
  });

  describe('accounts', () => {
    test('an organization admin creates, lists, reads and renames its accounts', async () => {
      const { id } = await invite(orgA.key, 'wile@acme.example');
      expect(await call('GET', `/accounts/${id}`, orgA.key)).toMatchObject({ status: 200, body: { email: 'wile@acme.example', password_set: false } });
      const listed = await call('GET', '/accounts?limit=200', orgA.key);
      expect(listed.body.items.map((a: { id: string }) => a.id)).toEqual(expect.arrayContaining([id, orgA.adminId]));
      expect((await call('GET', '/accounts?email=WILE@acme.example', orgA.key)).body.items.map((a: { id: string }) => a.id)).toEqual([id]);
      expect((await call('PATCH', `/accounts/${id}`, orgA.key, { name: 'Wile E.' })).body).toMatchObject({ name: 'Wile E.' });
      expect((await call('PATCH', `/accounts/${id}`, orgA.key, {})).status).toBe(400);
    });

    test("another organization's account is 404 everywhere and never listed", async () => {
      const { id } = await invite(orgA.key, 'roadrunner@acme.example');
      for (const [method, path, body] of [
        ['GET', `/accounts/${id}`], ['PATCH', `/accounts/${id}`, { name: 'x' }], ['DELETE', `/accounts/${id}`], ['POST', `/accounts/${id}/invitations`],
      ] as const) {
        expect([method, (await call(method, path, orgB.key, body)).status]).toEqual([method, 404]);
      }
      const listB = await call('GET', '/accounts?limit=200', orgB.key);
      expect(listB.body.items.map((a: { id: string }) => a.id)).not.toContain(id);
      expect((await call('GET', '/accounts?email=roadrunner@acme.example', orgB.key)).body.items).toEqual([]);
      expect((await call('POST', '/accounts', orgB.key, { email: 'x@globex.example', name: 'x', organization_id: orgA.id })).status).toBe(404);
      expect((await call('GET', `/accounts/${id}`, platformKey)).status).toBe(200);
    });

    test('a taken email is 409; a bad email or unknown role 400; a readonly key 403', async () => {
      expect((await call('POST', '/accounts', orgA.key, { email: 'ADA@example.com', name: 'x' })).status).toBe(409);
      const bad = await call('POST', '/accounts', orgA.key, { email: 'nope', name: 'x', role: 'owner' });
      expect(bad.status).toBe(400);
      expect(bad.body.fields).toEqual(expect.arrayContaining([{ path: 'role', message: 'is not a known role' }, expect.objectContaining({ path: 'email' })]));
      const readonly = await keyWith(createRoles().scopesOf('readonly'), orgA.id);
      expect(await call('POST', '/accounts', readonly, { email: 'y@acme.example', name: 'y' })).toMatchObject({ status: 403, body: { scope: 'admin:accounts:write' } });
      expect((await call('GET', '/accounts', readonly)).status).toBe(200);
    });

    test('the platform lists all accounts in pages; a bad cursor is 400', async () => {
      const first = await call('GET', '/accounts?limit=2', platformKey);
      expect(first.body.items).toHaveLength(2);
      const rest = await call('GET', `/accounts?limit=200&cursor=${first.body.next_cursor}`, platformKey);
      expect(rest.body.items.map((a: { email: string }) => a.email)).toEqual(expect.arrayContaining(['ada@example.com']));
      expect((await call('GET', '/accounts?cursor=garbage', platformKey)).status).toBe(400);
    });

    test('an account shared with another organization can be changed only by the platform', async () => {
      const { id } = await invite(orgA.key, 'shared@acme.example');
      expect((await call('PUT', `/organizations/${orgB.id}/members/${id}`, platformKey, { role: 'member' })).status).toBe(201);
      expect(await call('PATCH', `/accounts/${id}`, orgA.key, { disabled: true })).toMatchObject({ status: 409, body: { error: 'conflict' } });
      expect((await call('DELETE', `/accounts/${id}`, orgB.key)).status).toBe(409);
      expect((await call('PATCH', `/accounts/${id}`, platformKey, { name: 'Shared' })).status).toBe(200);
    });

    test('deleting an account removes it and its memberships', async () => {
      const { id } = await invite(orgA.key, 'gone@acme.example');
      expect((await call('DELETE', `/accounts/${id}`, orgA.key)).status).toBe(204);
      expect((await call('GET', `/accounts/${id}`, platformKey)).status).toBe(404);
      expect((await call('DELETE', `/accounts/${id}`, orgA.key)).status).toBe(404);
      const members = await call('GET', `/organizations/${orgA.id}/members?limit=200`, orgA.key);
      expect(members.body.items.map((m: { account_id: string }) => m.account_id)).not.toContain(id);
    });
  });

  describe('memberships', () => {
    test('an organization admin lists members and changes roles; another tenant gets 404', async () => {
      const { id } = await invite(orgA.key, 'coyote@acme.example', 'readonly');
      const members = await call('GET', `/organizations/${orgA.id}/members?limit=200`, orgA.key);
      expect(members.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ account_id: id, email: 'coyote@acme.example', role: 'readonly' })]));
      expect(await call('PUT', `/organizations/${orgA.id}/members/${id}`, orgA.key, { role: 'admin' })).toMatchObject({ status: 200, body: { role: 'admin', organization_id: orgA.id } });
      expect((await call('PUT', `/organizations/${orgA.id}/members/${id}`, orgA.key, { role: 'emperor' })).status).toBe(400);
      expect((await call('GET', `/organizations/${orgA.id}/members`, orgB.key)).status).toBe(404);
      expect((await call('PUT', `/organizations/${orgA.id}/members/${id}`, orgB.key, { role: 'member' })).status).toBe(404);
      expect((await call('DELETE', `/organizations/${orgA.id}/members/${id}`, orgB.key)).status).toBe(404);
      // Nor can B pull A's account into its own organization by id.
      expect((await call('PUT', `/organizations/${orgB.id}/members/${id}`, orgB.key, { role: 'member' })).status).toBe(404);
      expect((await call('GET', '/organizations/x/members', orgA.key)).status).toBe(404);
    });

    test("removing a member revokes its API keys for that organization", async () => {
      const { id, url } = await invite(orgA.key, 'temp@acme.example');
      const key = (await server.apiKeys.issue({ name: 'temp', scopes: ['admin:accounts:read'] }, {
        owner: { type: 'account', id }, orgId: orgA.id, allowedScopes: ADMIN_SCOPES,
      })).key;
      expect((await call('GET', '/auth/whoami', key)).status).toBe(200);
      expect((await call('DELETE', `/organizations/${orgA.id}/members/${id}`, orgA.key)).status).toBe(204);
      expect((await call('GET', '/auth/whoami', key)).status).toBe(401);
      expect((await call('DELETE', `/organizations/${orgA.id}/members/${id}`, orgA.key)).status).toBe(404);
      expect((await accept(url)).status).toBe(404); // the pending link cannot bring it back
    });
  });

  describe('invitations', () => {
    test('the link shows a form, sets the password once, and joins the organization', async () => {
      const { id, url } = await invite(orgA.key, 'newbie@acme.example', 'member');
      const result = await accept(url);
      expect(result.form.status).toBe(200);
      expect(result.form.html).toContain('autocomplete="new-password"');
      expect(result.form.html).toContain('<label for="password">');
      expect(result.status).toBe(200);
      expect(result.html).toContain('Your password is set');
      expect((await call('GET', `/accounts/${id}`, orgA.key)).body).toMatchObject({ password_set: true });
      expect((await signInAs('newbie@acme.example')).tokens?.refresh_token).toEqual(expect.any(String));

      const again = await accept(url, 'another long passphrase');
      expect(again.form.status).toBe(404);
      const unknown = await fetch(`${server.issuer}/invitations/${'A'.repeat(43)}`, { headers: { accept: 'text/html' } });
      expect(unknown.status).toBe(404);
      // Used and unknown look the same.
      expect(await unknown.text()).toBe(again.form.html);
      // An account with a password gets no new link.
      expect((await call('POST', `/accounts/${id}/invitations`, orgA.key)).status).toBe(409);
    });

    test('a new link replaces the old one', async () => {
      const { id, url } = await invite(orgA.key, 'again@acme.example');
      const reissued = await call('POST', `/accounts/${id}/invitations`, orgA.key);
      expect(reissued).toMatchObject({ status: 201, body: { url: expect.any(String), expires_at: expect.any(String) } });
      expect((await accept(url)).form.status).toBe(404);
      expect((await accept(reissued.body.url)).status).toBe(200);
    });

    test('a weak or mistyped password re-shows the form; a forged or cross-site post is refused', async () => {
      const { url } = await invite(orgA.key, 'careful@acme.example');
      const weak = await accept(url, 'short');
      expect(weak.status).toBe(400);
      expect(weak.html).toContain('The password must be at least 8 characters.');
      expect((await accept(url, PASSWORD, 'something else')).html).toContain('The two passwords are not the same.');
      expect((await accept(url, PASSWORD, PASSWORD, 'https://evil.example')).status).toBe(403);
      const forged = await fetch(url, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf: 'forged', password: PASSWORD, password_confirm: PASSWORD }),
      });
      expect(forged.status).toBe(403);
      expect((await accept(url)).status).toBe(200); // the link survived the failures
    });
  });

  describe.each(['memory', 'redis'] as const)('disabling and deleting end access (sessions and tokens in %s)', (backend) => {
    // The Redis run swaps in a server whose sessions and access tokens live in Redis.
    let saved: [TestServer, string, Org] | undefined;
    beforeAll(async () => {
      if (backend === 'memory') return;
      saved = [server, platformKey, orgA];
      server = await startTestServer({ REDIS_URL: process.env.REDIS_URL! });
      platformKey = await issuePlatformKey();
      orgA = await createOrg('acme', 'admin@acme.example');
    });
    afterAll(async () => {
      if (!saved) return;
      await server.close();
      [server, platformKey, orgA] = saved;
    });

    const showsLogin = (html: string) => /action="[^"]*\/login"/.test(html);
    /** Whether the browser still has a session: a new authorization request skips the login form. */
    async function hasSession(browser: Browser, web: oidc.Configuration) {
      const start = await startAuthorization(web, { redirect_uri: WEB_CB });
      return !showsLogin((await browser.open(start.url.href, {}, WEB_CB)).html);
    }

    test('disable: sessions, refresh and access tokens end and login is refused; enable lets them sign in again', async () => {
      const { id, url } = await invite(orgA.key, 'disabled@acme.example');
      await accept(url);
      const browser = new Browser();
      const { web, tokens } = await signInAs('disabled@acme.example', PASSWORD, browser);
      const refreshed = await oidc.refreshTokenGrant(web, tokens!.refresh_token!);
      expect(await hasSession(browser, web)).toBe(true);

      expect(await call('PATCH', `/accounts/${id}`, orgA.key, { disabled: true })).toMatchObject({ status: 200, body: { disabled: true } });
      await expect(oidc.refreshTokenGrant(web, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
      const rs = await clientFor(server, 'resource-server');
      expect(await oidc.tokenIntrospection(rs, refreshed.access_token)).toEqual({ active: false });
      const refused = await signInAs('disabled@acme.example');
      expect(refused.tokens).toBeUndefined();
      expect(refused.page.html).toContain('The email or password is incorrect.');

      expect((await call('PATCH', `/accounts/${id}`, orgA.key, { disabled: false })).body).toMatchObject({ disabled: false });
      // Re-enabling brings nothing back: the grant and the session were destroyed, not hidden.
      await expect(oidc.refreshTokenGrant(web, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
      expect(await hasSession(browser, web)).toBe(false);
      expect((await signInAs('disabled@acme.example')).tokens?.refresh_token).toEqual(expect.any(String));
    });

    test('delete: the refresh and access tokens stop working', async () => {
      const { id, url } = await invite(orgA.key, 'deleted@acme.example');
      await accept(url);
      const { web, tokens } = await signInAs('deleted@acme.example');
      const rs = await clientFor(server, 'resource-server');
      expect(await oidc.tokenIntrospection(rs, tokens!.access_token)).toMatchObject({ active: true });
      expect((await call('DELETE', `/accounts/${id}`, orgA.key)).status).toBe(204);
      await expect(oidc.refreshTokenGrant(web, tokens!.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
      expect(await oidc.tokenIntrospection(rs, tokens!.access_token)).toEqual({ active: false });
    });
  });
});
