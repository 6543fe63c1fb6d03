import { randomBytes } from 'node:crypto';

import * as oidc from 'openid-client';

import { ADMIN_SCOPES } from '../../src/admin/scopes.ts';
import { clientFor, SECRETS, startTestServer, type TestServer } from '../support/gatehouse.ts';

const basic = (id: keyof typeof SECRETS) => `Basic ${Buffer.from(`${id}:${SECRETS[id]}`).toString('base64')}`;
const form = { 'content-type': 'application/x-www-form-urlencoded' };

function clientCredentials(server: TestServer, id: keyof typeof SECRETS) {
  return fetch(`${server.issuer}/token`, {
    method: 'POST', headers: { ...form, authorization: basic(id) }, body: 'grant_type=client_credentials&scope=api:read',
  });
}

/** Polls (the audit log is written off the request path) until `check` passes or 5 s pass. */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const value = await read();
    if (check(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('rate limits (tiny tiers from RATE_LIMIT_TIERS)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_TIERS: 'default:3/min:3,authenticated:2/min:2,gold:4/min:4' });
  });
  afterAll(() => server.close());

  test('the token endpoint answers 429 rate_limited with Retry-After once a client\'s bucket is empty', async () => {
    const first = await clientCredentials(server, 'service');
    expect(first.status).toBe(200);
    expect(Object.fromEntries(['ratelimit-policy', 'ratelimit', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']
      .map((h) => [h, first.headers.get(h)]))).toEqual({
      // 2 per minute, burst 2: one request comes back every 30 s; full again in 60 s.
      'ratelimit-policy': '"authenticated";q=2;w=60', ratelimit: '"authenticated";r=1;t=30',
      'x-ratelimit-limit': '2', 'x-ratelimit-remaining': '1', 'x-ratelimit-reset': '30',
    });
    const second = await clientCredentials(server, 'service');
    expect(second.status).toBe(200);
    expect(second.headers.get('ratelimit')).toBe('"authenticated";r=0;t=30');
    expect(second.headers.get('x-ratelimit-reset')).toBe('60');

    // What a client library sees.
    const config = await clientFor(server, 'service');
    const refused = await oidc.clientCredentialsGrant(config, { scope: 'api:read' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(oidc.ResponseBodyError);
    const error = refused as oidc.ResponseBodyError;
    expect({ status: error.status, error: error.error, description: error.error_description })
      .toEqual({ status: 429, error: 'rate_limited', description: 'too many requests: try again in 30 seconds' });
    expect(error.response.headers.get('retry-after')).toBe('30');
    expect(error.response.headers.get('ratelimit')).toBe('"authenticated";r=0;t=30');

    const refusals = await server.metrics.rateLimitRefusals.get();
    expect(refusals.values).toEqual([expect.objectContaining({ labels: { endpoint: 'token' }, value: 1 })]);
    const events = await eventually(() => server.stores.audit.list({ type: 'rate_limit.refused', limit: 10 }), (p) => p.items.length > 0);
    expect(events.items).toEqual([expect.objectContaining({
      type: 'rate_limit.refused', clientId: 'service', reason: 'rate_limited', target: 'endpoint:token',
      details: { endpoint: 'token', bucket: 'client', tier: 'authenticated', retry_after: 30 },
    })]);
  });

  test('client_secret_post: the client is recognised from the body, and the provider still reads that body', async () => {
    const post = () => fetch(`${server.issuer}/token/introspection`, {
      method: 'POST', headers: form,
      body: new URLSearchParams({ token: 'not-a-token', client_id: 'service-post', client_secret: SECRETS['service-post'] }),
    });
    const res = await post();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ active: false });
    expect(res.headers.get('ratelimit-policy')).toBe('"authenticated";q=2;w=60');
  });

  test('a client\'s rate_limit_tier metadata picks its tier', async () => {
    const stored = await server.stores.clients.find('narrow');
    await server.stores.clients.save({ ...stored!, rate_limit_tier: 'gold' });
    const res = await clientCredentials(server, 'narrow');
    expect(res.headers.get('ratelimit-policy')).toBe('"gold";q=4;w=60');
    // The metadata holds a tier name, nothing else.
    await expect(server.provider.Client.validate({ ...stored!, rate_limit_tier: 'not a tier!' } as never))
      .rejects.toMatchObject({ error: 'invalid_client_metadata', error_description: 'rate_limit_tier must be a tier name' });
  });

  test('the platform gives a service account its tier through the admin API; an organization may not', async () => {
    const issue = (orgId?: string) => server.apiKeys.issue({ name: 'sa', scopes: ['admin:service-accounts:write'] }, {
      owner: { type: 'account', id: 'operator' }, ...(orgId ? { orgId } : {}), allowedScopes: ADMIN_SCOPES,
    });
    const create = async (key: string, body: unknown) => {
      const res = await fetch(`${server.issuer}/api/v1/service-accounts`, {
        method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() as Record<string, any> };
    };
    const refused = await create((await issue('org-a')).key, { name: 'fast', scopes: ['api:read'], rate_limit_tier: 'gold' });
    expect(refused).toMatchObject({ status: 400, body: { fields: [{ path: 'rate_limit_tier' }] } });
    const created = await create((await issue()).key, { name: 'fast', scopes: ['api:read'], rate_limit_tier: 'gold' });
    expect(created).toMatchObject({ status: 201, body: { rate_limit_tier: 'gold' } });
    const res = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${created.body.client_id}:${created.body.client_secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&scope=api:read',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit-policy')).toBe('"gold";q=4;w=60');
  });

  test('an API key\'s rate_limit_tier picks its tier at the admin API; no credential: the default tier per address', async () => {
    const { key } = await server.apiKeys.issue(
      { name: 'limited', scopes: ['admin:api-keys:read'], rate_limit_tier: 'gold' },
      { owner: { type: 'account', id: 'someone' }, allowedScopes: ADMIN_SCOPES },
    );
    const whoami = await fetch(`${server.issuer}/api/v1/auth/whoami`, { headers: { authorization: `Bearer ${key}` } });
    expect(whoami.status).toBe(200);
    expect(whoami.headers.get('ratelimit')).toBe('"gold";r=3;t=15');
    const anonymous = await fetch(`${server.issuer}/api/v1/auth/whoami`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('ratelimit')).toBe('"default";r=2;t=20');
  });

  test('a browser at the authorization endpoint: per address at the default tier, then the error page with 429', async () => {
    const open = () => fetch(`${server.issuer}/auth?client_id=web`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await open()).status);
    expect(statuses.slice(0, 3).every((s) => s !== 429)).toBe(true);
    const refused = await open();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/^text\/html/);
    expect(refused.headers.get('retry-after')).toBe('20');
  });
});

describe('rate limits whatever the letter case of the path', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer({ RATE_LIMIT_TIERS: 'authenticated:2/min:2' }); });
  afterAll(() => server.close());

  test('the same endpoint with its path in other letter case (the provider routes /TOKEN as /token) draws on the same bucket', async () => {
    const send = (path: string) => fetch(`${server.issuer}${path}`, {
      method: 'POST', headers: { ...form, authorization: basic('service-post') }, body: 'grant_type=client_credentials&scope=api:read',
    });
    const answers = [await send('/token'), await send('/TOKEN'), await send('/Token')];
    expect(answers.map((a) => [a.status, a.headers.get('x-ratelimit-remaining')])).toEqual([[200, '1'], [200, '0'], [429, '0']]);
  });
});

describe('rate limits shared through Redis by several Gatehouse processes', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    // One deployment: the same issuer, the same Redis; two processes on two ports.
    const env = {
      REDIS_URL: process.env.REDIS_URL!, ISSUER: `http://shared-${randomBytes(4).toString('hex')}.test`,
      RATE_LIMIT_TIERS: 'authenticated:3/min:3',
    };
    [a, b] = await Promise.all([startTestServer(env), startTestServer(env)]);
  });
  afterAll(() => Promise.all([a.close(), b.close()]));

  test('requests to either process draw on one bucket', async () => {
    const at = (server: TestServer) => fetch(`${server.url}/token`, {
      method: 'POST', headers: { ...form, authorization: basic('service') }, body: 'grant_type=client_credentials&scope=api:read',
    });
    const statuses = [];
    for (const server of [a, b, a, b]) statuses.push((await at(server)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});

describe('RATE_LIMITS=off', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer({ RATE_LIMITS: 'off', RATE_LIMIT_TIERS: 'authenticated:1/min:1' }); });
  afterAll(() => server.close());

  test('nothing is limited and no rate-limit fields are sent', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await clientCredentials(server, 'service');
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit')).toBeNull();
    }
  });
});
