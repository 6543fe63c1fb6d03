import * as oidc from 'openid-client';

import { Browser } from '../support/browser.ts';
import { ADA, clientFor, startTestServer, type TestServer } from '../support/gatehouse.ts';
import { consent, login, signIn, startAuthorization } from '../support/flows.ts';

const WEB_CB = 'https://app.example/cb';

describe('login and consent pages', () => {
  let server: TestServer;
  let web: oidc.Configuration;

  beforeAll(async () => {
    server = await startTestServer();
    web = await clientFor(server, 'web');
  });
  afterAll(() => server.close());

  async function openLogin(config = web, redirectUri = WEB_CB, params: Record<string, string> = {}) {
    const browser = new Browser();
    const start = await startAuthorization(config, { redirect_uri: redirectUri, ...params });
    const page = await browser.open(start.url.href, {}, redirectUri);
    return { browser, page, start };
  }

  test('the login form has the inputs a password manager expects and a CSRF token', async () => {
    const { page } = await openLogin();
    expect(page.status).toBe(200);
    expect(page.html).toMatch(/<input[^>]+name="email"[^>]+autocomplete="username"/);
    expect(page.html).toMatch(/<input[^>]+name="password"[^>]+autocomplete="current-password"/);
    expect(page.html).toMatch(/<input type="hidden" name="csrf" value="[\w-]{43}"/);
    expect(page.html).toContain('Web App');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  test.each([
    ['a wrong password', ADA.email, 'wrong-password-123'],
    ['an unknown email', 'nobody@example.com', 'wrong-password-123'],
  ])('%s shows one generic message and never echoes the password', async (_label, email, password) => {
    const { browser, page } = await openLogin();
    const again = await browser.submit(page, /\/login$/, { email, password });
    expect(again.status).toBe(200);
    expect(again.html).toContain('The email or password is incorrect.');
    expect(again.html).not.toContain(password);
    expect(again.html).toMatch(/<input[^>]+name="password"/);
  });

  test('a login post without the CSRF token, or from another site, is refused', async () => {
    const { browser, page } = await openLogin();
    const noToken = await browser.submit(page, /\/login$/, { ...ADA, csrf: 'forged' });
    expect(noToken.status).toBe(403);
    const action = /action="([^"]+\/login)"/.exec(page.html)![1]!;
    const crossSite = await browser.open(new URL(action, page.url).href, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      body: new URLSearchParams({ email: ADA.email, password: ADA.password, csrf: /name="csrf" value="([^"]+)"/.exec(page.html)![1]! }),
    });
    expect(crossSite.status).toBe(403);
  });

  test('consent lists each requested scope with a description; deny returns access_denied', async () => {
    const { browser, page } = await openLogin(web, WEB_CB, { scope: 'openid email' });
    const consentPage = await login(browser, page, WEB_CB, { ...ADA, email: 'grace@example.com', password: 'another good passphrase' });
    expect(consentPage.html).toContain('Web App');
    expect(consentPage.html).toContain('See your email address');
    expect(consentPage.html).toMatch(/name="decision" value="allow"/);
    const denied = await consent(browser, consentPage, WEB_CB, 'deny');
    const url = new URL(denied.url);
    expect(url.searchParams.get('error')).toBe('access_denied');
    expect(url.searchParams.get('iss')).toBe(server.issuer);
  });

  test('scopes granted before are not asked again', async () => {
    const first = await signIn(web, WEB_CB, { scope: 'openid profile' });
    const start = await startAuthorization(web, { redirect_uri: WEB_CB, scope: 'openid profile' });
    const page = await first.browser.open(start.url.href, {}, WEB_CB);
    expect(new URL(page.url).searchParams.get('code')).toEqual(expect.any(String));
  });

  test('a first-party client skips the consent page', async () => {
    const console = await clientFor(server, 'console', 'none');
    const { browser, page } = await openLogin(console, 'https://console.example/cb', { scope: 'openid email' });
    const landed = await login(browser, page, 'https://console.example/cb');
    expect(new URL(landed.url).searchParams.get('code')).toEqual(expect.any(String));
  });

  test('response_mode=form_post works under the CSP: the auto-submit script is allowed by its hash', async () => {
    const { browser, page } = await openLogin(web, WEB_CB, { scope: 'openid', response_mode: 'form_post' });
    const consentPage = await login(browser, page, WEB_CB);
    const posted = await consent(browser, consentPage, WEB_CB);
    expect(posted.html).toMatch(/<form method="post" action="https:\/\/app.example\/cb">/);
    expect(posted.html).toMatch(/name="code"/);
    expect(posted.headers.get('content-security-policy')).toMatch(/script-src 'self' 'sha256-[\w+/=]+'/);
  });

  test('an unknown interaction shows the error page, not a stack trace', async () => {
    const res = await fetch(`${server.issuer}/interaction/does-not-exist`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('invalid_request');
    expect(html).not.toMatch(/\.ts:\d+|\.js:\d+/);
  });
});
