import * as oidc from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';

import { createPasswordHasher } from '../../../src/security/passwords.ts';
import { startAuthorization } from '../../support/flows.ts';
import { clientFor, startTestServer, type TestServer } from '../../support/gatehouse.ts';
import { BROWSER_TEST_MS, describeInBrowser, expectAccessible, inPage, launchBrowser, newContext, redirectTo, screenshot } from '../../support/playwright.ts';

const WEB_CB = 'https://app.example/cb';
const hasher = createPasswordHasher({ memoryCost: 19456, timeCost: 2, parallelism: 1 });

interface Person { id: string; email: string; password: string; name: string }

/** The account pages (/account) in a real browser, each checked with axe-core. */
describeInBrowser('account pages in a browser', () => {
  let server: TestServer;
  let web: oidc.Configuration;
  let rs: oidc.Configuration;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let counter = 0;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
    [web, rs] = await Promise.all([clientFor(server, 'web'), clientFor(server, 'resource-server')]);
  }, BROWSER_TEST_MS);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  beforeEach(async () => {
    context = await newContext(browser);
    page = await context.newPage();
  });
  afterEach(() => context.close());

  /** A fresh account per test (a platform administrator may create API keys). */
  async function newPerson(options: { platformAdmin?: boolean } = {}): Promise<Person> {
    counter += 1;
    const person = { email: `browser${counter}@example.com`, password: `a fine passphrase ${counter}`, name: `Browser Person ${counter}` };
    const account = await server.stores.accounts.create({ email: person.email, name: person.name, passwordHash: await hasher.hash(person.password) });
    if (options.platformAdmin) await server.stores.accounts.update(account.id, { platformAdmin: true });
    return { ...person, id: account.id };
  }

  async function fillLogin(person: Person) {
    await page.getByLabel('Email').fill(person.email);
    await page.getByLabel('Password', { exact: true }).fill(person.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** The `web` app's code flow with offline_access, consented in this browser; returns its tokens. */
  async function connectWebApp(person: Person) {
    const start = await startAuthorization(web, { redirect_uri: WEB_CB, scope: 'openid email offline_access', prompt: 'consent' });
    await page.goto(start.url.href);
    await fillLogin(person);
    const callback = await redirectTo(page, WEB_CB, () => page.getByRole('button', { name: 'Allow' }).click());
    return oidc.authorizationCodeGrant(web, callback, {
      pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce,
    });
  }

  test('connected apps: revoking an app on the page makes its refresh token fail (invalid_grant)', async () => {
    const person = await newPerson();
    const tokens = await connectWebApp(person);
    expect(tokens.refresh_token).toEqual(expect.any(String));

    // Signed in already: the account pages open without asking again.
    await page.goto(`${server.issuer}/account/apps`);
    await page.getByRole('heading', { level: 1, name: 'Connected apps' }).waitFor();
    const app = page.locator('#app-web');
    expect(await app.getByRole('heading').textContent()).toBe('Web App');
    expect(await app.getByRole('listitem').allTextContents()).toEqual([
      expect.stringContaining('(openid)'), expect.stringContaining('(email)'), expect.stringContaining('(offline_access)'),
    ]);
    await expectAccessible(page, 'connected apps');
    await screenshot(page, 'account-apps');

    await page.getByRole('button', { name: 'Revoke access for Web App' }).click();
    await page.getByRole('status').filter({ hasText: 'The app’s access is revoked.' }).waitFor();
    expect(await page.locator('#no-apps').textContent()).toBe('No app is connected to your account.');
    await expectAccessible(page, 'connected apps after a revocation');

    await expect(oidc.refreshTokenGrant(web, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await oidc.tokenIntrospection(rs, tokens.access_token)).toEqual({ active: false });
  }, BROWSER_TEST_MS);

  test('an API key made on the page is shown once with a copy button, and is active at introspection', async () => {
    const person = await newPerson({ platformAdmin: true });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.issuer });
    await page.goto(`${server.issuer}/account/api-keys`);
    await fillLogin(person);
    await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
    expect(await page.locator('#no-keys').textContent()).toBe('You have no API keys.');
    await expectAccessible(page, 'API keys');

    const form = page.getByRole('form', { name: 'Create a key' });
    await form.getByLabel('Name').fill('deploy script');
    await form.getByLabel('Read API keys through the admin API').check();
    await form.getByLabel('Read grants through the admin API').check();
    await form.getByLabel('Expires after').selectOption('30');
    await form.getByRole('button', { name: 'Create key' }).click();

    await page.getByRole('heading', { level: 1, name: 'Your new API key' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('it is shown only this once');
    const key = await page.getByLabel('API key “deploy script”').inputValue();
    expect(key).toMatch(/^gh_test_/);
    await expectAccessible(page, 'new API key');
    await screenshot(page, 'account-api-key-created');

    // The copy button appears where the Clipboard API is there, copies the key and says so.
    const copy = page.getByRole('button', { name: 'Copy' });
    await copy.click();
    await page.getByRole('status').filter({ hasText: 'Copied to the clipboard.' }).waitFor();
    expect(await inPage(page, 'navigator.clipboard.readText()')).toBe(key);

    expect(await oidc.tokenIntrospection(rs, key)).toMatchObject({
      active: true, sub: person.id, scope: 'admin:api-keys:read admin:grants:read',
    });

    // Listed without its secret; a reload of the list never shows it again.
    await page.getByRole('link', { name: 'Back to your API keys' }).click();
    await page.getByRole('heading', { level: 3, name: 'deploy script' }).waitFor();
    expect(await page.content()).not.toContain(key);
    await expectAccessible(page, 'API keys with a key');
  }, BROWSER_TEST_MS);

  test('profile, password and the sign-in-failed page pass the accessibility check', async () => {
    const person = await newPerson();
    await page.goto(`${server.issuer}/account`);
    await page.getByRole('button', { name: 'Cancel and return to Gatehouse account' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign-in did not complete' }).waitFor();
    await expectAccessible(page, 'account sign-in failed');

    await page.getByRole('link', { name: 'Sign in again' }).click();
    await fillLogin(person);
    await page.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
    await expectAccessible(page, 'profile');
    await page.getByRole('textbox', { name: 'Name' }).fill(' ');
    await page.getByRole('button', { name: 'Save name' }).click();
    await page.getByRole('alert').filter({ hasText: 'Enter a name of 1 to 200 characters.' }).waitFor();
    await expectAccessible(page, 'profile with an error');
    await screenshot(page, 'account-profile');

    await page.getByRole('navigation', { name: 'Your account' }).getByRole('link', { name: 'Password' }).click();
    await page.getByRole('heading', { level: 1, name: 'Change password' }).waitFor();
    await expectAccessible(page, 'password');
    await page.getByLabel('Current password').fill('not my password');
    await page.getByLabel('New password', { exact: true }).fill('a brand new passphrase');
    await page.getByLabel('Repeat the new password').fill('a brand new passphrase');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('alert').filter({ hasText: 'The current password is incorrect.' }).waitFor();
    await expectAccessible(page, 'password with an error');
  }, BROWSER_TEST_MS);

  test('at 360 px wide no account page scrolls sideways', async () => {
    const person = await newPerson({ platformAdmin: true });
    await connectWebApp(person);
    await server.apiKeys.issue({ name: 'a key with a rather long name for a narrow screen', scopes: ['admin:api-keys:read'] }, {
      owner: { type: 'account', id: person.id }, allowedScopes: ['admin:api-keys:read'],
    });
    await page.setViewportSize({ width: 360, height: 740 });
    for (const path of ['/account', '/account/password', '/account/apps', '/account/api-keys']) {
      await page.goto(`${server.issuer}${path}`);
      await page.getByRole('navigation', { name: 'Your account' }).waitFor();
      expect({ path, width: await inPage(page, 'document.scrollingElement.scrollWidth') }).toEqual({ path, width: 360 });
      await screenshot(page, `account${path.slice('/account'.length).replace('/', '-')}-360px`);
    }
    await page.getByRole('textbox', { name: 'Name' }).fill('narrow');
    await page.getByLabel('Read API keys through the admin API').check();
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your new API key' }).waitFor();
    expect(await inPage(page, 'document.scrollingElement.scrollWidth')).toBe(360);
    await expectAccessible(page, 'new API key at 360 px');
  }, BROWSER_TEST_MS);
});
