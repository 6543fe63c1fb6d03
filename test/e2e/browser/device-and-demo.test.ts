import { fileURLToPath } from 'node:url';

import * as oidc from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';

import { startTestServer, type TestServer } from '../../support/gatehouse.ts';
import { BROWSER_TEST_MS, describeInBrowser, expectAccessible, launchBrowser, newContext, screenshot } from '../../support/playwright.ts';

const DEV_SEED = fileURLToPath(new URL('../../../config/dev-seed.json', import.meta.url));
const DEMO = { email: 'demo@gatehouse.local', password: 'gatehouse-demo' };

/**
 * The start page's demo and the device flow in a real browser, on the dev seed that
 * `npm start` uses (`demo-app`, `demo-cli`, the demo account). Each page is checked with
 * axe-core.
 */
describeInBrowser('the start page and the device flow in a browser (dev seed)', () => {
  let server: TestServer;
  let browser: Browser;
  let contexts: BrowserContext[] = [];
  let devicePolling = new AbortController();

  beforeAll(async () => {
    [server, browser] = await Promise.all([startTestServer({ GATEHOUSE_SEED: DEV_SEED, DEVICE_POLL_INTERVAL: '1' }), launchBrowser()]);
  }, BROWSER_TEST_MS);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  afterEach(async () => {
    devicePolling.abort(); // a device still polling after a failed test
    devicePolling = new AbortController();
    await Promise.all(contexts.map((c) => c.close()));
    contexts = [];
  });

  /** The device polls at the interval it was given (openid-client) while the person acts. */
  function pollForTokens(cli: oidc.Configuration, device: oidc.DeviceAuthorizationResponse) {
    const polled = oidc.pollDeviceAuthorizationGrant(cli, device, undefined, { signal: devicePolling.signal });
    polled.catch(() => undefined); // awaited by the test; not an unhandled rejection if the test ends first
    return polled;
  }

  /** A page in a browser profile of its own (another person, another device). */
  async function freshPage(): Promise<Page> {
    const context = await newContext(browser);
    contexts.push(context);
    return context.newPage();
  }

  async function fillLogin(page: Page) {
    await page.getByLabel('Email').fill(DEMO.email);
    await page.getByLabel('Password', { exact: true }).fill(DEMO.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  test('"Try signing in" on the start page signs in to the demo app, which shows the ID token claims and the userinfo', async () => {
    const page = await freshPage();
    await page.goto(`${server.issuer}/`);
    expect(await page.locator('#issuer').textContent()).toBe(server.issuer);
    await expectAccessible(page, 'start page');
    await screenshot(page, 'start');

    await page.getByRole('link', { name: 'Try signing in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    expect(await page.locator('main').textContent()).toContain('Gatehouse Demo App');
    await fillLogin(page);

    await page.getByRole('heading', { level: 1, name: 'You are signed in to the demo app' }).waitFor();
    const account = await server.stores.accounts.findByEmail(DEMO.email);
    const claims = JSON.parse((await page.locator('#id-token-claims').textContent())!) as Record<string, unknown>;
    expect(claims).toMatchObject({ iss: server.issuer, aud: 'demo-app', sub: account!.id, nonce: expect.any(String) });
    const userinfo = JSON.parse((await page.locator('#userinfo').textContent())!) as Record<string, unknown>;
    expect(userinfo).toMatchObject({ sub: account!.id, email: DEMO.email, name: 'Demo User' });
    await expectAccessible(page, 'demo result');
    await screenshot(page, 'demo-result');

    // The demo's "Sign out" is an RP-initiated logout back to the start page.
    await page.getByRole('link', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL(`${server.issuer}/`);
    await page.getByRole('link', { name: 'Try signing in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
  }, BROWSER_TEST_MS);

  test("the README's sign-in link ends on the demo callback page with the code and the curl command", async () => {
    const page = await freshPage();
    await page.goto(`${server.issuer}/auth?client_id=demo-app&response_type=code&scope=openid%20profile%20email`
      + `&redirect_uri=${encodeURIComponent(`${server.issuer}/demo/callback`)}`
      + '&code_challenge=xPwW17fvqR-sxUBXzTXGmz97VyRZ150RBzw0G2KFCkE&code_challenge_method=S256');
    await fillLogin(page);
    await page.getByRole('heading', { level: 1, name: 'Authorization code received' }).waitFor();
    expect(await page.locator('pre.command').textContent()).toContain('grant_type=authorization_code');
    await expectAccessible(page, 'demo callback');
  }, BROWSER_TEST_MS);

  test('device flow: a person enters the code on another device, confirms, and the device gets tokens', async () => {
    const cli = await oidc.discovery(new URL(server.issuer), 'demo-cli', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    const device = await oidc.initiateDeviceAuthorization(cli, { scope: 'openid profile offline_access' });
    const polled = pollForTokens(cli, device);

    const phone = await freshPage();
    await phone.goto(device.verification_uri);
    await phone.getByRole('heading', { level: 1, name: 'Connect a device' }).waitFor();
    await expectAccessible(phone, 'device code entry');
    await screenshot(phone, 'device-input', 'card');

    // A wrong code first: refused, and said so where a screen reader announces it.
    await phone.getByLabel('Code').fill('BCDF-GHJK');
    await phone.getByRole('button', { name: 'Continue' }).click();
    await phone.getByRole('alert').filter({ hasText: 'That code is not right.' }).waitFor();
    expect(await phone.getByLabel('Code').getAttribute('aria-invalid')).toBe('true');
    await expectAccessible(phone, 'device code entry with an error');

    // Then the code the device shows, typed the way a person might: small letters, no dash.
    await phone.getByLabel('Code').fill(device.user_code.toLowerCase().replace('-', ''));
    await phone.getByRole('button', { name: 'Continue' }).click();
    await phone.getByRole('heading', { level: 1, name: 'Is this the device you are using?' }).waitFor();
    expect(await phone.locator('#user-code').textContent()).toBe(device.user_code);
    await expectAccessible(phone, 'device confirmation');
    await screenshot(phone, 'device-confirm', 'card');
    await phone.getByRole('button', { name: 'Allow' }).click();

    await fillLogin(phone);
    await phone.getByRole('heading', { level: 1, name: 'Device connected' }).waitFor();
    await expectAccessible(phone, 'device connected');

    const tokens = await polled;
    const account = await server.stores.accounts.findByEmail(DEMO.email);
    expect(tokens.claims()).toMatchObject({ iss: server.issuer, aud: 'demo-cli', sub: account!.id });
    expect(tokens.refresh_token).toEqual(expect.any(String));
  }, BROWSER_TEST_MS);

  test('device flow: denying on the confirmation page tells the device access_denied', async () => {
    const cli = await oidc.discovery(new URL(server.issuer), 'demo-cli', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    const device = await oidc.initiateDeviceAuthorization(cli, { scope: 'openid' });
    const polled = pollForTokens(cli, device).then(() => 'tokens', (err: unknown) => err);

    const phone = await freshPage();
    await phone.goto(device.verification_uri);
    await phone.getByLabel('Code').fill(device.user_code);
    await phone.getByRole('button', { name: 'Continue' }).click();
    await phone.getByRole('button', { name: 'Deny' }).click();
    await phone.getByRole('heading', { level: 1, name: 'Device not connected' }).waitFor();
    await expectAccessible(phone, 'device denied');

    expect(await polled).toMatchObject({ error: 'access_denied' });
  }, BROWSER_TEST_MS);
});
