import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as oidc from 'openid-client';

import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { Browser, type Page } from '../support/browser.ts';
import { ADA, startTestServer, type TestServer } from '../support/gatehouse.ts';
import { login } from '../support/flows.ts';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const USER_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;

/**
 * Device clients of this file's seed: `cli` is first-party (the confirmation page is the
 * only question), `tv` is a third-party app (the consent page follows sign-in).
 */
const SEED = {
  accounts: [ADA],
  clients: [
    { client_id: 'cli', client_name: 'Acme CLI', first_party: true, grant_types: [DEVICE_GRANT, 'refresh_token'],
      token_endpoint_auth_method: 'none', scope: 'openid profile email offline_access api:read' },
    { client_id: 'tv', client_name: 'Living Room TV', grant_types: [DEVICE_GRANT],
      token_endpoint_auth_method: 'none', scope: 'openid profile' },
  ],
};

let seedDir: string;
let seedPath: string;
beforeAll(async () => {
  seedDir = await mkdtemp(join(tmpdir(), 'gatehouse-device-'));
  seedPath = join(seedDir, 'seed.json');
  await writeFile(seedPath, JSON.stringify(SEED));
});
afterAll(() => rm(seedDir, { recursive: true, force: true }));

async function deviceClient(server: TestServer, clientId: string): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(server.issuer), clientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
}

/** One poll of the token endpoint as a device sends it (RFC 8628 §3.4), without waiting first. */
async function poll(server: TestServer, clientId: string, deviceCode: string) {
  const res = await fetch(`${server.issuer}/token`, {
    method: 'POST', body: new URLSearchParams({ grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: clientId }),
  });
  return { status: res.status, body: await res.json() as Record<string, unknown>, cacheControl: res.headers.get('cache-control') };
}

/** The person types `typed` into the code page at verification_uri. */
async function enterCode(browser: Browser, verificationUri: string, typed: string): Promise<Page> {
  const page = await browser.open(verificationUri);
  return browser.submit(page, /\/device$/, { user_code: typed });
}

/** Polls at the RFC interval until the answer is no longer authorization_pending, with a deadline. */
async function pollUntilSettled(server: TestServer, clientId: string, deviceCode: string, intervalMs: number, deadlineMs: number) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const answer = await poll(server, clientId, deviceCode);
    if (answer.body.error !== 'authorization_pending' || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

describe.each([
  ['memory', () => ({})],
  ['redis', () => ({ REDIS_URL: process.env.REDIS_URL! })],
] as const)('device authorization grant (RFC 8628), codes in %s', (_name, env) => {
  let server: TestServer;
  let cli: oidc.Configuration;
  let tv: oidc.Configuration;

  beforeAll(async () => {
    // Many codes are entered from 127.0.0.1 here; the limit itself is tested below.
    server = await startTestServer({ GATEHOUSE_SEED: seedPath, DEVICE_POLL_INTERVAL: '1', RATE_LIMIT_TIERS: 'user_code:1000/min', ...env() });
    [cli, tv] = await Promise.all([deviceClient(server, 'cli'), deviceClient(server, 'tv')]);
  });
  afterAll(() => server.close());

  test('discovery names the device authorization endpoint and the grant', async () => {
    const meta = await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    expect(meta.device_authorization_endpoint).toBe(`${server.issuer}/device/auth`);
    expect(meta.grant_types_supported).toContain(DEVICE_GRANT);
  });

  test('device asks, the person enters the code, confirms and signs in, the device gets tokens', async () => {
    const device = await oidc.initiateDeviceAuthorization(cli, { scope: 'openid profile offline_access api:read' });
    expect(device.user_code).toMatch(USER_CODE);
    expect(device.verification_uri).toBe(`${server.issuer}/device`);
    expect(device.verification_uri_complete).toBe(`${server.issuer}/device?user_code=${device.user_code}`);
    expect(device.expires_in).toBe(600);
    expect(device.interval).toBe(1);

    // Before the person acts, the device is told to keep waiting.
    const pending = await poll(server, 'cli', device.device_code);
    expect(pending).toMatchObject({ status: 400, body: { error: 'authorization_pending' }, cacheControl: 'no-store' });

    // The person types the code in small letters with a space for the dash.
    const browser = new Browser();
    const entry = await browser.open(device.verification_uri);
    expect(entry.status).toBe(200);
    expect(entry.html).toMatch(/<label for="user_code">/);
    expect(entry.html).toMatch(/<input id="user_code" name="user_code"[^>]*autofocus/);
    expect(entry.html).toMatch(/role="alert" aria-live="assertive"/);
    const confirm = await browser.submit(entry, /\/device$/, { user_code: device.user_code.toLowerCase().replace('-', ' ') });
    expect(confirm.status).toBe(200);
    expect(confirm.html).toContain('Is this the device you are using?');
    expect(confirm.html).toContain('Acme CLI');
    expect(confirm.html).toContain(device.user_code);
    for (const scope of ['openid', 'profile', 'offline_access', 'api:read']) expect(confirm.html).toContain(`<span class="scope-name">${scope}</span>`);
    expect(confirm.html).toMatch(/id="allow"[\s\S]*id="deny"/);

    // Allow: sign in (first-party: no consent page), then the success page.
    const loginPage = await browser.submit(confirm, /\/device$/, {});
    expect(loginPage.url).toMatch(/\/interaction\//);
    expect(loginPage.html).toContain('Acme CLI');
    const done = await login(browser, loginPage, 'https://never.example/');
    expect(done.status).toBe(200);
    expect(done.html).toContain('Device connected');
    expect(done.html).toContain('Acme CLI');

    // The device's next poll (openid-client waits the interval first) gets the tokens.
    const tokens = await oidc.pollDeviceAuthorizationGrant(cli, device);
    const account = await server.stores.accounts.findByEmail(ADA.email);
    expect(tokens.claims()).toMatchObject({ iss: server.issuer, aud: 'cli', sub: account!.id });
    expect(tokens.scope!.split(' ').sort()).toEqual(['api:read', 'offline_access', 'openid', 'profile']);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const userinfo = await oidc.fetchUserInfo(cli, tokens.access_token, account!.id);
    expect(userinfo).toMatchObject({ sub: account!.id, name: ADA.name });
    const refreshed = await oidc.refreshTokenGrant(cli, tokens.refresh_token!);
    expect(refreshed.access_token).toEqual(expect.any(String));

    // The user code cannot be entered again.
    const again = await enterCode(new Browser(), device.verification_uri, device.user_code);
    expect(again.status).toBe(400);
    expect(again.html).toContain('That code has already been used.');
    // A device code is good for one set of tokens; presenting it again is a replay and
    // revokes the grant, as a reused authorization code does (RFC 6749 §4.1.2).
    expect((await poll(server, 'cli', device.device_code)).body).toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.refreshTokenGrant(cli, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  test('verification_uri_complete takes the person straight to the confirmation', async () => {
    const device = await oidc.initiateDeviceAuthorization(cli, { scope: 'openid' });
    const browser = new Browser();
    const autoSubmit = await browser.open(device.verification_uri_complete!);
    // node-oidc-provider posts the code with a self-submitting form; the person still confirms.
    const confirm = await browser.submit(autoSubmit, /\/device$/, {});
    expect(confirm.html).toContain('Is this the device you are using?');
    expect(confirm.html).toContain(device.user_code);
  });

  test('the device pages speak the language the browser asks for', async () => {
    const browser = new Browser();
    const page = await browser.open(`${server.issuer}/device`, { headers: { 'accept-language': 'de-DE,de;q=0.9,en;q=0.5' } });
    expect(page.html).toContain('<html lang="de"');
    expect(page.html).toContain('Gerät verbinden');
    const landing = await browser.open(`${server.issuer}/`, { headers: { 'accept-language': 'de' } });
    expect(landing.html).toContain('Gerät verbinden');
  });

  test('a wrong code keeps the person on the page with a message, the typed code and aria-invalid', async () => {
    const page = await enterCode(new Browser(), `${server.issuer}/device`, 'zzzz-zzzx');
    expect(page.status).toBe(400);
    expect(page.html).toMatch(/role="alert" aria-live="assertive">That code is not right\. Check the code on your device and try again\.</);
    expect(page.html).toMatch(/<input id="user_code"[^>]*aria-invalid="true"[^>]*value="zzzz-zzzx"/);
    expect(page.html).toMatch(/<input type="hidden" name="xsrf" value="[0-9a-f]{48}"/);
    const empty = await enterCode(new Browser(), `${server.issuer}/device`, '');
    expect(empty.html).toContain('Enter the code shown on your device.');
  });

  test('a code form posted without its page (no xsrf secret) is refused and shown again', async () => {
    const res = await fetch(`${server.issuer}/device`, {
      method: 'POST', headers: { accept: 'text/html' }, body: new URLSearchParams({ user_code: 'BCDF-GHJK', xsrf: 'forged' }),
    });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('This page has expired. Enter the code again.');
    expect(html).toContain('<a href="http://localhost');
    expect(html).not.toContain('<form');
  });

  test('Deny on the confirmation page: the device gets access_denied', async () => {
    const device = await oidc.initiateDeviceAuthorization(cli, { scope: 'openid' });
    const browser = new Browser();
    const confirm = await enterCode(browser, device.verification_uri, device.user_code);
    const denied = await browser.submit(confirm, /\/device$/, { abort: 'yes' });
    expect(denied.status).toBe(200);
    expect(denied.html).toContain('Device not connected');
    await expect(oidc.pollDeviceAuthorizationGrant(cli, device)).rejects.toMatchObject({ error: 'access_denied' });
  });

  test('a third-party device app: sign-in, then the consent page; Deny there gives access_denied', async () => {
    const device = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid profile' });
    const browser = new Browser();
    const confirm = await enterCode(browser, device.verification_uri, device.user_code);
    expect(confirm.html).toContain('Living Room TV');
    const loginPage = await browser.submit(confirm, /\/device$/, {});
    const consentPage = await login(browser, loginPage, 'https://never.example/');
    expect(consentPage.url).toMatch(/\/interaction\//);
    expect(consentPage.html).toContain('Living Room TV');
    const denied = await browser.submit(consentPage, /\/confirm$/, { decision: 'deny' });
    expect(denied.html).toContain('Device not connected');
    await expect(oidc.pollDeviceAuthorizationGrant(tv, device)).rejects.toMatchObject({ error: 'access_denied' });
  });

  test('a third-party device app the person allows gets tokens for what was consented', async () => {
    const device = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid profile' });
    const browser = new Browser();
    const confirm = await enterCode(browser, device.verification_uri, device.user_code);
    const consentPage = await login(browser, await browser.submit(confirm, /\/device$/, {}), 'https://never.example/');
    const done = await browser.submit(consentPage, /\/confirm$/, { decision: 'allow' });
    expect(done.html).toContain('Device connected');
    const tokens = await oidc.pollDeviceAuthorizationGrant(tv, device);
    expect(tokens.claims()).toMatchObject({ aud: 'tv' });
    expect(tokens.scope).toBe('openid profile');
    expect(tokens.refresh_token).toBeUndefined(); // tv may not use refresh_token
  });

  test('polling faster than the interval is answered slow_down (RFC 8628 §3.5)', async () => {
    const device = await oidc.initiateDeviceAuthorization(cli, { scope: 'openid' });
    expect((await poll(server, 'cli', device.device_code)).body).toMatchObject({ error: 'authorization_pending' });
    const tooSoon = await poll(server, 'cli', device.device_code);
    expect(tooSoon).toMatchObject({ status: 400, body: { error: 'slow_down' }, cacheControl: 'no-store' });
    // Another device's polls are paced on their own.
    const other = await oidc.initiateDeviceAuthorization(cli, { scope: 'openid' });
    expect((await poll(server, 'cli', other.device_code)).body).toMatchObject({ error: 'authorization_pending' });
  });

  test('a code approved since the last poll gets its tokens, however soon the device asks again', async () => {
    const device = await oidc.initiateDeviceAuthorization(cli, { scope: 'openid' });
    expect((await poll(server, 'cli', device.device_code)).body).toMatchObject({ error: 'authorization_pending' });
    const browser = new Browser();
    const confirm = await enterCode(browser, device.verification_uri, device.user_code);
    const done = await login(browser, await browser.submit(confirm, /\/device$/, {}), 'https://never.example/');
    expect(done.html).toContain('Device connected');
    const answer = await poll(server, 'cli', device.device_code);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ access_token: expect.any(String), token_type: 'Bearer' });
  });

  test('an unknown device code is invalid_grant, a device code of another client too', async () => {
    expect((await poll(server, 'cli', 'not-a-device-code')).body).toMatchObject({ error: 'invalid_grant' });
    const device = await oidc.initiateDeviceAuthorization(cli, { scope: 'openid' });
    expect((await poll(server, 'tv', device.device_code)).body).toMatchObject({ error: 'invalid_grant' });
  });

  test('a client not registered for the device grant cannot start one', async () => {
    const res = await fetch(`${server.issuer}/device/auth`, { method: 'POST', body: new URLSearchParams({ client_id: 'nobody', scope: 'openid' }) });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });
});

describe.each([
  ['memory', () => ({})],
  ['redis', () => ({ REDIS_URL: process.env.REDIS_URL! })],
] as const)('device codes expire (DEVICE_CODE_TTL), codes in %s', (_name, env) => {
  let server: TestServer;
  let cli: oidc.Configuration;

  beforeAll(async () => {
    server = await startTestServer({ GATEHOUSE_SEED: seedPath, DEVICE_CODE_TTL: '1', DEVICE_POLL_INTERVAL: '1', ...env() });
    cli = await deviceClient(server, 'cli');
  });
  afterAll(() => server.close());

  test('polling past expires_in gets expired_token, and the person is told the code expired', async () => {
    const device = await oidc.initiateDeviceAuthorization(cli, { scope: 'openid' });
    expect(device.expires_in).toBe(1);
    // A device polls at the interval it was given until the answer changes.
    const settled = await pollUntilSettled(server, 'cli', device.device_code, 1000, 5000);
    expect(settled).toMatchObject({ status: 400, body: { error: 'expired_token' } });

    const page = await enterCode(new Browser(), device.verification_uri, device.user_code);
    expect(page.status).toBe(400);
    expect(page.html).toContain('That code has expired. Start again on your device to get a new code.');
  });
});

describe.each([
  ['request limits on', {}],
  // Guessing user codes is an attack on the people signing in, not a load question: the limit stays.
  ['RATE_LIMITS=off', { RATE_LIMITS: 'off' }],
])('user-code entry is rate limited per address (RFC 8628 §5.1), %s', (_name, extra: Record<string, string>) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ GATEHOUSE_SEED: seedPath, RATE_LIMIT_TIERS: 'user_code:3/min:3', ...extra });
  });
  afterAll(() => server.close());

  test('past the user_code tier the page answers 429 with Retry-After, before looking the code up', async () => {
    const browser = new Browser();
    const entry = await browser.open(`${server.issuer}/device`);
    const answers: Page[] = [];
    for (let i = 0; i < 4; i += 1) answers.push(await browser.submit(entry, /\/device$/, { user_code: 'ZZZZ-ZZZX' }));
    expect(answers.slice(0, 3).map((a) => a.status)).toEqual([400, 400, 400]);
    expect(answers.slice(0, 3).map((a) => a.headers.get('x-ratelimit-remaining'))).toEqual(['2', '1', '0']);
    const refused = answers[3]!;
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.html).toMatch(/role="alert" aria-live="assertive">Too many codes were entered from your network\. Wait \d+ seconds?, then try again\.</);
    expect(refused.html).not.toContain('That code is not right');
    // The provider serves /DEVICE as /device: the other spelling draws on the same bucket.
    const upper = await new Browser().open(`${server.issuer}/DEVICE`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'user_code=ZZZZ-ZZZX',
    });
    expect(upper.status).toBe(429);
  });
});

test('DEVICE_CODE_TTL and DEVICE_POLL_INTERVAL are checked at start, naming the variable', () => {
  expect(() => loadConfig({ DEVICE_CODE_TTL: '0' })).toThrow(ConfigError);
  expect(() => loadConfig({ DEVICE_CODE_TTL: '3600' })).toThrow(/DEVICE_CODE_TTL must be a positive whole number of seconds between 1 and 1800/);
  expect(() => loadConfig({ DEVICE_POLL_INTERVAL: 'fast' })).toThrow(/DEVICE_POLL_INTERVAL/);
  expect(loadConfig({})).toMatchObject({ ttl: { deviceCode: 600 }, devicePollInterval: 5 });
});
