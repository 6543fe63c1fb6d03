import * as oidc from 'openid-client';

import { ADMIN_SCOPES } from '../../src/admin/scopes.ts';
import { Browser } from '../support/browser.ts';
import { consent, login, signIn, startAuthorization } from '../support/flows.ts';
import { ADA, clientFor, startTestServer, type TestServer } from '../support/gatehouse.ts';

interface Reply { status: number; body: Record<string, any> }
interface AuditEvent { id: string; type: string; time: string; actor?: string; subject?: string; client_id?: string; org_id?: string; ip?: string; reason?: string; target?: string; details?: Record<string, any> }

const WEB_CB = 'https://app.example/cb';

/** The audit log as a client of the admin API sees it (GET /api/v1/audit-events). */
describe('audit log (/api/v1/audit-events)', () => {
  let server: TestServer;
  let platformKey: string;
  const secrets: string[] = []; // everything secret this test saw: none may show in the log

  beforeAll(async () => {
    server = await startTestServer();
    platformKey = (await server.apiKeys.issue({ name: 'platform', scopes: [...ADMIN_SCOPES] }, {
      owner: { type: 'account', id: 'platform-admin' }, allowedScopes: ADMIN_SCOPES,
    })).key;
    secrets.push(platformKey);
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

  async function list(query: Record<string, string>, key = platformKey): Promise<AuditEvent[]> {
    const res = await call('GET', `/audit-events?${new URLSearchParams(query)}`, key);
    expect(res.status).toBe(200);
    return res.body.items;
  }

  /** Events are written after the response: poll, with a deadline, until `check` holds. */
  async function eventually(query: Record<string, string>, check: (items: AuditEvent[]) => boolean, key = platformKey): Promise<AuditEvent[]> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const items = await list(query, key);
      if (check(items) || Date.now() > deadline) return items;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function createOrg(slug: string) {
    const res = await call('POST', '/organizations', platformKey, { name: slug, slug, admin: { email: `admin@${slug}.example`, name: 'Admin' } });
    expect(res.status).toBe(201);
    secrets.push(res.body.api_key.key, res.body.admin.invitation.url);
    return { id: res.body.organization.id as string, key: res.body.api_key.key as string };
  }

  test('an admin change: actor, target, organization and the object after, without its secret', async () => {
    const res = await call('POST', '/clients', platformKey, {
      client_name: 'Audited', redirect_uris: ['https://audited.example/cb'], grant_types: ['authorization_code'], response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic', scope: 'openid',
    });
    expect(res.status).toBe(201);
    const clientId = res.body.client_id as string;
    secrets.push(res.body.client_secret);
    expect(await call('PATCH', `/clients/${clientId}`, platformKey, { client_name: 'Audited, renamed' })).toMatchObject({ status: 200 });

    const events = await eventually({ type: 'admin.change', actor: 'platform-admin' }, (items) => items.filter((e) => e.target === `/clients/${clientId}`).length === 2);
    const [patched, created] = events.filter((e) => e.target === `/clients/${clientId}`);
    expect(created).toMatchObject({
      type: 'admin.change', actor: 'platform-admin', target: `/clients/${clientId}`, ip: expect.any(String),
      details: { operation: 'createClient', method: 'POST', actor_type: 'account', via: 'api_key', after: { client_id: clientId, client_name: 'Audited' } },
    });
    expect(created!.details!.after.client_secret).toBe('[redacted]');
    expect(patched).toMatchObject({ details: { operation: 'updateClient', method: 'PATCH', before: { client_name: 'Audited' }, after: { client_name: 'Audited, renamed' } } });
    expect(created!.org_id).toBeUndefined();
    expect((await call('DELETE', `/clients/${clientId}`, platformKey)).status).toBe(204);
    const [deleted] = await eventually({ type: 'admin.change', actor: 'platform-admin' }, (items) => items.some((e) => e.details?.operation === 'deleteClient'));
    expect(deleted).toMatchObject({ target: `/clients/${clientId}`, details: { method: 'DELETE', before: { client_id: clientId, client_name: 'Audited, renamed' } } });
    expect(deleted!.details).not.toHaveProperty('after');
    // Reads are not changes.
    await call('GET', `/clients/${clientId}`, platformKey);
    expect((await list({ type: 'admin.change' })).some((e) => e.details?.method === 'GET')).toBe(false);
  });

  test('a token issued by client credentials: grant type, client, scopes, never the token', async () => {
    const service = await clientFor(server, 'service');
    const tokens = await oidc.clientCredentialsGrant(service, { scope: 'api:read' });
    secrets.push(tokens.access_token);
    const [issued] = await eventually({ type: 'token.issued', client_id: 'service' }, (items) => items.length > 0);
    expect(issued).toMatchObject({
      type: 'token.issued', actor: 'service', client_id: 'service', details: { grant_type: 'client_credentials', scopes: ['api:read'] },
    });
    expect(JSON.stringify(issued)).not.toContain(tokens.access_token);
  });

  test('token revocation (RFC 7009) and refresh token reuse, never with the token', async () => {
    const service = await clientFor(server, 'service');
    const cc = await oidc.clientCredentialsGrant(service, { scope: 'api:read' });
    await oidc.tokenRevocation(service, cc.access_token);
    const [revoked] = await eventually({ type: 'token.revoked', client_id: 'service' }, (items) => items.length > 0);
    expect(revoked).toMatchObject({ actor: 'service', client_id: 'service', details: { token_type: 'client_credentials' } });

    const web = await clientFor(server, 'web');
    const { tokens } = await signIn(web, WEB_CB, { scope: 'openid offline_access', prompt: 'consent' });
    secrets.push(tokens.access_token, tokens.refresh_token!);
    const rotated = await oidc.refreshTokenGrant(web, tokens.refresh_token!);
    secrets.push(rotated.access_token, rotated.refresh_token!);
    await expect(oidc.refreshTokenGrant(web, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const [reused] = await eventually({ type: 'refresh_token.reused' }, (items) => items.length > 0);
    expect(reused).toMatchObject({
      client_id: 'web', subject: expect.any(String), reason: 'reuse_detected', target: expect.stringMatching(/^grant:/), details: { grant_type: 'refresh_token' },
    });
    const refreshed = (await list({ type: 'token.issued', client_id: 'web' })).find((e) => e.details?.grant_type === 'refresh_token');
    expect(refreshed).toMatchObject({ subject: reused!.subject, target: reused!.target, details: { refresh_token_issued: true } });

    // Two redemptions racing: the loser is a replay, whichever check catches it (the provider's
    // `consumed` check, or the consume race in oidc/adapter-guard.ts), and is recorded once.
    const again = await signIn(web, WEB_CB, { scope: 'openid offline_access', prompt: 'consent' });
    const race = await Promise.allSettled([oidc.refreshTokenGrant(web, again.tokens.refresh_token!), oidc.refreshTokenGrant(web, again.tokens.refresh_token!)]);
    expect(race.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const grant = (await list({ type: 'token.issued', client_id: 'web' }))[0]!.target;
    const raced = await eventually({ type: 'refresh_token.reused' }, (items) => items.some((e) => e.target === grant));
    expect(raced.filter((e) => e.target === grant)).toHaveLength(1);
  });

  test('a failed login and a successful one, with a reason code', async () => {
    const web = await clientFor(server, 'web');
    const browser = new Browser();
    const start = await startAuthorization(web, { redirect_uri: WEB_CB });
    let page = await browser.open(start.url.href, {}, WEB_CB);
    page = await login(browser, page, WEB_CB, { ...ADA, password: 'not the password' });
    const [failed] = await eventually({ type: 'login.failed' }, (items) => items.length > 0);
    expect(failed).toMatchObject({ type: 'login.failed', reason: expect.any(String), client_id: 'web', ip: expect.any(String) });
    expect(JSON.stringify(failed)).not.toContain('not the password');

    await login(browser, page, WEB_CB);
    const [succeeded] = await eventually({ type: 'login.succeeded' }, (items) => items.length > 0);
    expect(succeeded).toMatchObject({ type: 'login.succeeded', subject: expect.any(String), client_id: 'web' });
  });

  test('consent granted and denied, with the scopes asked for', async () => {
    const web = await clientFor(server, 'web');
    await signIn(web, WEB_CB, { scope: 'openid email', prompt: 'consent' });
    const [granted] = await eventually({ type: 'consent.granted', client_id: 'web' }, (items) => items.length > 0);
    expect(granted).toMatchObject({ type: 'consent.granted', client_id: 'web', subject: expect.any(String), details: { scopes: expect.arrayContaining(['email']) } });
    expect(granted!.actor).toBe(granted!.subject);

    const browser = new Browser();
    const start = await startAuthorization(web, { redirect_uri: WEB_CB, scope: 'openid profile', prompt: 'consent' });
    let page = await browser.open(start.url.href, {}, WEB_CB);
    page = await login(browser, page, WEB_CB);
    page = await consent(browser, page, WEB_CB, 'deny');
    expect(new URL(page.url).searchParams.get('error')).toBe('access_denied');
    const [denied] = await eventually({ type: 'consent.denied' }, (items) => items.length > 0);
    expect(denied).toMatchObject({ type: 'consent.denied', client_id: 'web', subject: granted!.subject, reason: 'access_denied' });
  });

  test('logout ends the session and revokes its grant', async () => {
    const web = await clientFor(server, 'web');
    const { tokens, browser } = await signIn(web, WEB_CB, { scope: 'openid' });
    const endSession = oidc.buildEndSessionUrl(web, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://app.example/bye' });
    const confirm = await browser.open(endSession.href, {}, 'https://app.example/bye');
    await browser.submit(confirm, /\/session\/end\/confirm$/, { logout: 'yes' }, 'https://app.example/bye');
    const [ended] = await eventually({ type: 'session.ended' }, (items) => items.length > 0);
    expect(ended).toMatchObject({ subject: expect.any(String), client_id: 'web', ip: expect.any(String) });
    const [revoked] = await eventually({ type: 'grant.revoked', subject: ended!.subject! }, (items) => items.some((e) => e.reason === 'logout'));
    expect(revoked).toMatchObject({ reason: 'logout', target: expect.stringMatching(/^grant:/) });
  });

  test('filters by time range, and pages through results with a cursor', async () => {
    for (const name of ['p1', 'p2', 'p3']) {
      expect((await call('POST', '/api-keys', platformKey, { name, scopes: ['admin:clients:read'] })).status).toBe(201);
    }
    const keyEvents = (await eventually({ type: 'admin.change' }, (items) => items.filter((e) => e.details?.operation === 'createApiKey').length === 3))
      .filter((e) => e.details?.operation === 'createApiKey');
    expect(keyEvents.map((e) => e.details!.after.name)).toEqual(['p3', 'p2', 'p1']);
    for (const e of keyEvents) {
      expect(e.details!.after.key).toBe('[redacted]');
      expect(e.target).toBe(`/api-keys/${e.details!.after.id}`);
    }

    // One at a time, following next_cursor: the same events, in the same order, no repeats.
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await call('GET', `/audit-events?type=admin.change&limit=1${cursor ? `&cursor=${cursor}` : ''}`, platformKey);
      expect(res.body.items.length).toBeLessThanOrEqual(1);
      seen.push(...res.body.items.map((e: AuditEvent) => e.id));
      cursor = res.body.next_cursor;
    } while (cursor);
    const whole = await list({ type: 'admin.change', limit: '200' });
    expect(seen).toEqual(whole.map((e) => e.id));

    const middle = keyEvents[1]!;
    const since = await list({ type: 'admin.change', since: middle.time, limit: '200' });
    expect(since.map((e) => e.id)).toContain(middle.id);
    expect(since.every((e) => e.time >= middle.time)).toBe(true);
    const until = await list({ type: 'admin.change', until: middle.time, limit: '200' });
    expect(until.map((e) => e.id)).not.toContain(middle.id);
    expect(until.every((e) => e.time < middle.time)).toBe(true);

    expect((await call('GET', '/audit-events?since=yesterday', platformKey)).status).toBe(400);
    expect((await call('GET', '/audit-events?type=nope', platformKey)).status).toBe(400);
    expect((await call('GET', '/audit-events?cursor=garbage', platformKey)).status).toBe(400);
  });

  test('tenant isolation: an organization sees its own events only; the platform sees all', async () => {
    const acme = await createOrg('audit-acme');
    const globex = await createOrg('audit-globex');
    const sa = await call('POST', '/service-accounts', acme.key, { name: 'Acme Billing', scopes: ['api:read'] });
    expect(sa.status).toBe(201);
    secrets.push(sa.body.client_secret);
    expect((await call('POST', '/service-accounts', globex.key, { name: 'Globex Billing', scopes: ['api:read'] })).status).toBe(201);

    // The organization's service account gets a token: that event is the organization's too.
    const config = await clientFor(server, sa.body.client_id, 'basic', sa.body.client_secret);
    await oidc.clientCredentialsGrant(config, { scope: 'api:read' });

    const acmeEvents = await eventually({ limit: '200' }, (items) => items.some((e) => e.type === 'token.issued'), acme.key);
    expect(acmeEvents.length).toBeGreaterThanOrEqual(3); // its creation, the service account, the token
    expect(acmeEvents.every((e) => e.org_id === acme.id)).toBe(true);
    expect(acmeEvents.map((e) => `${e.type} ${e.details?.operation ?? ''}`.trim())).toEqual(expect.arrayContaining([
      'token.issued', 'admin.change createServiceAccount', 'admin.change createOrganization',
    ]));
    expect(acmeEvents.find((e) => e.type === 'token.issued')).toMatchObject({ client_id: sa.body.client_id, actor: sa.body.client_id });

    // Naming another organization is refused; the platform may filter by any.
    expect((await call('GET', `/audit-events?org_id=${globex.id}`, acme.key)).status).toBe(400);
    const globexSeen = await list({ org_id: globex.id, limit: '200' });
    expect(globexSeen.length).toBeGreaterThanOrEqual(2);
    expect(globexSeen.every((e) => e.org_id === globex.id)).toBe(true);
    expect((await list({ limit: '200' })).some((e) => e.org_id === undefined)).toBe(true);

    // The scope is needed.
    const noScope = (await server.apiKeys.issue({ name: 'x', scopes: ['admin:clients:read'] }, {
      owner: { type: 'account', id: 'someone' }, allowedScopes: ADMIN_SCOPES,
    })).key;
    expect(await call('GET', '/audit-events', noScope)).toMatchObject({ status: 403, body: { error: 'insufficient_scope', scope: 'admin:audit:read' } });
  });

  test('no secret seen in this test is anywhere in the audit log', async () => {
    const everything: AuditEvent[] = [];
    let cursor: string | undefined;
    do {
      const res = await call('GET', `/audit-events?limit=200${cursor ? `&cursor=${cursor}` : ''}`, platformKey);
      everything.push(...res.body.items);
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(everything.length).toBeGreaterThan(10);
    const json = JSON.stringify(everything);
    expect(secrets.length).toBeGreaterThan(5);
    for (const secret of secrets) expect(json).not.toContain(secret);
    // The invitation URLs carry their token in the path: not even the token part may show.
    for (const url of secrets.filter((s) => s.includes('/invitations/'))) expect(json).not.toContain(url.split('/').at(-1)!);
  });
});
