import { calculateJwkThumbprint, createRemoteJWKSet, decodeJwt, exportJWK, jwtVerify } from 'jose';
import * as oidc from 'openid-client';

import { ADMIN_SCOPES } from '../../src/admin/scopes.ts';
import { signIn } from '../support/flows.ts';
import { clientFor, oauthError, SECRETS, startTestServer, type TestServer } from '../support/gatehouse.ts';
import { testRedisUrl } from '../support/redis.ts';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const API_KEY = 'urn:gatehouse:params:oauth:token-type:api-key';
const ORDERS = 'https://orders.example/api';
const REPORTS = 'https://reports.example/api';
const TTL = 120;

describe('token exchange is off by default', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(); });
  afterAll(() => server?.close());

  test('the grant is unknown to the token endpoint and a client cannot be registered for it', async () => {
    const service = await clientFor(server, 'service');
    expect(await oauthError(oidc.genericGrantRequest(service, TOKEN_EXCHANGE, { subject_token: 'x', subject_token_type: ACCESS_TOKEN })))
      .toEqual({ status: 400, error: 'unsupported_grant_type' });
    const key = (await server.apiKeys.issue({ name: 'admin', scopes: [...ADMIN_SCOPES] }, {
      owner: { type: 'account', id: 'root' }, allowedScopes: ADMIN_SCOPES,
    })).key;
    const res = await fetch(`${server.issuer}/api/v1/clients`, {
      method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ grant_types: ['client_credentials', TOKEN_EXCHANGE], scope: 'api:read' }),
    });
    expect(res.status).toBe(400);
  });
});

/** Opaque tokens, grants and the revocation list live in Redis when it is configured, else in memory. */
const BACKENDS: Array<[string, () => Record<string, string>]> = [
  ['memory', () => ({})],
  ['redis', () => ({ REDIS_URL: testRedisUrl() })],
];

describe.each(BACKENDS)('token exchange (RFC 8693, TOKEN_EXCHANGE=on, %s)', (_backend, env) => {
  let server: TestServer;
  let admin: string;
  /** `exchanger` may exchange only its own credentials; `gateway` may exchange anyone's (impersonate). */
  const secrets: Record<string, string> = {};
  let exchanger: oidc.Configuration;
  let gateway: oidc.Configuration;
  let jwks: ReturnType<typeof createRemoteJWKSet>;

  async function adminCall(method: string, path: string, body?: unknown) {
    const res = await fetch(`${server.issuer}/api/v1${path}`, {
      method, headers: { authorization: `Bearer ${admin}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) as Record<string, any> : {} };
  }
  async function createClient(id: string, scope: string, auth = 'client_secret_basic') {
    const created = await adminCall('POST', '/clients', {
      client_id: id, grant_types: ['client_credentials', TOKEN_EXCHANGE], scope, token_endpoint_auth_method: auth,
    });
    expect(created.status).toBe(201);
    secrets[id] = created.body.client_secret;
  }
  const apiKeyOf = async (owner: { type: 'account' | 'service_account'; id: string }, scopes = ['api:read']) =>
    server.apiKeys.issue({ name: `key of ${owner.id}`, scopes }, { owner, allowedScopes: ['api:read', 'api:write'] });
  const exchange = (config: oidc.Configuration, params: Record<string, string>, options?: oidc.DPoPOptions) =>
    oidc.genericGrantRequest(config, TOKEN_EXCHANGE, params, options);
  const verify = async (token: string, audience = ORDERS) =>
    (await jwtVerify(token, jwks, { issuer: server.issuer, audience, typ: 'at+jwt' })).payload;

  beforeAll(async () => {
    server = await startTestServer({ ...env(), TOKEN_EXCHANGE: 'on', TOKEN_EXCHANGE_TTL: String(TTL) });
    admin = (await server.apiKeys.issue({ name: 'admin', scopes: [...ADMIN_SCOPES] }, {
      owner: { type: 'account', id: 'root' }, allowedScopes: ADMIN_SCOPES,
    })).key;
    await createClient('exchanger', 'api:read api:write');
    await createClient('gateway', 'api:read api:write token-exchange:impersonate');
    exchanger = await clientFor(server, 'exchanger', 'basic', secrets.exchanger);
    gateway = await clientFor(server, 'gateway', 'basic', secrets.gateway);
    jwks = createRemoteJWKSet(new URL(`${server.issuer}/jwks`));
  });
  afterAll(() => server?.close());

  test('discovery lists the grant', async () => {
    const discovery = await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json() as { grant_types_supported: string[] };
    expect(discovery.grant_types_supported).toContain(TOKEN_EXCHANGE);
  });

  test('its own API key becomes a short-lived JWT for the orders API, verifiable with the JWKS', async () => {
    const { key } = await apiKeyOf({ type: 'service_account', id: 'exchanger' });
    const tokens = await exchange(exchanger, { subject_token: key, subject_token_type: API_KEY, resource: ORDERS });
    expect(tokens).toMatchObject({ issued_token_type: ACCESS_TOKEN, token_type: 'bearer', expires_in: TTL, scope: 'api:read' });
    expect(tokens).not.toHaveProperty('refresh_token');
    const claims = await verify(tokens.access_token);
    expect(claims).toMatchObject({ sub: 'exchanger', client_id: 'exchanger', scope: 'api:read', aud: ORDERS });
    expect(claims.exp! - claims.iat!).toBe(TTL);
    expect(claims).not.toHaveProperty('act');

    // `audience` (RFC 8693 §2.1) names it as well as `resource`; an opaque API gets an opaque token.
    const viaAudience = await exchange(exchanger, { subject_token: key, subject_token_type: API_KEY, audience: ORDERS });
    expect((await verify(viaAudience.access_token)).aud).toBe(ORDERS);
    const opaque = await exchange(exchanger, { subject_token: key, subject_token_type: API_KEY, resource: REPORTS });
    expect(opaque.access_token.split('.')).toHaveLength(1);
    const rs = await clientFor(server, 'resource-server');
    expect(await oidc.tokenIntrospection(rs, opaque.access_token)).toMatchObject({ active: true, aud: REPORTS, sub: 'exchanger', client_id: 'exchanger', scope: 'api:read' });

    // The audit sink writes in the background: poll, with a deadline.
    const deadline = Date.now() + 5000;
    let event;
    while (!event && Date.now() < deadline) {
      const page = await server.stores.audit.list({ type: 'token.issued', limit: 100 });
      event = page.items.find((e) => e.clientId === 'exchanger' && e.details?.grant_type === TOKEN_EXCHANGE);
      if (!event) await new Promise((r) => setTimeout(r, 20));
    }
    expect(event).toMatchObject({
      actor: 'exchanger', subject: 'exchanger',
      details: { subject_token_type: API_KEY, impersonation: false, scopes: ['api:read'] },
    });
  });

  test('a wider scope is invalid_scope; an unknown, missing, second or admin audience is invalid_target', async () => {
    const { key } = await apiKeyOf({ type: 'service_account', id: 'exchanger' });
    const base = { subject_token: key, subject_token_type: API_KEY };
    expect(await oauthError(exchange(exchanger, { ...base, resource: ORDERS, scope: 'api:write' }))).toEqual({ status: 400, error: 'invalid_scope' });
    expect(await oauthError(exchange(exchanger, { ...base, resource: 'https://unknown.example/api' }))).toEqual({ status: 400, error: 'invalid_target' });
    expect(await oauthError(exchange(exchanger, base))).toEqual({ status: 400, error: 'invalid_target' });
    expect(await oauthError(exchange(exchanger, { ...base, resource: `${server.issuer}/api/v1` }))).toEqual({ status: 400, error: 'invalid_target' });
    const two = new URLSearchParams({ ...base, resource: ORDERS });
    two.append('audience', REPORTS);
    expect(await oauthError(exchange(exchanger, two as unknown as Record<string, string>))).toEqual({ status: 400, error: 'invalid_target' });
    // A subject token type it does not know is invalid_request.
    expect(await oauthError(exchange(exchanger, { subject_token: key, subject_token_type: 'urn:ietf:params:oauth:token-type:saml2', resource: ORDERS })))
      .toEqual({ status: 400, error: 'invalid_request' });
  });

  test('a revoked, expired or unknown subject token is invalid_grant', async () => {
    const revoked = await apiKeyOf({ type: 'service_account', id: 'exchanger' });
    await server.apiKeys.revoke(revoked.record.id);
    const expired = await apiKeyOf({ type: 'service_account', id: 'exchanger' });
    await server.stores.apiKeys.shortenExpiry(expired.record.id, new Date(Date.now() - 1000));
    for (const key of [revoked.key, expired.key]) {
      expect(await oauthError(exchange(exchanger, { subject_token: key, subject_token_type: API_KEY, resource: ORDERS })))
        .toEqual({ status: 400, error: 'invalid_grant' });
    }
    // An access token revoked with RFC 7009 (opaque) and one that was never issued.
    const own = await oidc.clientCredentialsGrant(exchanger, { scope: 'api:read', resource: REPORTS });
    await oidc.tokenRevocation(exchanger, own.access_token);
    for (const token of [own.access_token, 'not-a-token-this-server-issued']) {
      expect(await oauthError(exchange(exchanger, { subject_token: token, subject_token_type: ACCESS_TOKEN, resource: ORDERS })))
        .toEqual({ status: 400, error: 'invalid_grant' });
    }
  });

  test('revoking what a token was exchanged from makes it inactive at once: an API key, a JWT or opaque token (RFC 7009), a client, along a chain', async () => {
    const rs = await clientFor(server, 'resource-server');
    const active = async (token: string) => (await oidc.tokenIntrospection(rs, token)).active;

    // An API key exchanged for a JWT and for an opaque token, and that JWT exchanged once more.
    const { key, record } = await apiKeyOf({ type: 'service_account', id: 'exchanger' });
    const jwt = await exchange(exchanger, { subject_token: key, subject_token_type: API_KEY, resource: ORDERS });
    const opaque = await exchange(exchanger, { subject_token: key, subject_token_type: API_KEY, resource: REPORTS });
    const second = await exchange(exchanger, { subject_token: jwt.access_token, subject_token_type: ACCESS_TOKEN, resource: REPORTS });
    expect((await verify(jwt.access_token)).gh_sources).toEqual([{ api_key: record.id }]);
    for (const t of [jwt, opaque, second]) expect(await active(t.access_token)).toBe(true);
    await server.apiKeys.revoke(record.id);
    for (const t of [jwt, opaque, second]) expect(await oidc.tokenIntrospection(rs, t.access_token)).toEqual({ active: false });
    expect(await oauthError(exchange(exchanger, { subject_token: jwt.access_token, subject_token_type: ACCESS_TOKEN, resource: ORDERS })))
      .toEqual({ status: 400, error: 'invalid_grant' });

    // A JWT access token the client revokes (RFC 7009).
    const own = await oidc.clientCredentialsGrant(exchanger, { scope: 'api:read', resource: ORDERS });
    const fromJwt = await exchange(exchanger, { subject_token: own.access_token, subject_token_type: ACCESS_TOKEN, resource: REPORTS });
    expect(await active(fromJwt.access_token)).toBe(true);
    await oidc.tokenRevocation(exchanger, own.access_token);
    expect(await active(fromJwt.access_token)).toBe(false);

    // An opaque access token the client revokes (RFC 7009): named in the result by a digest, not by its value.
    const opaqueOwn = await oidc.clientCredentialsGrant(exchanger, { scope: 'api:read' });
    const fromOpaque = await exchange(exchanger, { subject_token: opaqueOwn.access_token, subject_token_type: ACCESS_TOKEN, resource: ORDERS });
    const sources = (await verify(fromOpaque.access_token)).gh_sources;
    expect(sources).toEqual([{ ref: expect.stringMatching(/^[\w-]{22}$/), client_id: 'exchanger', iat: expect.any(Number) }]);
    expect(JSON.stringify(sources)).not.toContain(opaqueOwn.access_token);
    expect(await active(fromOpaque.access_token)).toBe(true);
    await oidc.tokenRevocation(exchanger, opaqueOwn.access_token);
    expect(await active(opaqueOwn.access_token)).toBe(false);
    expect(await active(fromOpaque.access_token)).toBe(false);

    // Another client's token, exchanged by the gateway (impersonation); then that client is deleted.
    await createClient('short-lived', 'api:read');
    const shortLived = await clientFor(server, 'short-lived', 'basic', secrets['short-lived']);
    const theirs = await oidc.clientCredentialsGrant(shortLived, { scope: 'api:read' });
    const fromTheirs = await exchange(gateway, { subject_token: theirs.access_token, subject_token_type: ACCESS_TOKEN, resource: ORDERS });
    expect(await active(fromTheirs.access_token)).toBe(true);
    expect((await adminCall('DELETE', '/clients/short-lived')).status).toBe(204);
    expect(await active(fromTheirs.access_token)).toBe(false);
  });

  test("another party's token needs the token-exchange:impersonate scope", async () => {
    const { key } = await apiKeyOf({ type: 'service_account', id: 'gateway' });
    const params = { subject_token: key, subject_token_type: API_KEY, resource: ORDERS };
    const refused = await exchange(exchanger, params).catch((err: unknown) => err as oidc.ResponseBodyError);
    expect(refused).toBeInstanceOf(oidc.ResponseBodyError);
    expect((refused as oidc.ResponseBodyError).error).toBe('invalid_grant');
    expect((refused as oidc.ResponseBodyError).error_description).toContain('token-exchange:impersonate');

    const accountKey = await apiKeyOf({ type: 'account', id: 'someone' });
    const impersonated = await exchange(gateway, { ...params, subject_token: accountKey.key });
    expect(await verify(impersonated.access_token)).toMatchObject({ sub: 'someone', client_id: 'gateway', scope: 'api:read' });
    expect(impersonated.scope).not.toContain('token-exchange:impersonate');
  });

  test("delegation: a person's token and the caller's actor_token give an `act` claim; revoking the person's grant reaches the result", async () => {
    const web = await clientFor(server, 'web', 'basic', SECRETS.web);
    const { tokens: person } = await signIn(web, 'https://app.example/cb', { scope: 'openid api:read', resource: ORDERS }, undefined, { resource: ORDERS });
    const adaId = decodeJwt(person.access_token).sub!;
    const actor = await oidc.clientCredentialsGrant(gateway, { scope: 'api:read' });

    const delegated = await exchange(gateway, {
      subject_token: person.access_token, subject_token_type: ACCESS_TOKEN, actor_token: actor.access_token, actor_token_type: ACCESS_TOKEN,
      resource: REPORTS,
    });
    const rs = await clientFor(server, 'resource-server');
    const answer = await oidc.tokenIntrospection(rs, delegated.access_token);
    expect(answer).toMatchObject({ active: true, sub: adaId, client_id: 'gateway', aud: REPORTS, act: { sub: 'gateway' } });

    // Exchanged again (its own token now) without an actor: the chain stays (RFC 8693 §4.1).
    const again = await exchange(gateway, { subject_token: delegated.access_token, subject_token_type: ACCESS_TOKEN, resource: ORDERS });
    expect(await verify(again.access_token)).toMatchObject({ sub: adaId, act: { sub: 'gateway' } });

    // An actor token must be the caller's own; actor_token_type goes with it.
    const other = await oidc.clientCredentialsGrant(exchanger, { scope: 'api:read' });
    expect(await oauthError(exchange(gateway, {
      subject_token: person.access_token, subject_token_type: ACCESS_TOKEN, actor_token: other.access_token, actor_token_type: ACCESS_TOKEN, resource: ORDERS,
    }))).toEqual({ status: 400, error: 'invalid_grant' });
    expect(await oauthError(exchange(gateway, {
      subject_token: person.access_token, subject_token_type: ACCESS_TOKEN, actor_token: actor.access_token, resource: ORDERS,
    }))).toEqual({ status: 400, error: 'invalid_request' });

    // Ada revokes the app: what was made from her token stops working as well.
    const grants = await adminCall('GET', `/accounts/${adaId}/grants`);
    const grant = grants.body.items.find((g: { client_id: string }) => g.client_id === 'web');
    expect((await adminCall('DELETE', `/grants/${grant.id}`)).status).toBe(204);
    expect(await oidc.tokenIntrospection(rs, delegated.access_token)).toEqual({ active: false });
    expect(await oidc.tokenIntrospection(rs, again.access_token)).toEqual({ active: false });
    expect(await oauthError(exchange(gateway, { subject_token: person.access_token, subject_token_type: ACCESS_TOKEN, resource: ORDERS })))
      .toEqual({ status: 400, error: 'invalid_grant' });
  });

  test('with a DPoP proof the token is bound to its key; a DPoP-bound subject needs a proof of that key', async () => {
    const { key } = await apiKeyOf({ type: 'service_account', id: 'exchanger' });
    const keyPair = await oidc.randomDPoPKeyPair();
    const DPoP = oidc.getDPoPHandle(exchanger, keyPair);
    const bound = await exchange(exchanger, { subject_token: key, subject_token_type: API_KEY, resource: ORDERS }, { DPoP });
    expect(bound.token_type).toBe('dpop');
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
    expect((await verify(bound.access_token)).cnf).toEqual({ jkt });

    // Exchanging the bound token again without the key would strip the binding: refused.
    expect(await oauthError(exchange(exchanger, { subject_token: bound.access_token, subject_token_type: ACCESS_TOKEN, resource: ORDERS })))
      .toEqual({ status: 400, error: 'invalid_grant' });
    const rebound = await exchange(exchanger, { subject_token: bound.access_token, subject_token_type: ACCESS_TOKEN, resource: ORDERS }, { DPoP });
    expect((await verify(rebound.access_token)).cnf).toEqual({ jkt });
  });

  test('a public client may not exchange tokens', async () => {
    const created = await adminCall('POST', '/clients', {
      client_id: 'public-exchanger', grant_types: [TOKEN_EXCHANGE], token_endpoint_auth_method: 'none', scope: 'api:read',
    });
    expect(created.status).toBe(201);
    const config = await clientFor(server, 'public-exchanger', 'none');
    const { key } = await apiKeyOf({ type: 'service_account', id: 'exchanger' });
    expect(await oauthError(exchange(config, { subject_token: key, subject_token_type: API_KEY, resource: ORDERS })))
      .toEqual({ status: 400, error: 'unauthorized_client' });
  });
});
