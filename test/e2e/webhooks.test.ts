import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { ADMIN_SCOPES } from '../../src/admin/scopes.ts';
import { verifySignature } from '../../src/audit/webhook-signature.ts';
import { startTestServer, type TestServer } from '../support/gatehouse.ts';

interface Reply { status: number; body: Record<string, any> }
interface Delivery { path: string; headers: Record<string, string | string[] | undefined>; body: string }

/** A webhook receiver on loopback: records every POST and answers 204. */
async function receiver() {
  const deliveries: Delivery[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => { body += chunk; });
    req.on('end', () => {
      deliveries.push({ path: req.url ?? '', headers: req.headers, body });
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { deliveries, url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function until<T>(read: () => T[], count: number): Promise<T[]> {
  const deadline = Date.now() + 5000;
  while (read().length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return read();
}

function adminClient(server: () => TestServer) {
  return async function call(method: string, path: string, key: string, body?: unknown): Promise<Reply> {
    const res = await fetch(`${server().issuer}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : {} };
  };
}

const platformKeyOf = async (server: TestServer) => (await server.apiKeys.issue({ name: 'platform', scopes: [...ADMIN_SCOPES] }, {
  owner: { type: 'account', id: 'platform-admin' }, allowedScopes: ADMIN_SCOPES,
})).key;

describe('webhooks (receiver on loopback, allowed by WEBHOOK_ALLOWED_CIDRS)', () => {
  let server: TestServer;
  let platformKey: string;
  let hooks: Awaited<ReturnType<typeof receiver>>;
  const call = adminClient(() => server);

  beforeAll(async () => {
    server = await startTestServer({ WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32' });
    platformKey = await platformKeyOf(server);
    hooks = await receiver();
  });
  afterAll(async () => {
    await server.close();
    await hooks.close();
  });

  async function createOrg(slug: string) {
    const res = await call('POST', '/organizations', platformKey, { name: slug, slug, admin: { email: `admin@${slug}.example`, name: 'Admin' } });
    expect(res.status).toBe(201);
    return { id: res.body.organization.id as string, key: res.body.api_key.key as string };
  }

  test("an organization's events arrive signed; the receiver verifies them with the secret shown once", async () => {
    const acme = await createOrg('hook-acme');
    const globex = await createOrg('hook-globex');
    const created = await call('POST', `/organizations/${acme.id}/webhooks`, acme.key, { url: `${hooks.url}/acme` });
    expect(created).toMatchObject({
      status: 201, body: { id: expect.stringMatching(/^wh_/), org_id: acme.id, url: `${hooks.url}/acme`, events: [], secret: expect.stringMatching(/^whsec_/) },
    });
    const { secret, id } = created.body;
    const listed = await call('GET', `/organizations/${acme.id}/webhooks`, acme.key);
    expect(listed.body.items).toEqual([{ id, org_id: acme.id, url: `${hooks.url}/acme`, events: [], created_at: expect.any(String) }]);

    // Something happens in each organization; only Acme's reaches Acme's receiver.
    expect((await call('POST', '/service-accounts', globex.key, { name: 'Globex Billing', scopes: ['api:read'] })).status).toBe(201);
    const sa = await call('POST', '/service-accounts', acme.key, { name: 'Acme Billing', scopes: ['api:read'] });
    expect(sa.status).toBe(201);

    const delivered = (await until(() => hooks.deliveries.filter((d) => d.body.includes('createServiceAccount')), 1));
    expect(delivered).toHaveLength(1);
    const [delivery] = delivered;
    expect(delivery!.path).toBe('/acme');
    expect(delivery!.headers).toMatchObject({ 'content-type': 'application/json', 'x-gatehouse-event': 'admin.change', 'x-gatehouse-attempt': '1' });
    expect(verifySignature(secret, delivery!.body, String(delivery!.headers['x-gatehouse-signature']))).toBe(true);
    expect(verifySignature(secret, delivery!.body.replace('Acme', 'Evil'), String(delivery!.headers['x-gatehouse-signature']))).toBe(false);
    const event = JSON.parse(delivery!.body);
    expect(event).toMatchObject({
      id: delivery!.headers['x-gatehouse-delivery'], type: 'admin.change', org_id: acme.id, target: `/service-accounts/${sa.body.client_id}`,
      details: { operation: 'createServiceAccount', after: { client_id: sa.body.client_id, client_secret: '[redacted]' } },
    });
    expect(delivery!.body).not.toContain(sa.body.client_secret);
    expect(hooks.deliveries.every((d) => !d.body.includes(globex.id))).toBe(true);

    // The webhook's own creation is audited without its secret.
    const audit = await call('GET', `/audit-events?type=admin.change&org_id=${acme.id}&limit=200`, platformKey);
    const hookEvent = audit.body.items.find((e: { details?: { operation?: string } }) => e.details?.operation === 'createWebhook');
    expect(hookEvent).toMatchObject({ target: `/organizations/${acme.id}/webhooks/${id}`, details: { after: { secret: '[redacted]' } } });
    expect(JSON.stringify(audit.body)).not.toContain(secret);
  });

  test('subscriptions, deletion, and tenant isolation of the routes', async () => {
    const initech = await createOrg('hook-initech');
    const other = await createOrg('hook-other');
    const onlyLogins = await call('POST', `/organizations/${initech.id}/webhooks`, initech.key, { url: `${hooks.url}/logins`, events: ['login.failed'] });
    expect(onlyLogins.body.events).toEqual(['login.failed']);
    const all = await call('POST', `/organizations/${initech.id}/webhooks`, initech.key, { url: `${hooks.url}/all` });

    // Another organization cannot see or delete them.
    expect((await call('GET', `/organizations/${initech.id}/webhooks`, other.key)).status).toBe(404);
    expect((await call('DELETE', `/organizations/${initech.id}/webhooks/${all.body.id}`, other.key)).status).toBe(404);
    expect((await call('DELETE', `/organizations/${other.id}/webhooks/${all.body.id}`, other.key)).status).toBe(404);

    expect((await call('POST', '/service-accounts', initech.key, { name: 'one', scopes: ['api:read'] })).status).toBe(201);
    await until(() => hooks.deliveries.filter((d) => d.path === '/all'), 1);
    expect((await call('DELETE', `/organizations/${initech.id}/webhooks/${all.body.id}`, initech.key)).status).toBe(204);
    expect((await call('GET', `/organizations/${initech.id}/webhooks`, initech.key)).body.items.map((h: { id: string }) => h.id)).toEqual([onlyLogins.body.id]);

    // After the deletion: a witness webhook receives the next event, the deleted one does not.
    expect((await call('POST', `/organizations/${initech.id}/webhooks`, initech.key, { url: `${hooks.url}/witness` })).status).toBe(201);
    expect((await call('POST', '/service-accounts', initech.key, { name: 'two', scopes: ['api:read'] })).status).toBe(201);
    await until(() => hooks.deliveries.filter((d) => d.path === '/witness' && d.body.includes('"two"')), 1);
    expect(hooks.deliveries.filter((d) => d.path === '/witness' && d.body.includes('"two"'))).toHaveLength(1);
    expect(hooks.deliveries.filter((d) => d.path === '/all').some((d) => d.body.includes('"two"'))).toBe(false);
    expect(hooks.deliveries.filter((d) => d.path === '/logins')).toEqual([]);
  });

  test('a receiver outside the allowed range is still refused', async () => {
    const org = await createOrg('hook-strict');
    const res = await call('POST', `/organizations/${org.id}/webhooks`, org.key, { url: 'http://127.0.0.2:9/' });
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_request', fields: [{ path: 'url', message: '127.0.0.2 is not an allowed destination (loopback)' }] } });
  });
});

describe('webhook targets under the default configuration (SSRF guard)', () => {
  let server: TestServer;
  let platformKey: string;
  let orgId: string;
  const call = adminClient(() => server);

  beforeAll(async () => {
    server = await startTestServer();
    platformKey = await platformKeyOf(server);
    const org = await call('POST', '/organizations', platformKey, { name: 'SSRF', slug: 'ssrf', admin: { email: 'a@ssrf.example', name: 'A' } });
    orgId = org.body.organization.id;
  });
  afterAll(() => server.close());

  test.each([
    ['http://127.0.0.1:8080/hook', 'loopback'],
    ['http://localhost:8080/hook', undefined],
    ['http://[::1]/hook', 'loopback'],
    ['http://[::ffff:127.0.0.1]/hook', 'loopback'],
    ['http://2130706433/hook', 'loopback'],
    ['http://10.0.0.5/hook', 'private'],
    ['http://192.168.1.1/hook', 'private'],
    ['http://169.254.169.254/latest/meta-data/', 'linkLocal'],
    ['http://[fd00::1]/hook', 'uniqueLocal'],
    ['http://0.0.0.0/hook', 'unspecified'],
    ['http://[ff02::1]/hook', 'multicast'],
  ])('refuses %s', async (url, range) => {
    const res = await call('POST', `/organizations/${orgId}/webhooks`, platformKey, { url });
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_request', fields: [{ path: 'url' }] } });
    if (range) expect(res.body.fields[0].message).toMatch(new RegExp(`\\(${range}\\)$`));
  });

  test.each([
    ['ftp://hooks.example.com/', 'must use https: or http:'],
    ['https://user:pass@hooks.example.com/', 'must not contain credentials'],
    ['not a url', 'must be an absolute URL'],
  ])('refuses %s', async (url, message) => {
    const res = await call('POST', `/organizations/${orgId}/webhooks`, platformKey, { url });
    expect(res).toMatchObject({ status: 400, body: { fields: [{ path: 'url', message }] } });
  });

  test('needs admin:webhooks:write, and an organization that exists', async () => {
    const reader = (await server.apiKeys.issue({ name: 'r', scopes: ['admin:webhooks:read'] }, {
      owner: { type: 'account', id: 'r' }, allowedScopes: ADMIN_SCOPES,
    })).key;
    expect(await call('POST', `/organizations/${orgId}/webhooks`, reader, { url: 'https://hooks.example.com/' }))
      .toMatchObject({ status: 403, body: { error: 'insufficient_scope', scope: 'admin:webhooks:write' } });
    expect((await call('GET', `/organizations/${orgId}/webhooks`, reader)).status).toBe(200);
    expect((await call('GET', '/organizations/nope/webhooks', platformKey)).status).toBe(404);
  });
});
