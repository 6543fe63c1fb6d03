import * as oidc from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';

import { startAuthorization } from '../../support/flows.ts';
import { ADA, clientFor, startTestServer, type TestServer } from '../../support/gatehouse.ts';
import { BROWSER_TEST_MS, describeInBrowser, expectAccessible, inPage, launchBrowser, newContext, redirectTo, screenshot } from '../../support/playwright.ts';

const WEB_CB = 'https://app.example/cb';

/**
 * The login, consent, logout, error and invitation pages in a real browser (Chromium),
 * with their CSS and script and under their real Content-Security-Policy. Each page is
 * checked with axe-core; the apps are openid-client configurations.
 */
describeInBrowser('sign-in pages in a browser', () => {
  let server: TestServer;
  let web: oidc.Configuration;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
    web = await clientFor(server, 'web');
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

  /** Opens a fresh authorization request of the `web` app; the browser lands on the login page. */
  async function openAuthorization(params: Record<string, string> = {}) {
    const start = await startAuthorization(web, { redirect_uri: WEB_CB, scope: 'openid email', ...params });
    await page.goto(start.url.href);
    return start;
  }

  async function fillLogin(email: string, password: string) {
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  test('a wrong password is announced (role=alert) and marks the fields; the right one then signs in', async () => {
    const start = await openAuthorization();
    await expect(page.title()).resolves.toBe('Sign in · Gatehouse');
    await expectAccessible(page, 'login page');
    await screenshot(page, 'login', 'card');

    await fillLogin(ADA.email, 'not the password at all');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe('The email or password is incorrect.');
    expect(await page.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Email').getAttribute('aria-describedby')).toBe('form-error');
    expect(await page.getByLabel('Email').inputValue()).toBe(ADA.email);
    await expectAccessible(page, 'login page with an error');
    await screenshot(page, 'login-wrong-password', 'card');

    await page.getByLabel('Password', { exact: true }).fill(ADA.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    const callback = await redirectTo(page, WEB_CB, () => page.getByRole('button', { name: 'Allow' }).click());
    const tokens = await oidc.authorizationCodeGrant(web, callback, {
      pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce,
    });
    const userinfo = await oidc.fetchUserInfo(web, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo).toMatchObject({ email: ADA.email });
  }, BROWSER_TEST_MS);

  test('the accessibility check runs under the page\'s CSP and fails on a real problem', async () => {
    await openAuthorization();
    // The policy is in force: an inline script is refused.
    await page.addScriptTag({ content: 'window.inlineRan = true' }).catch(() => undefined);
    expect(await inPage(page, 'window.inlineRan')).toBeUndefined();
    await inPage(page, "document.querySelector('label[for=email]').remove()");
    await expect(expectAccessible(page, 'login page without its email label')).rejects.toThrow(/critical label: Form elements must have labels[\s\S]*#email/);
  }, BROWSER_TEST_MS);

  test('the show-password button reveals the password and hides it again before the form is sent', async () => {
    await openAuthorization();
    const password = page.getByLabel('Password', { exact: true });
    await password.fill('secret words');
    const reveal = page.getByRole('button', { name: 'Show password' });
    expect(await reveal.getAttribute('aria-pressed')).toBe('false');
    await reveal.click();
    expect(await reveal.getAttribute('aria-pressed')).toBe('true');
    expect(await password.getAttribute('type')).toBe('text');
    await reveal.click();
    expect(await password.getAttribute('type')).toBe('password');
  }, BROWSER_TEST_MS);

  test('denying on the consent page sends the app error=access_denied', async () => {
    const start = await openAuthorization({ prompt: 'consent', scope: 'openid email offline_access' });
    await fillLogin(ADA.email, ADA.password);
    await page.getByRole('heading', { level: 1 }).filter({ hasText: 'Allow access?' }).waitFor();
    expect(await page.locator('.scopes li').allTextContents()).toEqual([
      expect.stringContaining('openid'), expect.stringContaining('email'), expect.stringContaining('offline_access'),
    ]);
    await expectAccessible(page, 'consent page');
    await screenshot(page, 'consent', 'card');

    const callback = await redirectTo(page, WEB_CB, () => page.getByRole('button', { name: 'Deny' }).click());
    expect(callback.searchParams.get('error')).toBe('access_denied');
    await expect(oidc.authorizationCodeGrant(web, callback, {
      pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce,
    })).rejects.toMatchObject({ name: 'AuthorizationResponseError', error: 'access_denied' });
  }, BROWSER_TEST_MS);

  test('RP-initiated logout: the app sends the browser to /session/end, the person confirms, the session ends', async () => {
    const start = await openAuthorization();
    await fillLogin(ADA.email, ADA.password);
    const callback = await redirectTo(page, WEB_CB, () => page.getByRole('button', { name: 'Allow' }).click());
    const tokens = await oidc.authorizationCodeGrant(web, callback, {
      pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce,
    });

    await page.goto(oidc.buildEndSessionUrl(web, { id_token_hint: tokens.id_token! }).href);
    await page.getByRole('heading', { name: 'Sign out?' }).waitFor();
    expect(await page.locator('main').textContent()).toContain('Web App');
    await expectAccessible(page, 'logout page');
    await screenshot(page, 'logout', 'card');

    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.getByRole('heading', { name: 'Signed out' }).waitFor();
    expect(await page.getByRole('status').textContent()).toMatch(/signed out/i);
    await expectAccessible(page, 'logged-out page');
    await screenshot(page, 'logged-out', 'card');

    // The session is gone: the app's next request asks for a password again.
    await openAuthorization();
    await page.getByLabel('Password', { exact: true }).waitFor();
  }, BROWSER_TEST_MS);

  test('POST from another site: an app\'s auto-submitted form to /auth finds the SameSite=Lax session (303 to GET)', async () => {
    const first = await openAuthorization();
    await fillLogin(ADA.email, ADA.password);
    await redirectTo(page, WEB_CB, () => page.getByRole('button', { name: 'Allow' }).click());
    expect(first.state).toEqual(expect.any(String));

    // The app's page, on another site (https://app.example), posts the request in a form.
    const start = await startAuthorization(web, { redirect_uri: WEB_CB, scope: 'openid email' });
    const inputs = [...start.url.searchParams].map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`).join('');
    await page.route('https://app.example/start', (route) => route.fulfill({
      contentType: 'text/html',
      body: `<form method="post" action="${server.issuer}/auth">${inputs}</form><script>document.forms[0].submit()</script>`,
    }));
    const askedAgain = page.getByLabel('Password', { exact: true }).waitFor().then(() => {
      throw new Error('the session cookie did not come along: the login page was shown');
    });
    const callback = await Promise.race([redirectTo(page, WEB_CB, () => page.goto('https://app.example/start')), askedAgain]);
    const tokens = await oidc.authorizationCodeGrant(web, callback, {
      pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce,
    });
    expect(tokens.claims()).toMatchObject({ aud: 'web' });
  }, BROWSER_TEST_MS);

  test('an error page for a request that cannot go back to the app', async () => {
    await page.goto(`${server.issuer}/auth?client_id=no-such-app&response_type=code&scope=openid`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Something went wrong');
    expect(await page.getByRole('alert').textContent()).toBe('invalid_client');
    await expectAccessible(page, 'error page');
    await screenshot(page, 'error', 'card');
  }, BROWSER_TEST_MS);

  test('keyboard only: the login form is filled and sent with Tab, typing and Enter; focus is always visible', async () => {
    const start = await openAuthorization();
    // The email field has focus when the page opens (autofocus); the skip link is one Shift+Tab back.
    expect(await inPage(page, 'document.activeElement.id')).toBe('email');
    await page.keyboard.press('Shift+Tab');
    expect(await inPage(page, 'document.activeElement.className')).toBe('skip-link');
    const skip = await page.locator('.skip-link').boundingBox();
    expect(skip!.y).toBeGreaterThanOrEqual(0); // it comes into view when focused
    expect(await focusIndicator(page)).not.toBe('none');
    await page.keyboard.press('Tab');

    await page.keyboard.type(ADA.email);
    await page.keyboard.press('Tab');
    expect(await inPage(page, 'document.activeElement.id')).toBe('password');
    expect(await focusIndicator(page)).not.toBe('none');
    await page.keyboard.type(ADA.password);
    await page.keyboard.press('Tab');
    expect(await inPage(page, 'document.activeElement.textContent')).toBe('Show password');
    expect(await focusIndicator(page)).not.toBe('none');
    await page.keyboard.press('Tab');
    expect(await inPage(page, 'document.activeElement.id')).toBe('sign-in');
    expect(await focusIndicator(page)).not.toBe('none');
    await screenshot(page, 'login-keyboard-focus', 'card');
    await page.keyboard.press('Enter');

    // The consent page, by keyboard too: Tab to Allow, Enter.
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    for (let i = 0; i < 10 && await inPage(page, 'document.activeElement.id') !== 'allow'; i++) await page.keyboard.press('Tab');
    expect(await focusIndicator(page)).not.toBe('none');
    const callback = await redirectTo(page, WEB_CB, () => page.keyboard.press('Enter'));
    await expect(oidc.authorizationCodeGrant(web, callback, {
      pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce,
    })).resolves.toMatchObject({ token_type: 'bearer' });
  }, BROWSER_TEST_MS);

  test('at 360 px wide the login and consent pages do not scroll sideways', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    await openAuthorization({ prompt: 'consent', scope: 'openid email offline_access' });
    expect(await scrollWidth(page)).toBeLessThanOrEqual(360);
    await expectAccessible(page, 'login page at 360 px');
    await screenshot(page, 'login-360px');
    await fillLogin(ADA.email, ADA.password);
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    expect(await scrollWidth(page)).toBeLessThanOrEqual(360);
    await screenshot(page, 'consent-360px');
  }, BROWSER_TEST_MS);

  test('an invitation link: the invited person chooses a password, then can sign in with it', async () => {
    const { key } = await server.apiKeys.issue({ name: 'browser test', scopes: ['admin:accounts:write'] }, {
      owner: { type: 'account', id: 'browser-test' }, allowedScopes: ['admin:accounts:write'],
    });
    const res = await fetch(`${server.issuer}/api/v1/accounts`, {
      method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'invited@example.com', name: 'Invited Person' }),
    });
    expect(res.status).toBe(201);
    const { invitation } = await res.json() as { invitation: { url: string } };

    await page.goto(invitation.url);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Choose a password');
    await expectAccessible(page, 'invitation page');
    await screenshot(page, 'invitation', 'card');
    await page.getByLabel('New password').fill('an invited passphrase');
    await page.getByLabel('Repeat the password').fill('not the same passphrase');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByRole('alert').filter({ hasText: 'The two passwords are not the same.' }).waitFor();
    await expectAccessible(page, 'invitation page with an error');

    await page.getByLabel('New password').fill('an invited passphrase');
    await page.getByLabel('Repeat the password').fill('an invited passphrase');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByRole('status').waitFor();
    await expectAccessible(page, 'invitation accepted page');

    await openAuthorization();
    await fillLogin('invited@example.com', 'an invited passphrase');
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
  }, BROWSER_TEST_MS);
});

/** The focused element's focus indicator: its outline, else its box-shadow, else 'none'. */
function focusIndicator(page: Page): Promise<string> {
  return inPage(page, `(() => {
    const el = document.activeElement;
    if (!el.matches(':focus-visible')) return 'none';
    const style = getComputedStyle(el);
    if (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) return 'outline ' + style.outlineWidth + ' ' + style.outlineStyle;
    return style.boxShadow;
  })()`);
}

function scrollWidth(page: Page): Promise<number> {
  return inPage(page, 'document.scrollingElement.scrollWidth');
}
