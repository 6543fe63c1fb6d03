import { createServer, type Server } from 'node:net';

import * as oidc from 'openid-client';

import { ADMIN_SCOPES } from '../../src/admin/scopes.ts';
import { loadConfig } from '../../src/config/index.ts';
import { sweepUnusedClients } from '../../src/oidc/registration-clients.ts';
import { clientFor, startTestServer, type TestServer } from '../support/gatehouse.ts';
import { testRedisUrl } from '../support/redis.ts';

interface Reply { status: number; body: Record<string, any>; headers: Headers }

const CLIENTS_RW = ['admin:clients:read', 'admin:clients:write'];
/** A web app registering itself: confidential, code flow, https redirect. */
const WEB_APP = {
  client_name: 'Self-registered app', redirect_uris: ['https://self.example/cb'], grant_types: ['authorization_code', 'refresh_token'],
  token_endpoint_auth_method: 'client_secret_post', scope: 'openid profile',
};
/** A CLI on the person's machine: public, loopback redirect (RFC 8252 §7.3). */
const NATIVE_APP = {
  client_name: 'Desktop tool', application_type: 'native', redirect_uris: ['http://127.0.0.1/callback'],
  grant_types: ['authorization_code'], token_endpoint_auth_method: 'none', scope: 'openid',
};
const SERVICE = { client_name: 'Robot', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_post', scope: 'api:read' };

async function call(server: TestServer, method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<Reply> {
  const res = await fetch(`${server.issuer}${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {}, headers: res.headers };
}
const register = (server: TestServer, metadata: unknown, token?: string) => call(server, 'POST', '/reg', { body: metadata, ...(token && { token }) });
const admin = (server: TestServer, method: string, path: string, key: string, body?: unknown) => call(server, method, `/api/v1${path}`, { token: key, body });

async function issueKey(server: TestServer, scopes: readonly string[], orgId?: string): Promise<string> {
  const issued = await server.apiKeys.issue(
    { name: `test ${orgId ?? 'platform'}`, scopes: [...scopes] },
    { owner: { type: 'account', id: `someone-${orgId ?? 'platform'}` }, orgId, allowedScopes: ADMIN_SCOPES },
  );
  return issued.key;
}

async function discoveryOf(server: TestServer): Promise<Record<string, unknown>> {
  return (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json() as Promise<Record<string, unknown>>;
}

/** Client authentication works (and nothing else is asked): introspection of a token that does not exist. */
async function authenticates(server: TestServer, clientId: string, secret: string): Promise<number> {
  const res = await fetch(`${server.issuer}/token/introspection`, {
    method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
    body: new URLSearchParams({ token: 'no-such-token' }),
  });
  await res.arrayBuffer();
  return res.status;
}

const storedClient = (server: TestServer, id: string) => server.stores.clients.find(id);

/** Polls (cross-request bookkeeping is written after the response), with a deadline. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, deadlineMs = 5000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('registration settings', () => {
  test('a bad value stops the start, naming the variable', () => {
    expect(() => loadConfig({ REGISTRATION: 'yes' })).toThrow('REGISTRATION must be one of off, initial-access-token, open (got "yes")');
    expect(() => loadConfig({ REGISTRATION_SCOPES: 'openid admin:clients:write' }))
      .toThrow('REGISTRATION_SCOPES: "admin:clients:write" is only ever given by an administrator');
    expect(() => loadConfig({ REGISTRATION_SCOPES: 'openid billing' })).toThrow('REGISTRATION_SCOPES: "billing" is neither a standard scope nor in API_SCOPES');
    expect(() => loadConfig({ REGISTRATION_GRANT_TYPES: 'authorization_code password' })).toThrow('REGISTRATION_GRANT_TYPES: "password" is not one of');
    expect(() => loadConfig({ TOKEN_EXCHANGE_TTL: '7200' })).toThrow('TOKEN_EXCHANGE_TTL must be a positive whole number of seconds between 1 and 3600');
  });
});

describe('dynamic client registration is off by default', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(); });
  afterAll(() => server?.close());

  test('no registration_endpoint in discovery, /reg is 404, and there are no admin routes for it', async () => {
    const discovery = await discoveryOf(server);
    expect(discovery).not.toHaveProperty('registration_endpoint');
    expect(discovery).not.toHaveProperty('client_id_metadata_document_supported');
    expect(discovery.grant_types_supported).not.toContain('urn:ietf:params:oauth:grant-type:token-exchange');
    expect((await register(server, WEB_APP)).status).toBe(404);
    const key = await issueKey(server, ADMIN_SCOPES);
    expect((await admin(server, 'POST', '/initial-access-tokens', key, {})).status).toBe(404);
  });
});

/** Initial access tokens and rate-limit counters live in Redis when it is configured, else in memory. */
const BACKENDS: Array<[string, () => Record<string, string>]> = [
  ['memory', () => ({})],
  ['redis', () => ({ REDIS_URL: testRedisUrl() })],
];

describe.each(BACKENDS)('registration with initial access tokens (REGISTRATION=initial-access-token, %s)', (_backend, env) => {
  let server: TestServer;
  let platform: string;
  let orgA: string;
  let orgB: string;
  const issue = async (key: string, body: Record<string, unknown> = {}) => {
    const reply = await admin(server, 'POST', '/initial-access-tokens', key, body);
    expect(reply.status).toBe(201);
    return reply.body as { id: string; token: string; max_uses: number; expires_at: string; org_id?: string };
  };

  beforeAll(async () => {
    server = await startTestServer({
      ...env(), REGISTRATION: 'initial-access-token', REGISTRATION_GRANT_TYPES: 'authorization_code refresh_token client_credentials',
      REGISTRATION_SCOPES: 'openid profile email offline_access api:read',
    });
    platform = await issueKey(server, ADMIN_SCOPES);
    orgA = await issueKey(server, CLIENTS_RW, 'org-a');
    orgB = await issueKey(server, CLIENTS_RW, 'org-b');
  });
  afterAll(() => server?.close());

  test('discovery names the endpoint; without a token it answers 401 with a Bearer challenge', async () => {
    expect((await discoveryOf(server)).registration_endpoint).toBe(`${server.issuer}/reg`);
    const refused = await register(server, WEB_APP);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('invalid_token');
    expect(refused.headers.get('www-authenticate')).toBe(`Bearer realm="${server.issuer}"`);
  });

  test('a single-use token registers one client (openid-client); its secret works at /token and is stored only hashed', async () => {
    const iat = await issue(platform);
    expect(iat).toMatchObject({ max_uses: 1, token: expect.stringMatching(/^gh_iat_[A-Za-z0-9_-]{43}$/) });

    const config = await oidc.dynamicClientRegistration(new URL(server.issuer), SERVICE, undefined, {
      initialAccessToken: iat.token, execute: [oidc.allowInsecureRequests],
    });
    const registered = config.clientMetadata();
    expect(registered).toMatchObject({
      client_name: 'Robot', grant_types: ['client_credentials'], scope: 'api:read', client_secret_expires_at: 0,
      registration_client_uri: `${server.issuer}/reg/${registered.client_id}`,
    });
    expect(registered.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(registered.registration_access_token).toMatch(/^gh_rat_/);
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'api:read' });
    expect(tokens.access_token).toEqual(expect.any(String));

    const stored = await storedClient(server, registered.client_id);
    expect(stored).toMatchObject({
      registered_dynamically: true, registration_via: 'initial_access_token', registration_iat: iat.id, registration_status: 'active',
      registered_at: expect.any(Number), client_secret: expect.stringMatching(/^\$hmac-sha256\$/),
    });
    for (const secret of [registered.client_secret, registered.registration_access_token, iat.token]) {
      expect(JSON.stringify(stored)).not.toContain(secret as string);
    }
    // The admin API lists it with the other clients, marked.
    const listed = await admin(server, 'GET', `/clients/${registered.client_id}`, platform);
    expect(listed.body).toMatchObject({ registered_dynamically: true, registration_status: 'active' });
    expect(JSON.stringify(listed.body)).not.toMatch(/client_secret"|\$hmac-sha256\$/);

    const again = await register(server, SERVICE, iat.token);
    expect(again.status).toBe(401);
    expect(again.body).toEqual({ error: 'invalid_token', error_description: 'the initial access token is unknown, expired or used up' });
    expect(again.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect((await admin(server, 'GET', `/initial-access-tokens/${iat.id}`, platform)).status).toBe(404);

    const events = await eventually(() => server.stores.audit.list({ type: 'client.registered', limit: 50 }),
      (page) => page.items.some((e) => e.clientId === registered.client_id));
    expect(events.items.find((e) => e.clientId === registered.client_id)).toMatchObject({
      actor: `initial_access_token:${iat.id}`, details: { via: 'initial_access_token', status: 'active' },
    });
  });

  test('a token for three uses registers exactly three clients, even in parallel; a refused registration uses none', async () => {
    const iat = await issue(platform, { max_uses: 3 });
    const refused = await register(server, { ...WEB_APP, redirect_uris: ['http://self.example/cb'] }, iat.token);
    expect(refused.body.error).toBe('invalid_redirect_uri');
    const replies = await Promise.all(Array.from({ length: 6 }, () => register(server, WEB_APP, iat.token)));
    expect(replies.map((r) => r.status).sort()).toEqual([201, 201, 201, 401, 401, 401]);
  });

  test('an expired or a revoked token is refused', async () => {
    const expiring = await issue(platform);
    // Move its expiry into the past, as the clock would.
    const adapter = server.stores.adapter('InitialAccessToken');
    const record = (await adapter.findByUid(expiring.id))!;
    await adapter.upsert(record.key as string, { ...record, expires_at: Math.floor(Date.now() / 1000) - 1 }, 60);
    expect((await register(server, WEB_APP, expiring.token)).status).toBe(401);

    const revoked = await issue(platform);
    expect((await admin(server, 'DELETE', `/initial-access-tokens/${revoked.id}`, platform)).status).toBe(204);
    expect((await register(server, WEB_APP, revoked.token)).status).toBe(401);
  });

  test("an organization's token binds its clients to the organization", async () => {
    const iat = await issue(orgA);
    expect(iat.org_id).toBe('org-a');
    const created = await register(server, WEB_APP, iat.token);
    expect(created.status).toBe(201);
    expect(created.body).not.toHaveProperty('org_id');
    expect((await admin(server, 'GET', `/clients/${created.body.client_id}`, orgA, undefined)).body.org_id).toBe('org-a');
    expect((await admin(server, 'GET', `/clients/${created.body.client_id}`, orgB, undefined)).status).toBe(404);
    // Another organization's token is not even there for org B.
    expect((await admin(server, 'DELETE', `/initial-access-tokens/${iat.id}`, orgB)).status).toBe(404);
    const foreign = await admin(server, 'POST', '/initial-access-tokens', orgA, { org_id: 'org-b' });
    expect(foreign.status).toBe(400);
  });

  test('the policy: every refusal says which rule, with the RFC 7591 §3.2.2 error code, and uses no token', async () => {
    const iat = await issue(platform, { max_uses: 2 });
    const cases: Array<[unknown, string, string]> = [
      [{ ...WEB_APP, redirect_uris: ['http://self.example/cb'] }, 'invalid_redirect_uri', 'http is only for loopback addresses'],
      [{ ...WEB_APP, redirect_uris: ['javascript:alert(1)'] }, 'invalid_redirect_uri', 'the "javascript" scheme is not accepted'],
      [{ ...WEB_APP, redirect_uris: ['data:text/html,hi'] }, 'invalid_redirect_uri', 'the "data" scheme is not accepted'],
      [{ ...WEB_APP, redirect_uris: ['https://self.example/cb#x'] }, 'invalid_redirect_uri', 'must not contain a fragment'],
      [{ ...WEB_APP, redirect_uris: ['https://user:pw@self.example/cb'] }, 'invalid_redirect_uri', 'must not carry a user name or password'],
      [{ ...WEB_APP, post_logout_redirect_uris: ['http://self.example/bye'] }, 'invalid_client_metadata', 'post_logout_redirect_uris'],
      [{ ...WEB_APP, scope: 'openid admin:clients:write' }, 'invalid_client_metadata', 'scope: "admin:clients:write" may not be self-registered'],
      [{ ...WEB_APP, scope: 'openid api:write' }, 'invalid_client_metadata', 'scope: "api:write" may not be self-registered'],
      [{ ...WEB_APP, grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'] }, 'invalid_client_metadata', 'may not be self-registered'],
      [{ ...WEB_APP, grant_types: ['password'] }, 'invalid_client_metadata', 'grant_types.0'],
      [{ ...WEB_APP, response_types: ['code id_token'] }, 'invalid_client_metadata', 'response_types.0'],
      [{ ...WEB_APP, token_endpoint_auth_method: 'client_secret_jwt' }, 'invalid_client_metadata', '"client_secret_jwt" is not supported'],
      [{ ...WEB_APP, first_party: true }, 'invalid_client_metadata', 'first_party: is decided by an administrator'],
      [{ ...WEB_APP, org_id: 'org-b' }, 'invalid_client_metadata', 'org_id: is decided by an administrator'],
      [{ ...WEB_APP, registration_status: 'active' }, 'invalid_client_metadata', 'registration_status: is decided by an administrator'],
      [{ ...WEB_APP, token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://127.0.0.1/jwks' }, 'invalid_client_metadata', 'jwks_uri: must not point to an internal address (loopback)'],
      [{ ...WEB_APP, logo_uri: 'https://169.254.169.254/logo.png' }, 'invalid_client_metadata', 'logo_uri: must not point to an internal address (linkLocal)'],
      [{ ...WEB_APP, backchannel_logout_uri: 'https://10.0.0.5/logout' }, 'invalid_client_metadata', 'backchannel_logout_uri: must not point to an internal address (private)'],
      [{ ...WEB_APP, backchannel_logout_uri: 'http://rp.example/logout' }, 'invalid_client_metadata', 'backchannel_logout_uri: must be an https URL'],
      [{ ...WEB_APP, client_uri: 'http://self.example/' }, 'invalid_client_metadata', 'client_uri: must be an https URL'],
      [{ ...WEB_APP, software_statement: 'eyJ.e30.x' }, 'unapproved_software_statement', 'software statements are not accepted'],
      [[WEB_APP], 'invalid_client_metadata', 'must be a JSON object'],
    ];
    for (const [metadata, error, description] of cases) {
      const reply = await register(server, metadata, iat.token);
      expect({ metadata, status: reply.status, error: reply.body.error }).toEqual({ metadata, status: 400, error });
      expect(reply.body.error_description).toContain(description);
    }
    // Allowed: loopback http and a reverse-domain scheme for a native app; unknown fields are ignored (RFC 7591 §2).
    const native = await register(server, { ...NATIVE_APP, redirect_uris: ['http://127.0.0.1/cb', 'http://[::1]:8080/cb', 'com.example.tool:/cb'], future_field: 1 }, iat.token);
    expect(native.status).toBe(201);
    expect(native.body).not.toHaveProperty('future_field');
    expect(native.body).not.toHaveProperty('client_secret');
    // Without a scope it gets the configured ones, not every scope the server knows.
    const noScope = await register(server, { ...WEB_APP, scope: undefined }, iat.token);
    expect(noScope.body.scope).toBe('openid profile email offline_access api:read');
  });

  test('RFC 7592: read, replace (the registration access token rotates), delete', async () => {
    const iat = await issue(platform);
    const created = (await register(server, WEB_APP, iat.token)).body;
    const path = new URL(created.registration_client_uri).pathname;
    const secret = created.client_secret as string;

    const read = await call(server, 'GET', path, { token: created.registration_access_token });
    expect(read.status).toBe(200);
    expect(read.headers.get('cache-control')).toBe('no-store');
    expect(read.body).toEqual({
      client_id: created.client_id, client_id_issued_at: created.client_id_issued_at, ...WEB_APP, response_types: ['code'], id_token_signed_response_alg: 'RS256',
      registration_access_token: created.registration_access_token, registration_client_uri: created.registration_client_uri,
    });
    expect((await call(server, 'GET', path, { token: 'gh_rat_wrong' })).status).toBe(401);
    expect((await call(server, 'GET', path)).status).toBe(401);

    const update = { ...WEB_APP, client_id: created.client_id, client_name: 'Renamed', redirect_uris: ['https://self.example/new'] };
    expect((await call(server, 'PUT', path, { token: created.registration_access_token, body: { ...update, client_secret: 'not-it' } })).body)
      .toEqual({ error: 'invalid_request', error_description: 'client_secret does not match the issued one' });
    expect((await call(server, 'PUT', path, { token: created.registration_access_token, body: { ...update, redirect_uris: ['http://x.example/'] } })).body.error)
      .toBe('invalid_redirect_uri');
    expect((await call(server, 'PUT', path, { token: created.registration_access_token, body: { ...update, client_id_issued_at: 1 } })).body.error)
      .toBe('invalid_request');
    const replaced = await call(server, 'PUT', path, { token: created.registration_access_token, body: { ...update, client_secret: secret } });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ client_name: 'Renamed', redirect_uris: ['https://self.example/new'] });
    expect(replaced.body).not.toHaveProperty('client_secret');
    const rotated = replaced.body.registration_access_token as string;
    expect(rotated).not.toBe(created.registration_access_token);
    expect((await call(server, 'GET', path, { token: created.registration_access_token })).status).toBe(401);
    // The secret and the bookkeeping stay.
    expect(await authenticates(server, created.client_id, secret)).toBe(200);
    expect(await storedClient(server, created.client_id)).toMatchObject({ registered_dynamically: true, registration_iat: iat.id });

    expect((await call(server, 'DELETE', path, { token: rotated })).status).toBe(204);
    expect(await storedClient(server, created.client_id)).toBeUndefined();
    expect(await authenticates(server, created.client_id, secret)).toBe(401);
    expect((await call(server, 'GET', path, { token: rotated })).status).toBe(401);
  });

  test('unused self-registered clients expire; one that got a token stays', async () => {
    const iat = await issue(platform, { max_uses: 2 });
    const used = (await register(server, SERVICE, iat.token)).body;
    const unused = (await register(server, SERVICE, iat.token)).body;
    await oidc.clientCredentialsGrant(await clientFor(server, used.client_id, 'post', used.client_secret), { scope: 'api:read' });
    const marked = await eventually(() => storedClient(server, used.client_id), (c) => c?.registration_used_at !== undefined);
    expect(marked?.registration_used_at).toEqual(expect.any(Number));

    const day = 86_400_000;
    const sweep = (inDays: number) => sweepUnusedClients({ directory: server.stores.clients, unusedTtlDays: 30, now: () => Date.now() + inDays * day });
    expect(await sweep(29)).not.toContain(unused.client_id);
    const removed = await sweep(31);
    expect(removed).toContain(unused.client_id);
    expect(removed).not.toContain(used.client_id);
    expect(await storedClient(server, unused.client_id)).toBeUndefined();
    expect(await storedClient(server, used.client_id)).toBeDefined();
  });
});

describe.each(BACKENDS)('open registration (REGISTRATION=open, %s)', (_backend, env) => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer({ ...env(), REGISTRATION: 'open', RATE_LIMIT_TIERS: 'registration:3/h' }); });
  afterAll(() => server?.close());

  test('anyone registers a public native client; client_credentials needs an initial access token; the quota per address is 429', async () => {
    const config = await oidc.dynamicClientRegistration(new URL(server.issuer), NATIVE_APP, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    expect(config.clientMetadata()).toMatchObject({ token_endpoint_auth_method: 'none', redirect_uris: ['http://127.0.0.1/callback'] });
    expect(await storedClient(server, config.clientMetadata().client_id)).toMatchObject({ registration_via: 'open', registration_status: 'active' });

    const service = await register(server, { ...SERVICE, scope: 'openid' });
    expect(service.body).toEqual({
      error: 'invalid_client_metadata',
      error_description: 'grant_types: "client_credentials" may not be self-registered without an initial access token',
    });

    // 3 an hour: two are spent above.
    expect((await register(server, WEB_APP)).status).toBe(201);
    const over = await register(server, WEB_APP);
    expect(over.status).toBe(429);
    expect(over.body.error).toBe('rate_limited');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('registration with approval (REGISTRATION_APPROVAL=required)', () => {
  let server: TestServer;
  let platform: string;
  beforeAll(async () => {
    server = await startTestServer({ REGISTRATION: 'open', REGISTRATION_APPROVAL: 'required' });
    platform = await issueKey(server, ADMIN_SCOPES);
  });
  afterAll(() => server?.close());

  test('a pending client gets nothing until an administrator approves it', async () => {
    const created = (await register(server, WEB_APP)).body;
    const secret = created.client_secret as string;
    expect(await authenticates(server, created.client_id, secret)).toBe(401);
    // It can still read its registration.
    expect((await call(server, 'GET', new URL(created.registration_client_uri).pathname, { token: created.registration_access_token })).status).toBe(200);

    const pending = await admin(server, 'GET', '/registered-clients?status=pending', platform);
    expect(pending.body.items.map((c: { client_id: string }) => c.client_id)).toEqual([created.client_id]);
    expect(pending.body.items[0]).toMatchObject({ registration_status: 'pending', registration_via: 'open' });

    const approved = await admin(server, 'POST', `/registered-clients/${created.client_id}:approve`, platform);
    expect(approved.status).toBe(200);
    expect(approved.body.registration_status).toBe('active');
    expect(await authenticates(server, created.client_id, secret)).toBe(200);
    expect((await admin(server, 'GET', '/registered-clients?status=pending', platform)).body.items).toEqual([]);
    const active = await admin(server, 'GET', '/registered-clients?status=active', platform);
    expect(active.body.items.map((c: { client_id: string }) => c.client_id)).toEqual([created.client_id]);
    // A seeded client is not a registration.
    expect((await admin(server, 'POST', '/registered-clients/web:approve', platform)).status).toBe(404);
  });
});

describe('client ID metadata documents (CLIENT_ID_METADATA_DOCUMENT=on)', () => {
  let server: TestServer;
  let listener: Server;
  let connections = 0;
  beforeAll(async () => {
    server = await startTestServer({ CLIENT_ID_METADATA_DOCUMENT: 'on' });
    listener = createServer((socket) => { connections += 1; socket.destroy(); });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await server?.close();
    listener?.close();
  });

  test('discovery says so; a client_id URL on an internal address is refused without a connection being made', async () => {
    expect((await discoveryOf(server)).client_id_metadata_document_supported).toBe(true);
    const { port } = listener.address() as { port: number };
    const clientId = `https://127.0.0.1:${port}/client.json`;
    const url = new URL(`${server.issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: clientId, response_type: 'code', scope: 'openid', redirect_uri: 'https://self.example/cb',
      code_challenge: 'xPwW17fvqR-sxUBXzTXGmz97VyRZ150RBzw0G2KFCkE', code_challenge_method: 'S256',
    }).toString();
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('invalid_client');
    expect(connections).toBe(0);
  });
});
