import * as oidc from 'openid-client';

import { ADMIN_SCOPES } from '../../src/admin/scopes.ts';
import { loadConfig } from '../../src/config/index.ts';
import { clientFor, startTestServer, type TestServer } from '../support/gatehouse.ts';

interface Reply { status: number; body: Record<string, any> }
interface ServiceAccount { id: string; secret: string }

const ALLOWED_V4 = '203.0.113.7';
const ALLOWED_V6 = '2001:db8::42';
const REFUSED = '198.51.100.1';
const REFUSAL = { error: 'access_denied', error_description: 'requests from this address are not allowed for this client' };

/** The admin API and openid-client, each with an optional X-Forwarded-For. */
function harness(getServer: () => TestServer) {
  let platformKey: string;
  const admin = async (method: string, path: string, key: string, body?: unknown, forwardedFor?: string): Promise<Reply> => {
    const res = await fetch(`${getServer().issuer}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`, ...(body !== undefined && { 'content-type': 'application/json' }),
        ...(forwardedFor && { 'x-forwarded-for': forwardedFor }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : {} };
  };
  return {
    async setUp() {
      platformKey = (await getServer().apiKeys.issue(
        { name: 'ip tests', scopes: [...ADMIN_SCOPES] }, { owner: { type: 'account', id: 'operator' }, allowedScopes: ADMIN_SCOPES },
      )).key;
    },
    admin,
    platformKey: () => platformKey,
    async serviceAccount(ipAllowList: string[], scopes = ['api:read']): Promise<ServiceAccount> {
      const created = await admin('POST', '/service-accounts', platformKey, { name: 'edge', scopes, ip_allow_list: ipAllowList });
      expect(created.status).toBe(201);
      return { id: created.body.client_id, secret: created.body.client_secret };
    },
    /** An openid-client configuration whose requests carry `X-Forwarded-For: forwardedFor`. */
    async client(account: ServiceAccount, forwardedFor?: string, secret = account.secret): Promise<oidc.Configuration> {
      const config = await clientFor(getServer(), account.id, 'basic', secret);
      if (forwardedFor !== undefined) {
        config[oidc.customFetch] = (url, options) => fetch(url, { ...options, headers: { ...options.headers, 'x-forwarded-for': forwardedFor } });
      }
      return config;
    },
  };
}

/** What the server answered when openid-client's call failed. */
async function refusal(call: Promise<unknown>) {
  try {
    await call;
  } catch (err) {
    if (err instanceof oidc.ResponseBodyError) return { status: err.status, error: err.error, error_description: err.error_description };
    throw err;
  }
  throw new Error('the call succeeded');
}

describe('client IP allow-lists behind one proxy (TRUST_PROXY=1)', () => {
  let server: TestServer;
  const h = harness(() => server);
  let edge: ServiceAccount;

  beforeAll(async () => {
    server = await startTestServer({ TRUST_PROXY: '1' });
    await h.setUp();
    edge = await h.serviceAccount(['203.0.113.0/24', '2001:db8::/32']);
  });
  afterAll(() => server.close());

  test('the token endpoint serves an address on the list, IPv4 or IPv6', async () => {
    for (const address of [ALLOWED_V4, ALLOWED_V6, `::ffff:${ALLOWED_V4}`]) {
      const tokens = await oidc.clientCredentialsGrant(await h.client(edge, address), { scope: 'api:read' });
      expect(tokens.scope).toBe('api:read');
    }
  });

  test('any other address gets 403 access_denied, whatever credentials it sends', async () => {
    expect(await refusal(oidc.clientCredentialsGrant(await h.client(edge, REFUSED), { scope: 'api:read' })))
      .toEqual({ status: 403, ...REFUSAL });
    // Checked before the secret: a refused address learns nothing about it.
    expect(await refusal(oidc.clientCredentialsGrant(await h.client(edge, REFUSED, 'a-wrong-secret'), { scope: 'api:read' })))
      .toEqual({ status: 403, ...REFUSAL });
  });

  test('only the hop our proxy appended counts: what the caller wrote in X-Forwarded-For is ignored', async () => {
    expect((await refusal(oidc.clientCredentialsGrant(await h.client(edge, `${ALLOWED_V4}, ${REFUSED}`), { scope: 'api:read' }))).status)
      .toBe(403);
    const tokens = await oidc.clientCredentialsGrant(await h.client(edge, `${REFUSED}, ${ALLOWED_V4}`), { scope: 'api:read' });
    expect(tokens.access_token).toEqual(expect.any(String));
  });

  test('introspection and revocation check the calling client\'s list', async () => {
    const gatekeeper = await h.serviceAccount(['198.51.100.0/24']);
    const { access_token: token } = await oidc.clientCredentialsGrant(await h.client(edge, ALLOWED_V4), { scope: 'api:read' });

    expect(await oidc.tokenIntrospection(await h.client(gatekeeper, '198.51.100.20'), token)).toMatchObject({ active: true });
    expect(await refusal(oidc.tokenIntrospection(await h.client(gatekeeper, ALLOWED_V4), token))).toEqual({ status: 403, ...REFUSAL });

    expect(await refusal(oidc.tokenRevocation(await h.client(edge, REFUSED), token))).toEqual({ status: 403, ...REFUSAL });
    expect(await oidc.tokenIntrospection(await h.client(gatekeeper, '198.51.100.20'), token)).toMatchObject({ active: true });
    await oidc.tokenRevocation(await h.client(edge, ALLOWED_V4), token);
    expect(await oidc.tokenIntrospection(await h.client(gatekeeper, '198.51.100.20'), token)).toEqual({ active: false });
  });

  test('a client without a list is served from any address', async () => {
    const tokens = await oidc.clientCredentialsGrant(await h.client({ id: 'service', secret: 'service-secret-for-tests-only-0123456789' }, REFUSED), { scope: 'api:read' });
    expect(tokens.scope).toBe('api:read');
  });

  test('admin API: a service account\'s token and an API key are refused outside their lists', async () => {
    const ops = await h.serviceAccount(['203.0.113.0/24'], ['admin:api-keys:read']);
    const { access_token: token } = await oidc.clientCredentialsGrant(await h.client(ops, ALLOWED_V4), {
      scope: 'admin:api-keys:read', resource: `${server.issuer}/api/v1`,
    });
    expect((await h.admin('GET', '/auth/whoami', token, undefined, ALLOWED_V4)).status).toBe(200);
    expect(await h.admin('GET', '/auth/whoami', token, undefined, REFUSED)).toEqual({ status: 403, body: REFUSAL });

    const { key } = await server.apiKeys.issue(
      { name: 'pinned', scopes: ['admin:api-keys:read'], ip_allow_list: ['203.0.113.0/24'] },
      { owner: { type: 'account', id: 'operator' }, allowedScopes: ADMIN_SCOPES },
    );
    expect((await h.admin('GET', '/auth/whoami', key, undefined, ALLOWED_V4)).status).toBe(200);
    expect(await h.admin('GET', '/auth/whoami', key, undefined, REFUSED)).toEqual({
      status: 403, body: { error: 'access_denied', error_description: 'requests from this address are not allowed for this API key' },
    });
  });

  test('each refusal is an ip.refused audit event naming the client and the address', async () => {
    const pinned = await h.serviceAccount(['203.0.113.0/24']);
    await refusal(oidc.clientCredentialsGrant(await h.client(pinned, '198.51.100.77'), { scope: 'api:read' }));
    // Recording is fire-and-forget: poll briefly for it.
    const deadline = Date.now() + 2000;
    let events: Array<Record<string, unknown>> = [];
    while (Date.now() < deadline) {
      events = (await h.admin('GET', `/audit-events?type=ip.refused&client_id=${pinned.id}`, h.platformKey())).body.items ?? [];
      if (events.length > 0) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(events).toEqual([expect.objectContaining({
      type: 'ip.refused', client_id: pinned.id, ip: '198.51.100.77', reason: 'ip_not_allowed', details: { endpoint: 'token' },
    })]);
  });
});

describe('client IP allow-lists without a trusted proxy (TRUST_PROXY unset)', () => {
  let server: TestServer;
  const h = harness(() => server);
  beforeAll(async () => {
    server = await startTestServer();
    await h.setUp();
  });
  afterAll(() => server.close());

  test('X-Forwarded-For is ignored: the socket\'s address is what the list is checked against', async () => {
    const remote = await h.serviceAccount(['203.0.113.0/24']);
    expect((await refusal(oidc.clientCredentialsGrant(await h.client(remote, ALLOWED_V4), { scope: 'api:read' }))).status).toBe(403);
    const local = await h.serviceAccount(['127.0.0.1/32', '::1/128']);
    const tokens = await oidc.clientCredentialsGrant(await h.client(local, REFUSED), { scope: 'api:read' });
    expect(tokens.scope).toBe('api:read');
  });
});

describe('TRUST_PROXY', () => {
  test('is a number of proxies; true and false still mean 1 and 0', () => {
    expect(loadConfig({}).trustProxy).toBe(0);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(0);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(() => loadConfig({ TRUST_PROXY: 'yes' })).toThrow(/^TRUST_PROXY must be the number of proxies in front/);
    expect(() => loadConfig({ TRUST_PROXY: '-1' })).toThrow(/TRUST_PROXY/);
  });
});
