import * as oidc from 'openid-client';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';

import { ADMIN_SCOPES } from '../../src/admin/scopes.ts';
import { signIn } from '../support/flows.ts';
import { clientFor, startTestServer, type TestServer } from '../support/gatehouse.ts';

const ORDERS = 'https://orders.example/api';
const WEB_CB = 'https://app.example/cb';

interface PublishedKey { kid: string; alg: string; key_ops?: string[]; kty?: string; crv?: string }

/** Staged signing-key rotation, seen from outside: the JWKS, the tokens, the admin API. */
describe('signing key rotation', () => {
  let server: TestServer;
  let platformKey: string;

  const jwks = async () => (await (await fetch(`${server.issuer}/jwks`)).json()) as { keys: PublishedKey[] };
  const rotate = async (key: string, body: unknown = {}) => {
    const res = await fetch(`${server.issuer}/api/v1/keys:rotate`, {
      method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() as Record<string, any> };
  };
  const introspect = async (token: string) => oidc.tokenIntrospection(await clientFor(server, 'resource-server'), token);
  const jwtFor = async () => (await oidc.clientCredentialsGrant(await clientFor(server, 'service'), { scope: 'api:read', resource: ORDERS })).access_token;

  beforeAll(async () => {
    server = await startTestServer();
    platformKey = (await server.apiKeys.issue({ name: 'platform', scopes: [...ADMIN_SCOPES] }, {
      owner: { type: 'account', id: 'platform-admin' }, allowedScopes: ADMIN_SCOPES,
    })).key;
  });
  afterAll(() => server.close());

  test('next keys are published before they sign; after a rotation they sign, and tokens signed before still verify', async () => {
    const before = await jwks();
    const nextEs256 = before.keys.find((k) => k.alg === 'ES256' && k.key_ops?.includes('verify'))!;
    expect(before.keys).toHaveLength(6);
    expect(before.keys.filter((k) => !k.key_ops).map((k) => k.alg).sort()).toEqual(['ES256', 'EdDSA', 'RS256']);

    const web = await clientFor(server, 'web');
    const oldSignIn = await signIn(web, WEB_CB, { scope: 'openid' });
    const oldIdToken = oldSignIn.tokens.id_token!;
    const oldJwt = await jwtFor();
    expect(decodeProtectedHeader(oldJwt).kid).not.toBe(nextEs256.kid);

    const rotated = await rotate(platformKey);
    expect(rotated.status).toBe(200);
    const states: Record<string, string> = Object.fromEntries(rotated.body.items.map((k: { kid: string; state: string }) => [k.kid, k.state]));
    expect(states[nextEs256.kid]).toBe('current');
    expect(states[decodeProtectedHeader(oldJwt).kid!]).toBe('retired');

    const after = await jwks();
    expect(after.keys).toHaveLength(9); // every algorithm: a retired, a current and a next key
    expect(after.keys.find((k) => k.kid === decodeProtectedHeader(oldJwt).kid)?.key_ops).toEqual(['verify']);
    // Signed before the rotation: still valid against the published keys and at introspection.
    const keySet = createLocalJWKSet(after as JSONWebKeySet);
    await expect(jwtVerify(oldIdToken, keySet, { issuer: server.issuer, audience: 'web' })).resolves.toBeDefined();
    await expect(jwtVerify(oldJwt, keySet, { issuer: server.issuer, audience: ORDERS })).resolves.toBeDefined();
    expect(await introspect(oldJwt)).toMatchObject({ active: true, aud: ORDERS });
    // Signed after: by the key that was `next`, and verifiable too.
    const newJwt = await jwtFor();
    expect(decodeProtectedHeader(newJwt).kid).toBe(nextEs256.kid);
    expect(await introspect(newJwt)).toMatchObject({ active: true });
    const newSignIn = await signIn(web, WEB_CB, { scope: 'openid' }, oldSignIn.browser);
    expect(decodeProtectedHeader(newSignIn.tokens.id_token!).kid).toBe(nextEs256.kid);
  });

  test('the admin API lists states and rotation dates; one algorithm can rotate alone', async () => {
    const listed = await (await fetch(`${server.issuer}/api/v1/keys`, { headers: { authorization: `Bearer ${platformKey}` } })).json() as { items: { alg: string; state: string }[] };
    const before = listed.items;
    expect(before.filter((k: { state: string }) => k.state === 'retired')).toEqual(
      expect.arrayContaining([expect.objectContaining({ retired_at: expect.any(String) })]),
    );
    const rs = await rotate(platformKey, { alg: 'RS256' });
    expect(rs.status).toBe(200);
    const retired = (items: { alg: string; state: string }[], alg: string) => items.filter((k) => k.alg === alg && k.state === 'retired').length;
    expect(retired(rs.body.items, 'RS256')).toBe(retired(before, 'RS256') + 1);
    expect(retired(rs.body.items, 'ES256')).toBe(retired(before, 'ES256'));
    expect((await rotate(platformKey, { alg: 'HS256' })).status).toBe(400);
  });

  test('EdDSA (Ed25519) keys are published and sign for a resource server that asks for them', async () => {
    const edApi = 'https://ed.example/api';
    const put = await fetch(`${server.issuer}/api/v1/resource-servers/${encodeURIComponent(edApi)}`, {
      method: 'PUT', headers: { authorization: `Bearer ${platformKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ scope: 'api:read', access_token_format: 'jwt', jwt_alg: 'EdDSA' }),
    });
    expect(put.status).toBeLessThan(300);
    const token = (await oidc.clientCredentialsGrant(await clientFor(server, 'service'), { scope: 'api:read', resource: edApi })).access_token;
    const header = decodeProtectedHeader(token);
    expect(header.alg).toBe('EdDSA');
    const published = (await jwks()).keys.find((k) => k.kid === header.kid);
    expect(published).toMatchObject({ alg: 'EdDSA', kty: 'OKP', crv: 'Ed25519' });
    expect(published).not.toHaveProperty('d');
    await expect(jwtVerify(token, createLocalJWKSet(await jwks() as JSONWebKeySet), { issuer: server.issuer, audience: edApi })).resolves.toBeDefined();
    expect(await introspect(token)).toMatchObject({ active: true, aud: edApi });
  });

  test('every rotation is in the audit log, naming who asked for it', async () => {
    const key = (await server.apiKeys.issue({ name: 'rotator', scopes: ['admin:keys:write', 'admin:audit:read'] }, {
      owner: { type: 'account', id: 'platform-admin' }, allowedScopes: ADMIN_SCOPES,
    }));
    expect((await rotate(key.key, { alg: 'ES256' })).status).toBe(200);
    // Audit events are written in batches just after the request: poll with a deadline.
    const deadline = Date.now() + 3000;
    let events: { type: string; actor: string; details: { alg: string } }[] = [];
    while (Date.now() < deadline) {
      const res = await fetch(`${server.issuer}/api/v1/audit-events?type=key.rotated`, { headers: { authorization: `Bearer ${key.key}` } });
      events = ((await res.json()) as { items: typeof events }).items;
      if (events.some((e) => e.actor === `api_key:${key.record.id}`)) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(events).toEqual(expect.arrayContaining([
      expect.objectContaining({ type: 'key.rotated', actor: `api_key:${key.record.id}`, details: expect.objectContaining({ alg: 'ES256' }) }),
    ]));
  });

  test('only the platform rotates keys', async () => {
    const orgKey = (await server.apiKeys.issue({ name: 'org', scopes: ['admin:keys:write'] }, {
      owner: { type: 'account', id: 'someone' }, orgId: 'some-org', allowedScopes: ADMIN_SCOPES,
    })).key;
    expect(await rotate(orgKey)).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    const reader = (await server.apiKeys.issue({ name: 'reader', scopes: ['admin:keys:read'] }, {
      owner: { type: 'account', id: 'someone' }, allowedScopes: ADMIN_SCOPES,
    })).key;
    expect(await rotate(reader)).toMatchObject({ status: 403, body: { error: 'insufficient_scope', scope: 'admin:keys:write' } });
  });
});
