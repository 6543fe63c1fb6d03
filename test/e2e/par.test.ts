import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as oidc from 'openid-client';

import { ADMIN_SCOPES } from '../../src/admin/scopes.ts';
import { Browser, type Page } from '../support/browser.ts';
import { consent, login, startAuthorization } from '../support/flows.ts';
import { clientFor, oauthError, SECRETS, SEED_PATH, startTestServer, type TestServer } from '../support/gatehouse.ts';

const WEB_CB = 'https://app.example/cb';
const PAR_CB = 'https://par.example/cb';
const PAR_SECRET = 'par-only-secret-for-tests-only-0123456789';
const URN = 'urn:ietf:params:oauth:request_uri:';

/** The test seed plus a client that must use pushed authorization requests (RFC 9126 §6). */
async function seedWithParClient(): Promise<string> {
  const seed = JSON.parse(await readFile(SEED_PATH, 'utf8')) as { clients: object[] };
  seed.clients.push({
    client_id: 'par-only', client_secret: PAR_SECRET, client_name: 'PAR only', redirect_uris: [PAR_CB],
    grant_types: ['authorization_code'], response_types: ['code'], scope: 'openid profile',
    require_pushed_authorization_requests: true,
  });
  const path = join(await mkdtemp(join(tmpdir(), 'gatehouse-par-')), 'seed.json');
  await writeFile(path, JSON.stringify(seed));
  return path;
}

interface Pushed { url: URL; verifier: string; state: string; nonce: string }

/** Pushes an authorization request with openid-client; the URL carries only client_id and request_uri. */
async function push(config: oidc.Configuration, params: Record<string, string>): Promise<Pushed> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = await oidc.buildAuthorizationUrlWithPAR(config, {
    scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce, ...params,
  });
  return { url, verifier, state, nonce };
}

/** A person signs in on the page `url` leads to; returns where the browser ends up. */
async function authorize(url: URL, stopAt: string, browser = new Browser()): Promise<Page> {
  let page = await browser.open(url.href, {}, stopAt);
  if (page.url.startsWith(stopAt) || page.status !== 200) return page;
  page = await login(browser, page, stopAt);
  return consent(browser, page, stopAt);
}

const metadataOf = async (server: TestServer) =>
  (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;

describe.each([
  ['memory', () => ({})],
  ['redis', () => ({ REDIS_URL: process.env.REDIS_URL! })],
] as const)('pushed authorization requests (RFC 9126), kept in %s', (_name, env) => {
  let server: TestServer;
  let web: oidc.Configuration;

  beforeAll(async () => {
    server = await startTestServer({ ...env(), GATEHOUSE_SEED: await seedWithParClient() });
    web = await clientFor(server, 'web');
  });
  afterAll(() => server.close());

  test('discovery advertises the endpoint; PAR is not required of every client (§5)', async () => {
    const metadata = await metadataOf(server);
    expect(metadata.pushed_authorization_request_endpoint).toBe(`${server.issuer}/request`);
    // §5: omitted means false.
    expect(metadata.require_pushed_authorization_requests).toBeUndefined();
  });

  test('push → authorize with the request_uri → code → tokens', async () => {
    const pushed = await push(web, { redirect_uri: WEB_CB, scope: 'openid profile' });
    expect([...pushed.url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    expect(pushed.url.searchParams.get('request_uri')).toMatch(new RegExp(`^${URN}`));
    const page = await authorize(pushed.url, WEB_CB);
    const tokens = await oidc.authorizationCodeGrant(web, new URL(page.url), {
      pkceCodeVerifier: pushed.verifier, expectedState: pushed.state, expectedNonce: pushed.nonce,
    });
    expect(tokens.claims()!.aud).toBe('web');
    expect(tokens.scope).toBe('openid profile');
  });

  test('the push answer is short-lived (§2.2) and the endpoint needs client authentication', async () => {
    const res = await fetch(`${server.issuer}/request`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`web:${SECRETS.web}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: 'web', response_type: 'code', redirect_uri: WEB_CB, scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256',
      }),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ request_uri: expect.stringMatching(new RegExp(`^${URN}`)), expires_in: 60 });

    const wrong = await clientFor(server, 'web', 'basic', 'not-the-secret-of-web-0123456789abcdef');
    expect(await oauthError(oidc.buildAuthorizationUrlWithPAR(wrong, { redirect_uri: WEB_CB, scope: 'openid' })))
      .toEqual({ status: 401, error: 'invalid_client' });
  });

  test('an unregistered redirect_uri cannot be pushed (§2.4 is not used): 400 invalid_request (§2.3)', async () => {
    expect(await oauthError(oidc.buildAuthorizationUrlWithPAR(web, {
      redirect_uri: 'https://evil.example/cb', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256',
    }))).toEqual({ status: 400, error: 'invalid_request' });
  });

  test('a request_uri is single use: after the code was issued it is refused', async () => {
    const pushed = await push(web, { redirect_uri: WEB_CB });
    const browser = new Browser();
    const first = await authorize(pushed.url, WEB_CB, browser);
    expect(new URL(first.url).searchParams.get('code')).toEqual(expect.any(String));

    const again = await browser.open(pushed.url.href, {}, WEB_CB);
    expect(again.url.startsWith(WEB_CB)).toBe(false);
    expect(again.status).toBe(400);
    expect(again.html).toContain('invalid_request_uri');
  });

  test("another client cannot use a client's request_uri", async () => {
    const pushed = await push(web, { redirect_uri: WEB_CB });
    const stolen = new URL(pushed.url);
    stolen.searchParams.set('client_id', 'narrow');
    const page = await new Browser().open(stolen.href, {}, 'https://');
    // No code anywhere: neither at narrow's redirect URI nor at web's.
    expect(page.url).not.toMatch(/^https:\/\/(app|narrow)\.example/);
    expect(page.status).toBe(400);
    expect(page.html).toContain('invalid_request_object');
  });

  test('an expired request_uri is refused', async () => {
    const pushed = await push(web, { redirect_uri: WEB_CB });
    const id = pushed.url.searchParams.get('request_uri')!.slice(URN.length);
    // Age the stored request instead of waiting out its 60 seconds.
    const { adapter } = server.provider.PushedAuthorizationRequest;
    const stored = await adapter.find(id);
    expect(stored).toBeDefined();
    await adapter.upsert(id, { ...stored!, exp: Math.floor(Date.now() / 1000) - 1 }, 60);

    const page = await new Browser().open(pushed.url.href, {}, WEB_CB);
    expect(page.url.startsWith(WEB_CB)).toBe(false);
    expect(page.status).toBe(400);
    expect(page.html).toContain('invalid_request_uri');

    // The control: the same stored request with its own expiry leads to the login page.
    await adapter.upsert(id, stored!, 60);
    const fresh = await new Browser().open(pushed.url.href, {}, WEB_CB);
    expect(fresh.status).toBe(200);
    expect(fresh.url).toMatch(/\/interaction\//);
  });

  test('a made-up request_uri is refused', async () => {
    const url = new URL(`${server.issuer}/auth`);
    url.search = new URLSearchParams({ client_id: 'web', request_uri: `${URN}made-up` }).toString();
    const page = await new Browser().open(url.href, {}, WEB_CB);
    expect(page.status).toBe(400);
    expect(page.html).toContain('invalid_request_uri');
  });

  test('a client registered with require_pushed_authorization_requests is refused at /auth without it', async () => {
    const parOnly = await clientFor(server, 'par-only', 'basic', PAR_SECRET);
    const plain = await startAuthorization(parOnly, { redirect_uri: PAR_CB });
    const refused = new URL((await new Browser().open(plain.url.href, {}, PAR_CB)).url);
    expect(Object.fromEntries(refused.searchParams)).toMatchObject({
      error: 'invalid_request', error_description: 'Pushed Authorization Request must be used', state: plain.state,
    });

    const pushed = await push(parOnly, { redirect_uri: PAR_CB });
    const page = await authorize(pushed.url, PAR_CB);
    expect(new URL(page.url).searchParams.get('code')).toEqual(expect.any(String));
  });

  test('the admin API sets require_pushed_authorization_requests on a client, and it holds', async () => {
    const { key } = await server.apiKeys.issue(
      { name: 'par tests', scopes: [...ADMIN_SCOPES] }, { owner: { type: 'account', id: 'operator' }, allowedScopes: ADMIN_SCOPES },
    );
    const admin = (method: string, path: string, body: unknown) => fetch(`${server.issuer}/api/v1${path}`, {
      method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    const created = await admin('POST', '/clients', {
      client_id: `pushy-${_name}`, client_name: 'Pushy', redirect_uris: [PAR_CB], scope: 'openid', require_pushed_authorization_requests: true,
    });
    expect(created.status).toBe(201);
    const { client_secret: secret, ...shown } = await created.json() as { client_secret: string };
    expect(shown).toMatchObject({ require_pushed_authorization_requests: true });

    const pushy = await clientFor(server, `pushy-${_name}`, 'basic', secret);
    const plain = await startAuthorization(pushy, { redirect_uri: PAR_CB });
    expect(new URL((await new Browser().open(plain.url.href, {}, PAR_CB)).url).searchParams.get('error')).toBe('invalid_request');
    expect((await admin('PATCH', `/clients/pushy-${_name}`, { require_pushed_authorization_requests: 'yes' })).status).toBe(400);
  });
});

describe('PAR_REQUIRED=true', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer({ PAR_REQUIRED: 'true' }); });
  afterAll(() => server.close());

  test('discovery says so, and every client must push its requests', async () => {
    expect((await metadataOf(server)).require_pushed_authorization_requests).toBe(true);
    const web = await clientFor(server, 'web');
    const plain = await startAuthorization(web, { redirect_uri: WEB_CB });
    expect(new URL((await new Browser().open(plain.url.href, {}, WEB_CB)).url).searchParams.get('error')).toBe('invalid_request');
    const pushed = await push(web, { redirect_uri: WEB_CB });
    expect(new URL((await authorize(pushed.url, WEB_CB)).url).searchParams.get('code')).toEqual(expect.any(String));
  });
});

describe('PAR=off', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer({ PAR: 'off' }); });
  afterAll(() => server.close());

  test('no endpoint in discovery or at /request, and request_uri is not supported', async () => {
    expect(await metadataOf(server)).not.toHaveProperty('pushed_authorization_request_endpoint');
    const res = await fetch(`${server.issuer}/request`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`web:${SECRETS.web}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'web', response_type: 'code', redirect_uri: WEB_CB, scope: 'openid' }),
    });
    expect(res.status).toBe(404);
    const url = new URL(`${server.issuer}/auth`);
    url.search = new URLSearchParams({ client_id: 'web', request_uri: `${URN}anything` }).toString();
    const page = await new Browser().open(url.href, {}, WEB_CB);
    expect(page.status).toBe(400);
    expect(page.html).toContain('request_uri_not_supported');
  });
});
