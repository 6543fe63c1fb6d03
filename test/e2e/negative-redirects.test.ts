import * as oidc from 'openid-client';

import { Browser } from '../support/browser.ts';
import { clientFor, startTestServer, type TestServer } from '../support/gatehouse.ts';
import { signIn, startAuthorization } from '../support/flows.ts';

const WEB_CB = 'https://app.example/cb';
const BYE = 'https://app.example/bye';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

/**
 * Where the browser is sent, and when it must not be. An authorization server redirects
 * only to a redirect_uri registered for the client, compared exactly (RFC 9700 §4.1.3,
 * RFC 6749 §3.1.2.4); an error it cannot send to one is shown (RFC 6749 §4.1.2.1).
 */
describe('negative: redirects', () => {
  let server: TestServer;
  let web: oidc.Configuration;

  beforeAll(async () => {
    server = await startTestServer();
    web = await clientFor(server, 'web');
  });
  afterAll(() => server.close());

  const authorizeUrl = (params: Record<string, string>) => `${server.issuer}/auth?${new URLSearchParams({
    client_id: 'web', response_type: 'code', scope: 'openid', state: 'st', redirect_uri: WEB_CB,
    code_challenge: CHALLENGE, code_challenge_method: 'S256', ...params,
  })}`;

  /** One request, no redirect followed: what a browser would be told to do. */
  const open = (url: string, headers: Record<string, string> = {}) => fetch(url, {
    redirect: 'manual', headers: { accept: 'text/html', ...headers },
  });

  async function expectErrorPage(res: Response, error: string) {
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain(error);
  }

  describe('a redirect_uri that is not exactly a registered one is never redirected to', () => {
    test.each([
      ['a different case in the path', 'https://app.example/CB'],
      ['a different case in the host', 'https://APP.example/cb'],
      ['another port', 'https://app.example:8443/cb'],
      ['http instead of https', 'http://app.example/cb'],
      ['a trailing slash', 'https://app.example/cb/'],
      ['an added query', 'https://app.example/cb?next=https://evil.example'],
      ['a fragment', 'https://app.example/cb#frag'],
      ['userinfo before the host', 'https://app.example@evil.example/cb'],
      ['a javascript: URI', 'javascript:alert(document.cookie)//https://app.example/cb'],
      ['a data: URI', 'data:text/html,<script>alert(1)</script>'],
    ])('%s', async (_label, redirectUri) => {
      await expectErrorPage(await open(authorizeUrl({ redirect_uri: redirectUri })), 'invalid_redirect_uri');
    });

    test('nor is one sent twice, even if both copies are the registered one', async () => {
      const url = `${authorizeUrl({})}&redirect_uri=${encodeURIComponent(WEB_CB)}`;
      const res = await open(url);
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(await res.text()).toMatch(/redirect_uri.*must not be provided twice/);
    });
  });

  test('prompt=none without a session sends login_required to the registered redirect_uri', async () => {
    const res = await open(authorizeUrl({ prompt: 'none' }));
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(WEB_CB);
    expect(Object.fromEntries(location.searchParams)).toMatchObject({
      error: 'login_required', state: 'st', iss: server.issuer,
    });
    expect(location.searchParams.has('code')).toBe(false);
  });

  describe('max_age (OIDC Core §3.1.2.1)', () => {
    /**
     * Makes the browser's session look as if its login happened `seconds` ago, by
     * moving the stored login time back: the server's clock is not ours to move, the
     * session record is, and max_age is checked against it.
     */
    async function ageSession(browser: Browser, seconds: number) {
      const sessions = server.stores.adapter('Session');
      const id = browser.cookies.get('_session')!;
      const stored = await sessions.find(id);
      expect(stored?.loginTs).toEqual(expect.any(Number));
      await sessions.upsert(id, { ...stored!, loginTs: stored!.loginTs! - seconds }, 3600);
    }

    test('a session older than max_age is asked to sign in again; a younger one is not', async () => {
      const { browser } = await signIn(web, WEB_CB, { scope: 'openid' });
      await ageSession(browser, 120);

      const fresh = await startAuthorization(web, { redirect_uri: WEB_CB, max_age: '3600' });
      const silent = await browser.open(fresh.url.href, {}, WEB_CB);
      expect(new URL(silent.url).searchParams.get('code')).toEqual(expect.any(String));

      const strict = await startAuthorization(web, { redirect_uri: WEB_CB, max_age: '60' });
      const page = await browser.open(strict.url.href, {}, WEB_CB);
      expect(page.url).not.toMatch(/^https:\/\/app\.example/);
      expect(page.html).toMatch(/name="password"/);
    });

    test('max_age=0 asks to sign in again even right after a login', async () => {
      const { browser } = await signIn(web, WEB_CB, { scope: 'openid' });
      const start = await startAuthorization(web, { redirect_uri: WEB_CB, max_age: '0' });
      const page = await browser.open(start.url.href, {}, WEB_CB);
      expect(page.html).toMatch(/name="password"/);
    });
  });

  describe('RP-initiated logout never redirects to what was not registered', () => {
    // (An unregistered post_logout_redirect_uri with a valid hint: logout.test.ts.)
    test('a post_logout_redirect_uri that differs from the registered one by a trailing slash', async () => {
      const { tokens, browser } = await signIn(web, WEB_CB, { scope: 'openid' });
      const url = oidc.buildEndSessionUrl(web, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${BYE}/` });
      const page = await browser.open(url.href, {}, 'https://app.example');
      expect(page.status).toBe(400);
      expect(page.url).toBe(url.href);
    });

    test('a post_logout_redirect_uri without id_token_hint or client_id is ignored: the logout ends on our page', async () => {
      // Without a client, no URI can be checked against a registration (RP-Initiated
      // Logout §3), so it is dropped rather than followed.
      const { browser } = await signIn(web, WEB_CB, { scope: 'openid' });
      const url = `${server.issuer}/session/end?${new URLSearchParams({ post_logout_redirect_uri: 'https://evil.example/bye' })}`;
      const confirm = await browser.open(url, {}, 'https://evil.example');
      expect(confirm.status).toBe(200);
      const done = await browser.submit(confirm, /\/session\/end\/confirm$/, { logout: 'yes' }, 'https://evil.example');
      expect(done.url.startsWith(server.issuer)).toBe(true);
      expect(done.status).toBe(200);
    });

    test('an id_token_hint that is not a JWT', async () => {
      const res = await open(`${server.issuer}/session/end?${new URLSearchParams({
        id_token_hint: 'not-a-jwt', post_logout_redirect_uri: BYE, client_id: 'web',
      })}`);
      await expectErrorPage(res, 'invalid_request');
    });

    test("a valid id_token_hint of one client with another client's client_id", async () => {
      const { tokens } = await signIn(web, WEB_CB, { scope: 'openid' });
      const res = await open(`${server.issuer}/session/end?${new URLSearchParams({
        id_token_hint: tokens.id_token!, client_id: 'spa', post_logout_redirect_uri: BYE,
      })}`);
      await expectErrorPage(res, 'invalid_request');
    });
  });
});
