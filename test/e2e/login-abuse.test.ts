import { randomBytes } from 'node:crypto';

import * as oidc from 'openid-client';

import { LOGIN_FAILED, LOGIN_LOCKED } from '../../src/interactions/router.ts';
import { providerCookies } from '../../src/oidc/cookies.ts';
import { createPasswordHasher } from '../../src/security/passwords.ts';
import { Browser, type Page } from '../support/browser.ts';
import { consent, login, startAuthorization } from '../support/flows.ts';
import { ADA, clientFor, startTestServer, type TestServer } from '../support/gatehouse.ts';

const WEB_CB = 'https://app.example/cb';
const PASSWORD = 'a perfectly good passphrase';

/** The error line of a login page, or undefined for any other page. */
const errorOf = (page: Page) => /<p[^>]*class="error"[^>]*>([^<]*)<\/p>/.exec(page.html)?.[1]?.replace(/&#39;/g, "'") || undefined;

/** Submits the login form; past it (the consent page of a third-party client), allows. */
async function loginAndConsent(browser: Browser, page: Page, credentials: { email: string; password: string; name: string }) {
  const next = await login(browser, page, WEB_CB, credentials);
  return next.html.includes('/confirm"') ? consent(browser, next, WEB_CB) : next;
}

/** Polls (audit events are written off the request path) until `check` passes or 5 s pass. */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const value = await read();
    if (check(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('failed sign-ins lock the account (counts in Redis)', () => {
  let server: TestServer;
  let web: oidc.Configuration;
  const hasher = createPasswordHasher({ memoryCost: 19456, timeCost: 2, parallelism: 1 });

  beforeAll(async () => {
    server = await startTestServer({ REDIS_URL: process.env.REDIS_URL!, LOGIN_LOCK_THRESHOLD: '3' });
    web = await clientFor(server, 'web');
  });
  afterAll(() => server.close());

  /** A fresh account for each test, so no test sees another's failures. */
  async function newAccount() {
    const email = `person-${randomBytes(4).toString('hex')}@example.com`;
    const account = await server.stores.accounts.create({ email, name: 'Person', passwordHash: await hasher.hash(PASSWORD) });
    return { id: account.id, email };
  }

  /** Opens the login page of a new authorization request in a new browser. */
  async function loginPage() {
    const browser = new Browser();
    const start = await startAuthorization(web, { redirect_uri: WEB_CB });
    return { browser, page: await browser.open(start.url.href, {}, WEB_CB) };
  }

  async function attempt(email: string, password: string) {
    const { browser, page } = await loginPage();
    return loginAndConsent(browser, page, { email, password, name: '' });
  }

  test('three wrong passwords lock the account: then even the right one is refused, without a redirect', async () => {
    const { id, email } = await newAccount();
    expect(errorOf(await attempt(email, 'wrong password 1'))).toBe(LOGIN_FAILED);
    expect(errorOf(await attempt(email, 'wrong password 2'))).toBe(LOGIN_FAILED);
    expect(errorOf(await attempt(email, 'wrong password 3'))).toBe(LOGIN_LOCKED);

    const right = await attempt(email, PASSWORD);
    expect(right.url).not.toContain(WEB_CB);
    expect(errorOf(right)).toBe(LOGIN_LOCKED);
    // Another account is not affected.
    const other = await attempt(ADA.email, ADA.password);
    expect(other.url.startsWith(WEB_CB)).toBe(true);

    const failures = await server.metrics.authenticationFailures.get();
    expect(failures.values).toEqual(expect.arrayContaining([expect.objectContaining({ labels: { reason: 'locked' }, value: 1 })]));
    const locked = await eventually(() => server.stores.audit.list({ type: 'login.locked', limit: 10 }), (p) => p.items.length >= 2);
    expect(locked.items.map((e) => [e.reason, e.subject])).toEqual(expect.arrayContaining([['too_many_failures', id], ['locked', undefined]]));
    const failed = await eventually(() => server.stores.audit.list({ type: 'login.failed', subject: id, limit: 10 }), (p) => p.items.length >= 3);
    expect(failed.items.map((e) => e.reason)).toEqual(['wrong_password', 'wrong_password', 'wrong_password']);
  });

  test('an unknown email gets page for page what a known one gets', async () => {
    const { email: known } = await newAccount();
    const unknown = `nobody-${randomBytes(4).toString('hex')}@example.com`;
    /** The page without what differs by design: the interaction id, its CSRF token, the email typed. */
    const normalise = (page: Page, email: string) => {
      const uid = /\/interaction\/([^/]+)/.exec(page.url)![1]!;
      const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)![1]!;
      return { status: page.status, html: page.html.replaceAll(uid, 'UID').replaceAll(csrf, 'CSRF').replaceAll(email, 'EMAIL') };
    };
    for (let i = 0; i < 5; i++) {
      const [a, b] = [await attempt(known, `wrong ${i}`), await attempt(unknown, `wrong ${i}`)];
      expect(normalise(b, unknown)).toEqual(normalise(a, known));
    }
    expect(errorOf(await attempt(unknown, PASSWORD))).toBe(LOGIN_LOCKED);
    const lockedAudit = await eventually(() => server.stores.audit.list({ type: 'login.failed', limit: 50 }), (p) => p.items.some((e) => e.reason === 'unknown_account'));
    expect(lockedAudit.items.some((e) => e.reason === 'unknown_account' && e.subject === undefined)).toBe(true);
  });

  test('a successful sign-in resets the account\'s count', async () => {
    const { id, email } = await newAccount();
    await attempt(email, 'wrong 1');
    await attempt(email, 'wrong 2');
    expect((await attempt(email, PASSWORD)).url.startsWith(WEB_CB)).toBe(true);
    expect(errorOf(await attempt(email, 'wrong 3'))).toBe(LOGIN_FAILED);
    expect(errorOf(await attempt(email, 'wrong 4'))).toBe(LOGIN_FAILED);
    expect(errorOf(await attempt(email, 'wrong 5'))).toBe(LOGIN_LOCKED);
    const succeeded = await eventually(() => server.stores.audit.list({ type: 'login.succeeded', subject: id, limit: 10 }), (p) => p.items.length > 0);
    expect(succeeded.items).toEqual([expect.objectContaining({ actor: id, subject: id, clientId: 'web', ip: '127.0.0.1' })]);
  });
});

/** A first-party client: no consent page, so a sign-in is one login form. */
const CONSOLE_CB = 'https://console.example/cb';

describe('session cookies', () => {
  let server: TestServer;
  let console_: oidc.Configuration;
  beforeAll(async () => {
    server = await startTestServer();
    console_ = await clientFor(server, 'console', 'none');
  });
  afterAll(() => server.close());

  /** Every Set-Cookie header the server sends while `run` runs. */
  async function recordSetCookies(run: () => Promise<unknown>): Promise<string[]> {
    const seen: string[] = [];
    const original = globalThis.fetch;
    globalThis.fetch = async (...args: Parameters<typeof fetch>) => {
      const res = await original(...args);
      seen.push(...res.headers.getSetCookie());
      return res;
    };
    try {
      await run();
    } finally {
      globalThis.fetch = original;
    }
    return seen;
  }

  async function signIn(browser: Browser, params: Record<string, string> = {}, who = ADA) {
    const start = await startAuthorization(console_, { redirect_uri: CONSOLE_CB, ...params });
    let page = await browser.open(start.url.href, {}, CONSOLE_CB);
    // Signing in as another account than the browser's session first ends that session
    // (node-oidc-provider's auto-submitted logout form).
    for (let i = 0; i < 4 && !page.url.startsWith(CONSOLE_CB); i++) {
      page = page.html.includes('/session/end/confirm"')
        ? await browser.submit(page, /\/session\/end\/confirm$/, {}, CONSOLE_CB)
        : await login(browser, page, CONSOLE_CB, who);
    }
    expect(page.url.startsWith(CONSOLE_CB)).toBe(true);
  }

  test('the session cookie is HttpOnly and SameSite=Lax, on path /', async () => {
    const cookies = await recordSetCookies(() => signIn(new Browser()));
    const session = cookies.find((c) => c.startsWith('_session='));
    expect(session).toBeDefined();
    expect(session).toMatch(/; path=\//i);
    expect(session).toMatch(/; httponly/i);
    expect(session).toMatch(/; samesite=lax/i);
    expect(session).not.toMatch(/; domain=/i);
    for (const c of cookies.filter((c) => !/expires=Thu, 01 Jan 1970/.test(c))) {
      expect(c).toMatch(/; httponly/i);
      expect(c).toMatch(/; samesite=lax/i);
    }
  });

  test('every sign-in gets a new session id: a session id planted before sign-in is worthless after it', async () => {
    const first = new Browser();
    await signIn(first);
    const before = first.cookies.get('_session')!;
    expect(before).toEqual(expect.any(String));

    // The same browser signs in again: a new id.
    await signIn(first, { prompt: 'login' });
    expect(first.cookies.get('_session')).not.toBe(before);

    // An attacker's own session cookies planted in a victim's browser: after the victim
    // signs in, the browser holds another id, and the attacker's id is not the victim's session.
    const planted = new Browser();
    for (const [name, value] of first.cookies) if (name.startsWith('_session')) planted.cookies.set(name, value);
    const plantedId = planted.cookies.get('_session')!;
    await signIn(planted, { prompt: 'login' }, { email: 'grace@example.com', password: 'another good passphrase', name: '' });
    expect(planted.cookies.get('_session')).not.toBe(plantedId);
  });

  test('pages use no inline script or style, so the CSP needs neither nonces nor unsafe-inline', async () => {
    const start = await startAuthorization(console_, { redirect_uri: CONSOLE_CB });
    const page = await new Browser().open(start.url.href, {}, CONSOLE_CB);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    // Scripts only from files ('self'); no inline <script>, <style>, style= or on…= handlers.
    expect(page.html).toMatch(/<script src="\/assets\/[\w.-]+\.js"/);
    expect(page.html).not.toMatch(/<script(?![^>]*\ssrc=)|<style|\sstyle=|\son[a-z]+=/i);
  });
});

describe('cookies with an https issuer (behind a TLS-terminating proxy)', () => {
  test('the configuration names the session cookie __Host- and the interaction cookies __Secure-', () => {
    expect(providerCookies({ issuer: 'https://id.example.com', cookieKeys: ['k'.repeat(32)] }).names).toEqual({
      session: '__Host-session', interaction: '__Secure-interaction', resume: '__Secure-interaction_resume',
    });
    expect(providerCookies({ issuer: 'http://localhost:3000', cookieKeys: ['k'.repeat(32)] }).names).toEqual({
      session: '_session', interaction: '_interaction', resume: '_interaction_resume',
    });
  });

  test('a whole sign-in: every cookie Secure, HttpOnly, SameSite=Lax; the session cookie __Host- (Path=/, no Domain)', async () => {
    const issuer = `https://id-${randomBytes(4).toString('hex')}.test`;
    const server = await startTestServer({ ISSUER: issuer, TRUST_PROXY: 'true' });
    try {
      const jar = new Map<string, string>();
      const setCookies: string[] = [];
      // What the proxy in front would pass on: the original scheme.
      const send = async (url: string, init: RequestInit = {}) => {
        // Whatever origin the server wrote into a Location, the request goes to it directly.
        const target = new URL(url, issuer);
        const local = `${server.url}${target.pathname}${target.search}`;
        const res = await fetch(local, {
          ...init, redirect: 'manual',
          headers: { ...init.headers as Record<string, string>, 'x-forwarded-proto': 'https', cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
        });
        for (const c of res.headers.getSetCookie()) {
          setCookies.push(c);
          const [pair] = c.split(';');
          const eq = pair!.indexOf('=');
          jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
        }
        return res;
      };
      const verifier = oidc.randomPKCECodeVerifier();
      const auth = new URL(`${issuer}/auth`);
      auth.search = new URLSearchParams({
        client_id: 'console', response_type: 'code', scope: 'openid', redirect_uri: CONSOLE_CB,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      }).toString();
      const toLogin = await send(auth.href);
      expect(toLogin.status).toBe(303);
      const interaction = new URL(toLogin.headers.get('location')!, issuer).href;
      const page = await (await send(interaction)).text();
      const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
      const posted = await send(`${interaction}/login`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: issuer },
        body: new URLSearchParams({ csrf, email: ADA.email, password: ADA.password }),
      });
      expect(posted.status).toBe(303);
      // Resume, the first-party client's automatic consent, resume again, then the client.
      let location = posted.headers.get('location')!;
      for (let hop = 0; hop < 4 && !location.startsWith(CONSOLE_CB); hop++) location = (await send(location)).headers.get('location')!;
      expect(location).toMatch(/^https:\/\/console\.example\/cb\?code=/);

      const live = setCookies.filter((c) => !/expires=Thu, 01 Jan 1970/.test(c));
      expect(live.map((c) => c.split('=')[0]).sort()).toEqual(expect.arrayContaining([
        '__Host-session', '__Host-session.sig', '__Secure-interaction', '__Secure-interaction.sig',
        '__Secure-interaction_resume', '__Secure-interaction_resume.sig',
      ]));
      for (const c of live) {
        expect(c).toMatch(/; secure/i);
        expect(c).toMatch(/; httponly/i);
        expect(c).toMatch(/; samesite=lax/i);
      }
      for (const c of live.filter((c) => c.startsWith('__Host-'))) {
        expect(c).toMatch(/; path=\/(;|$)/i);
        expect(c).not.toMatch(/; domain=/i);
      }
    } finally {
      await server.close();
    }
  });
});
