import * as oidc from 'openid-client';

import { createPasswordHasher } from '../../src/security/passwords.ts';
import { Browser, type Page } from '../support/browser.ts';
import { login, startAuthorization } from '../support/flows.ts';
import { ADA, clientFor, startTestServer, type TestServer } from '../support/gatehouse.ts';

const WEB_CB = 'https://app.example/cb';
const hasher = createPasswordHasher({ memoryCost: 19456, timeCost: 2, parallelism: 1 });

// Sessions, grants and the login throttle live in memory or in Redis: the pages must work on both.
describe.each([
  ['memory', () => ({})],
  ['redis', () => ({ REDIS_URL: process.env.REDIS_URL! })],
] as const)('account pages (/account), sessions in %s', (_backend, env) => {
  let server: TestServer;
  let web: oidc.Configuration;
  let rs: oidc.Configuration;
  let counter = 0;

  beforeAll(async () => {
    server = await startTestServer(env());
    web = await clientFor(server, 'web');
    rs = await clientFor(server, 'resource-server');
  });
  afterAll(() => server.close());

  /** A fresh account of its own for each test, so tests do not share password or name changes. */
  async function newPerson(options: { platformAdmin?: boolean } = {}) {
    counter += 1;
    const person = { email: `person${counter}@example.com`, password: `a fine passphrase ${counter}`, name: `Person ${counter}` };
    const account = await server.stores.accounts.create({ email: person.email, name: person.name, passwordHash: await hasher.hash(person.password) });
    if (options.platformAdmin) await server.stores.accounts.update(account.id, { platformAdmin: true });
    return { ...person, id: account.id };
  }

  /** Opens an account page in a browser without a session, signs in on the login page it is sent to. */
  async function signInToAccount(person: { email: string; password: string; name: string }, path = '/account', browser = new Browser()) {
    const loginPage = await browser.open(`${server.issuer}${path}`);
    expect(loginPage.url).toMatch(/\/interaction\/[\w-]+$/);
    const page = await login(browser, loginPage, 'https://never.example', person);
    return { browser, page };
  }

  const postForm = (browser: Browser, page: Page, action: RegExp, fields: Record<string, string>) => browser.submit(page, action, fields);
  const inputValue = (html: string, id: string) => new RegExp(`id="${id}"[^>]*value="([^"]*)"`).exec(html)?.[1];

  describe('sign-in', () => {
    test('a visitor is sent to sign in through the account client, then back to the page asked for', async () => {
      const res = await fetch(`${server.issuer}/account/apps`, { redirect: 'manual', headers: { accept: 'text/html' } });
      expect(res.status).toBe(303);
      const location = new URL(res.headers.get('location')!);
      expect(location.origin + location.pathname).toBe(`${server.issuer}/auth`);
      expect(Object.fromEntries(location.searchParams)).toMatchObject({
        client_id: 'gatehouse-account', response_type: 'code', scope: 'openid', state: '/account/apps',
        redirect_uri: `${server.issuer}/account/callback`, code_challenge_method: 'S256',
      });

      const person = await newPerson();
      const { page } = await signInToAccount(person, '/account/apps');
      expect(page.status).toBe(200);
      expect(page.url).toBe(`${server.issuer}/account/apps`);
      expect(page.html).toContain('<h1>Connected apps</h1>');
      // The account pages' own client is no app the person connected.
      expect(page.html).toContain('No app is connected to your account.');
    });

    test('the account client skips consent; the callback returns only to account pages', async () => {
      const res = await fetch(`${server.issuer}/account/callback?state=https://evil.example/&code=x`, { redirect: 'manual' });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/account');
    });

    test('cancelling the sign-in shows a page with a way to try again', async () => {
      const browser = new Browser();
      const loginPage = await browser.open(`${server.issuer}/account`);
      const page = await browser.submit(loginPage, /\/abort$/, {});
      expect(page.url).toMatch(/\/account\/callback\?/);
      expect(page.html).toContain('access_denied');
      expect(page.html).toMatch(/<a href="[^"]*\/auth\?client_id=gatehouse-account[^"]*" id="sign-in-again">/);
    });

    test('a form posted without a session is not acted on: it goes to sign-in', async () => {
      const res = await fetch(`${server.issuer}/account/profile`, {
        method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=Mallory&csrf=x',
      });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toMatch(/\/auth\?.*&state=%2Faccount$/);
    });
  });

  describe('profile', () => {
    test('shows name and email; the name can be changed', async () => {
      const person = await newPerson();
      const { browser, page } = await signInToAccount(person);
      expect(page.html).toContain('<h1>Your account</h1>');
      expect(inputValue(page.html, 'name')).toBe(person.name);
      expect(inputValue(page.html, 'email')).toBe(person.email);
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.html).toMatch(/<a id="nav-profile" href="\/account" aria-current="page">/);
      expect(page.html).toMatch(/<a id="sign-out" href="\/session\/end">/);

      const saved = await postForm(browser, page, /\/account\/profile$/, { name: '  Ada King  ' });
      expect(saved.url).toBe(`${server.issuer}/account?done=profile`);
      expect(saved.html).toContain('Your name is saved.');
      expect(inputValue(saved.html, 'name')).toBe('Ada King');
      expect((await server.stores.accounts.findById(person.id))!.name).toBe('Ada King');

      const blank = await postForm(browser, page, /\/account\/profile$/, { name: '   ' });
      expect(blank.status).toBe(400);
      expect(blank.html).toContain('Enter a name of 1 to 200 characters.');
      expect(blank.html).toMatch(/id="name"[^>]*aria-invalid="true"/);
    });

    test('a form without its CSRF token, or from another site, is refused', async () => {
      const person = await newPerson();
      const { browser, page } = await signInToAccount(person);
      const forged = await postForm(browser, page, /\/account\/profile$/, { name: 'Forged', csrf: 'forged' });
      expect(forged.status).toBe(403);
      const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)![1]!;
      const crossSite = await browser.open(`${server.issuer}/account/profile`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
        body: new URLSearchParams({ name: 'Cross site', csrf }),
      });
      expect(crossSite.status).toBe(403);
      // A token from another person's session is no good either.
      const other = await signInToAccount(await newPerson());
      const otherCsrf = /name="csrf" value="([^"]+)"/.exec(other.page.html)![1]!;
      const swapped = await postForm(browser, page, /\/account\/profile$/, { name: 'Swapped', csrf: otherCsrf });
      expect(swapped.status).toBe(403);
      expect((await server.stores.accounts.findById(person.id))!.name).toBe(person.name);
    });
  });

  describe('password', () => {
    test('wrong current password, mismatch and policy are refused; a change ends the other sessions only', async () => {
      const person = await newPerson();
      // A second session of the same person: signed in to an app on another device.
      const phone = new Browser();
      await signInAs(person, { scope: 'openid' }, phone);

      const { browser } = await signInToAccount(person);
      const form = await browser.open(`${server.issuer}/account/password`);
      expect(form.html).toMatch(/<input id="current_password" name="current_password" type="password" autocomplete="current-password"[^>]*data-reveal-label="Show password"/);
      expect(form.html).toMatch(/<label for="new_password">New password<\/label>/);

      const wrong = await postForm(browser, form, /\/account\/password$/, {
        current_password: 'not the password', new_password: 'a brand new passphrase', new_password_confirm: 'a brand new passphrase',
      });
      expect(wrong.status).toBe(400);
      expect(wrong.html).toMatch(/<p id="form-error" class="error" role="alert">The current password is incorrect.<\/p>/);
      expect(wrong.html).toMatch(/id="current_password"[^>]*aria-describedby="form-error" aria-invalid="true"/);

      const short = await postForm(browser, form, /\/account\/password$/, {
        current_password: person.password, new_password: 'short', new_password_confirm: 'short',
      });
      expect(short.status).toBe(400);
      expect(short.html).toContain('The password must be at least 8 characters.');

      const mismatch = await postForm(browser, form, /\/account\/password$/, {
        current_password: person.password, new_password: 'a brand new passphrase', new_password_confirm: 'a different passphrase',
      });
      expect(mismatch.status).toBe(400);
      expect(mismatch.html).toContain('The two passwords are not the same.');

      const done = await postForm(browser, form, /\/account\/password$/, {
        current_password: person.password, new_password: 'a brand new passphrase', new_password_confirm: 'a brand new passphrase',
      });
      expect(done.url).toBe(`${server.issuer}/account/password?done=password`);
      expect(done.html).toContain('Your password is changed');

      // This session goes on.
      expect((await browser.open(`${server.issuer}/account`)).url).toBe(`${server.issuer}/account`);
      // The phone's session has ended: a new authorization asks for a login again.
      const again = await startAuthorization(web, { redirect_uri: WEB_CB, scope: 'openid' });
      const phoneAgain = await phone.open(again.url.href, {}, WEB_CB);
      expect(phoneAgain.html).toMatch(/name="password"/);
      // The old password no longer signs in; the new one does.
      const fresh = new Browser();
      const loginPage = await fresh.open(`${server.issuer}/account`);
      const refused = await login(fresh, loginPage, 'https://never.example', person);
      expect(refused.html).toContain('The email or password is incorrect.');
      const accepted = await login(fresh, refused, 'https://never.example', { ...person, password: 'a brand new passphrase' });
      expect(accepted.url).toBe(`${server.issuer}/account`);
    });
  });

  describe('password lockout', () => {
    test('guessing the current password on the page counts toward the sign-in lockout', async () => {
      const person = await newPerson();
      const { browser } = await signInToAccount(person);
      const form = await browser.open(`${server.issuer}/account/password`);
      const guess = (current: string) => postForm(browser, form, /\/account\/password$/, {
        current_password: current, new_password: 'a brand new passphrase', new_password_confirm: 'a brand new passphrase',
      });
      for (let i = 1; i <= 5; i++) expect((await guess(`guess number ${i}`)).status).toBe(400);
      // Locked now (LOGIN_LOCK_THRESHOLD, 5 by default): even the right password is not checked.
      const locked = await guess(person.password);
      expect(locked.status).toBe(429);
      expect(locked.html).toContain('Too many failed sign-in attempts.');
      const fresh = new Browser();
      const refused = await login(fresh, await fresh.open(`${server.issuer}/account`), 'https://never.example', person);
      expect(refused.html).toContain('Too many failed sign-in attempts.');
    });
  });

  describe('connected apps', () => {
    test('lists a grant with its client and scopes; revoking it makes its refresh token fail', async () => {
      const person = await newPerson();
      const browser = new Browser();
      const { tokens } = await signInAs(person, { scope: 'openid email offline_access', prompt: 'consent' }, browser);
      expect(tokens.refresh_token).toEqual(expect.any(String));

      const page = await browser.open(`${server.issuer}/account/apps`);
      expect(page.html).toMatch(/<h2 id="app-web-name">Web App<\/h2>/);
      expect(page.html).toContain('See your email address');
      expect(page.html).toContain('Stay connected when you are not using it (refresh tokens)');
      expect(page.html).toMatch(/Allowed on \w+/);
      expect(page.html).not.toContain('gatehouse-account');
      expect(page.html).toMatch(/<button type="submit" class="secondary small" id="revoke-app-web" aria-label="Revoke access for Web App">/);

      const revoked = await browser.submit(page, /\/account\/apps\/web\/revoke$/, {});
      expect(revoked.url).toBe(`${server.issuer}/account/apps?done=app`);
      expect(revoked.html).toContain('The app’s access is revoked.');
      expect(revoked.html).toContain('No app is connected to your account.');
      await expect(oidc.refreshTokenGrant(web, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
      expect(await oidc.tokenIntrospection(rs, tokens.access_token)).toEqual({ active: false });
    });

    test("another person's app cannot be revoked from here", async () => {
      const owner = await newPerson();
      const { tokens } = await signInAs(owner, { scope: 'openid offline_access', prompt: 'consent' });
      const { browser, page } = await signInToAccount(await newPerson());
      const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)![1]!;
      const res = await browser.open(`${server.issuer}/account/apps/web/revoke`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.issuer }, body: new URLSearchParams({ csrf }),
      });
      expect(res.status).toBe(404);
      expect((await oidc.refreshTokenGrant(web, tokens.refresh_token!)).access_token).toEqual(expect.any(String));
    });
  });

  describe('personal API keys', () => {
    test('a key made on the page is shown once, works at introspection, and can be revoked', async () => {
      const person = await newPerson({ platformAdmin: true });
      const { browser } = await signInToAccount(person, '/account/api-keys');
      const page = await browser.open(`${server.issuer}/account/api-keys`);
      expect(page.html).toContain('You have no API keys.');
      expect(page.html).toMatch(/<label class="check" for="scope-admin-api-keys-read"><input type="checkbox" id="scope-admin-api-keys-read" name="scope_admin:api-keys:read">/);
      expect(page.html).toMatch(/<option value="90" selected>90 days<\/option>/);

      const created = await browser.submit(page, /\/account\/api-keys$/, {
        name: 'deploy script', 'scope_admin:api-keys:read': 'on', 'scope_admin:grants:read': 'on', expires_in_days: '30',
      });
      expect(created.status).toBe(201);
      expect(created.headers.get('cache-control')).toBe('no-store');
      const key = inputValue(created.html, 'api-key-value')!;
      expect(key).toMatch(/^gh_test_/);
      expect(created.html).toMatch(/<button type="button" id="copy-key" class="secondary" hidden data-copy="api-key-value"/);
      expect(created.html).toContain('it is shown only this once');

      const active = await oidc.tokenIntrospection(rs, key);
      expect(active).toMatchObject({ active: true, sub: person.id, scope: 'admin:api-keys:read admin:grants:read' });
      // The exp is 30 days out.
      expect(active.exp! - Math.floor(Date.now() / 1000)).toBeGreaterThan(30 * 86400 - 120);
      const whoami = await fetch(`${server.issuer}/api/v1/auth/whoami`, { headers: { authorization: `Bearer ${key}` } });
      expect(whoami.status).toBe(200);

      // Listed without its secret.
      const listed = await browser.open(`${server.issuer}/account/api-keys`);
      expect(listed.html).toContain('<h3>deploy script</h3>');
      expect(listed.html).not.toContain(key);
      expect(listed.html).toContain(key.slice(-4));

      const revoked = await browser.submit(listed, /\/revoke$/, {});
      expect(revoked.url).toBe(`${server.issuer}/account/api-keys?done=key`);
      expect(revoked.html).toContain('The key is revoked: it no longer works.');
      expect(await oidc.tokenIntrospection(rs, key)).toEqual({ active: false });
    });

    test('a key holds only what the account may hold; bad input is refused with a message', async () => {
      const person = await newPerson();
      const { browser, page } = await signInToAccount(person, '/account/api-keys');
      expect(page.html).toContain('Your account holds no admin permissions, so it cannot create API keys.');
      expect(page.html).not.toContain('id="create-key-form"');
      const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)?.[1];
      expect(csrf).toBeUndefined(); // no form at all; post one anyway with a token from another page
      const profile = await browser.open(`${server.issuer}/account`);
      const token = /name="csrf" value="([^"]+)"/.exec(profile.html)![1]!;
      const forged = await browser.open(`${server.issuer}/account/api-keys`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.issuer },
        body: new URLSearchParams({ csrf: token, name: 'sneaky', 'scope_admin:keys:write': 'on', expires_in_days: '30' }),
      });
      expect(forged.status).toBe(400);
      expect(forged.html).toContain('Choose at least one permission.');
      expect((await server.stores.apiKeys.list({ ownerId: person.id, limit: 10 })).items).toEqual([]);

      const admin = await newPerson({ platformAdmin: true });
      const signedIn = await signInToAccount(admin, '/account/api-keys');
      const noName = await signedIn.browser.submit(signedIn.page, /\/account\/api-keys$/, {
        name: '  ', 'scope_admin:api-keys:read': 'on', expires_in_days: '30',
      });
      expect(noName.status).toBe(400);
      expect(noName.html).toContain('Give the key a name of 1 to 100 characters.');
      expect(noName.html).toMatch(/id="key-name"[^>]*aria-invalid="true"/);
      expect(noName.html).toMatch(/id="scope-admin-api-keys-read" name="scope_admin:api-keys:read" checked>/);
      const tooLong = await signedIn.browser.submit(signedIn.page, /\/account\/api-keys$/, {
        name: 'x', 'scope_admin:api-keys:read': 'on', expires_in_days: '9999',
      });
      expect(tooLong.status).toBe(400);
      expect(tooLong.html).toContain('Choose when the key expires.');
    });

    test("another person's key cannot be revoked from here", async () => {
      const owner = await newPerson();
      const { record } = await server.apiKeys.issue({ name: 'theirs', scopes: ['admin:api-keys:read'] }, {
        owner: { type: 'account', id: owner.id }, allowedScopes: ['admin:api-keys:read'],
      });
      const { browser, page } = await signInToAccount(await newPerson());
      const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)![1]!;
      const res = await browser.open(`${server.issuer}/account/api-keys/${record.id}/revoke`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.issuer }, body: new URLSearchParams({ csrf }),
      });
      expect(res.status).toBe(404);
      expect((await server.stores.apiKeys.findById(record.id))!.revokedAt).toBeUndefined();
    });
  });

  describe('accessibility basics', () => {
    test('every page has a language, a skip link to main, labelled inputs and the self-hosted script', async () => {
      const { browser } = await signInToAccount(await newPerson({ platformAdmin: true }));
      for (const path of ['/account', '/account/password', '/account/apps', '/account/api-keys']) {
        const page = await browser.open(`${server.issuer}${path}`);
        expect(page.status).toBe(200);
        expect(page.html).toMatch(/^<!doctype html>\n<html lang="en">/);
        expect(page.html).toContain('<a class="skip-link" href="#main">Skip to main content</a>');
        expect(page.html).toContain('<main id="main" tabindex="-1">');
        expect(page.html).toMatch(/<nav class="account-nav" aria-label="Your account">/);
        expect(page.html).toContain('<script src="/assets/gatehouse.js" defer></script>');
        expect(page.html).not.toMatch(/style=|<script>/);
        // Every visible input, select and textarea has a <label for> naming its id.
        for (const [, id] of page.html.matchAll(/<(?:input|select)(?![^>]*type="hidden")(?![^>]*\shidden)[^>]*\sid="([^"]+)"/g)) {
          expect(page.html).toContain(`for="${id}"`);
        }
      }
      const script = await fetch(`${server.issuer}/assets/gatehouse.js`);
      expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
      expect(await script.text()).toContain('aria-pressed');
    });
  });

  describe('languages', () => {
    test('Accept-Language picks German; an unknown language falls back to English', async () => {
      const { browser } = await signInToAccount(await newPerson());
      const german = await browser.open(`${server.issuer}/account`, { headers: { 'accept-language': 'fr;q=0.9, de-AT, en;q=0.5' } });
      expect(german.html).toMatch(/<html lang="de">/);
      expect(german.html).toContain('<h1>Ihr Konto</h1>');
      expect(german.headers.get('content-language')).toBe('de');
      expect(german.headers.get('vary')).toMatch(/accept-language/i);
      const french = await browser.open(`${server.issuer}/account`, { headers: { 'accept-language': 'fr' } });
      expect(french.html).toContain('<h1>Your account</h1>');
      expect(french.headers.get('content-language')).toBe('en');

      const error = await fetch(`${server.issuer}/interaction/does-not-exist`, { headers: { accept: 'text/html', 'accept-language': 'de' } });
      expect(await error.text()).toContain('<h1>Etwas ist schiefgelaufen</h1>');
    });

    test('ui_locales of the authorization request picks the login page language, error messages included', async () => {
      const browser = new Browser();
      const start = await startAuthorization(web, { redirect_uri: WEB_CB, ui_locales: 'fr-CA de' });
      const page = await browser.open(start.url.href, {}, WEB_CB);
      expect(page.html).toContain('<h1>Anmelden</h1>');
      expect(page.html).toContain('um mit <strong>Web App</strong> fortzufahren');
      const failed = await browser.submit(page, /\/login$/, { email: ADA.email, password: 'wrong-password-123' });
      expect(failed.html).toContain('E-Mail-Adresse oder Passwort ist falsch.');
      expect(failed.html).toMatch(/<html lang="de">/);
    });
  });

  describe('languages on the logout page', () => {
    test('ui_locales of the logout request (RP-Initiated Logout §2) picks its language', async () => {
      const { tokens, browser } = await signInAs(await newPerson(), { scope: 'openid' });
      const endSession = oidc.buildEndSessionUrl(web, { id_token_hint: tokens.id_token!, ui_locales: 'de' });
      const page = await browser.open(endSession.href);
      expect(page.html).toContain('<h1>Abmelden?</h1>');
      expect(page.html).toContain('und zu <strong>Web App</strong> zurückkehren?');
    });
  });

  /** The code flow as `person` in `browser`; returns the tokens. */
  async function signInAs(person: { email: string; password: string; name: string }, params: Record<string, string>, browser = new Browser()) {
    const start = await startAuthorization(web, { redirect_uri: WEB_CB, ...params });
    let page = await browser.open(start.url.href, {}, WEB_CB);
    if (!page.url.startsWith(WEB_CB)) page = await login(browser, page, WEB_CB, person);
    if (!page.url.startsWith(WEB_CB)) page = await browser.submit(page, /\/confirm$/, { decision: 'allow' }, WEB_CB);
    const tokens = await oidc.authorizationCodeGrant(web, new URL(page.url), {
      pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce,
    });
    return { tokens, browser };
  }
});

describe('theme (GATEHOUSE_THEME_*)', () => {
  test('the product name, logo and colour change every page; the colour comes from a stylesheet', async () => {
    const server = await startTestServer({
      GATEHOUSE_THEME_NAME: 'Acme ID', GATEHOUSE_THEME_PRIMARY_COLOR: '#FFCC00', GATEHOUSE_THEME_LOGO_URL: 'https://cdn.acme.example/logo.svg',
    });
    try {
      const page = await new Browser().open(`${server.issuer}/account`);
      expect(page.html).toContain('<title>Sign in · Acme ID</title>');
      expect(page.html).toContain('<img class="logo" src="https://cdn.acme.example/logo.svg" alt="Acme ID">');
      expect(page.html).toContain('to continue to <strong>Acme ID account</strong>');
      expect(page.headers.get('content-security-policy')).toContain("img-src 'self' data: https://cdn.acme.example;");
      const href = /<link rel="stylesheet" href="(\/assets\/theme\.css\?v=[\w-]+)">/.exec(page.html)![1]!;
      const css = await (await fetch(`${server.issuer}${href}`)).text();
      expect(css).toContain('--primary: #ffcc00;');
      // Yellow: black text on buttons, and a darker shade for text on white (WCAG AA).
      expect(css).toContain('--on-primary: #000000;');
      expect(css).not.toContain('--primary-text: #ffcc00;');
    } finally {
      await server.close();
    }
  });

  test('the default theme', async () => {
    const server = await startTestServer();
    try {
      const page = await new Browser().open(`${server.issuer}/account`);
      expect(page.html).toContain('<title>Sign in · Gatehouse</title>');
      expect(page.headers.get('content-security-policy')).toContain("img-src 'self' data:;");
      const href = /<link rel="stylesheet" href="(\/assets\/theme\.css\?v=[\w-]+)">/.exec(page.html)![1]!;
      expect(await (await fetch(`${server.issuer}${href}`)).text()).toContain('--primary: #1f5fbf; --on-primary: #ffffff; --primary-text: #1f5fbf;');
    } finally {
      await server.close();
    }
  });
});
