import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import * as oidc from 'openid-client';
import { createLocalJWKSet, decodeJwt, generateKeyPair, jwtVerify, SignJWT, type JSONWebKeySet } from 'jose';

import { Browser, type Page } from '../support/browser.ts';
import { startTestServer, type TestServer } from '../support/gatehouse.ts';
import { authorize, callbackParams, CB, codeFlow, platformKey, POST_LOGOUT, registerClient, rpFor } from './conformance-support.ts';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** Is the browser still signed in? The suite asks with prompt=none, which must fail after a logout. */
async function signedIn(rp: oidc.Configuration, browser: Browser): Promise<boolean> {
  const { page } = await authorize(rp, browser, { scope: 'openid', prompt: 'none' }, { signIn: false });
  const params = callbackParams(page);
  if (params.error !== undefined) expect(params.error).toBe('login_required');
  return params.code !== undefined;
}

/** Confirms the logout page ("Sign out?"), and returns where the browser ends up. */
const confirmLogout = (browser: Browser, page: Page, stopAt = POST_LOGOUT) => browser.submit(page, /\/session\/end\/confirm$/, { logout: 'yes' }, stopAt);

/**
 * The OpenID conformance suite's RP-Initiated Logout OP plan
 * (oidcc-rp-initiated-logout-certification-test-plan), module by module. Gatehouse always
 * asks the person to confirm the logout (RP-Initiated Logout 1.0 §2 leaves that to the
 * OP); the suite's browser presses the button, as these tests do.
 */
describe('conformance: RP-initiated logout OP', () => {
  let server: TestServer;
  let rp: oidc.Configuration;
  let metadata: oidc.ServerMetadata;

  beforeAll(async () => {
    server = await startTestServer();
    const registered = await registerClient(server, await platformKey(server), {
      client_id: 'conformance-logout', redirect_uris: [CB], post_logout_redirect_uris: [POST_LOGOUT], scope: 'openid',
    });
    rp = await rpFor(server, 'conformance-logout', registered.body.client_secret);
    metadata = rp.serverMetadata();
  });
  afterAll(() => server.close());

  /** Signs in (the suite's "normal authorization flow") and opens the end_session endpoint with `params`. */
  async function signInThenEndSession(params: (idToken: string) => Record<string, string> | Promise<Record<string, string>>) {
    const browser = new Browser();
    const { tokens } = await codeFlow(rp, browser);
    const url = `${metadata.end_session_endpoint}?${new URLSearchParams(await params(tokens.id_token!))}`;
    return { browser, idToken: tokens.id_token!, page: await browser.open(url, {}, POST_LOGOUT), url };
  }

  /** The OP did not send the browser back to the RP: an error page, or the confirmation asking the person. */
  function expectNoRedirectBack(page: Page) {
    expect(page.url.startsWith(POST_LOGOUT)).toBe(false);
    expect(page.url.startsWith(server.issuer)).toBe(true);
  }

  test('oidcc-rp-initiated-logout-discovery-endpoint-verification: discovery has end_session_endpoint', () => {
    expect(metadata.end_session_endpoint).toBe(`${server.issuer}/session/end`);
  });

  test('oidcc-rp-initiated-logout: back to post_logout_redirect_uri with the state, and the session is over', async () => {
    const { browser, page } = await signInThenEndSession((idToken) => ({ id_token_hint: idToken, post_logout_redirect_uri: POST_LOGOUT, state: 'st-1' }));
    const done = await confirmLogout(browser, page);
    expect(done.url).toBe(`${POST_LOGOUT}?state=st-1`);
    expect(await signedIn(rp, browser)).toBe(false);
  });

  test('oidcc-rp-initiated-logout (POST): the logout request as a form POST works as the GET does', async () => {
    const browser = new Browser();
    const { tokens } = await codeFlow(rp, browser);
    const body = new URLSearchParams({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: POST_LOGOUT, state: 'st-post' });
    const page = await browser.open(metadata.end_session_endpoint!, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body,
    }, POST_LOGOUT);
    const done = await confirmLogout(browser, page);
    expect(done.url).toBe(`${POST_LOGOUT}?state=st-post`);
    expect(await signedIn(rp, browser)).toBe(false);
  });

  test('oidcc-rp-initiated-logout-bad-post-logout-redirect-uri: an unregistered one is not redirected to (error page)', async () => {
    const { page } = await signInThenEndSession((idToken) => ({ id_token_hint: idToken, post_logout_redirect_uri: 'https://rp.example/elsewhere', state: 's' }));
    expectNoRedirectBack(page);
    expect(page.status).toBe(400);
    expect(page.html).toContain('post_logout_redirect_uri not registered');
  });

  test('oidcc-rp-initiated-logout-modified-id-token-hint: an id_token_hint changed to alg none is refused (error page)', async () => {
    const { page } = await signInThenEndSession((idToken) => {
      const [, payload] = idToken.split('.');
      const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${payload}.`;
      return { id_token_hint: unsigned, post_logout_redirect_uri: POST_LOGOUT, state: 's' };
    });
    expectNoRedirectBack(page);
    expect(page.status).toBe(400);
    expect(page.html).toContain('invalid_request');
  });

  test('oidcc-rp-initiated-logout-bad-id-token-hint: an id_token_hint with the right claims signed by another key is refused (error page)', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const { page } = await signInThenEndSession(async (idToken) => ({
      id_token_hint: await new SignJWT(decodeJwt(idToken)).setProtectedHeader({ alg: 'ES256', kid: 'the-suites-own' }).sign(privateKey),
      post_logout_redirect_uri: POST_LOGOUT, state: 's',
    }));
    expectNoRedirectBack(page);
    expect(page.status).toBe(400);
    expect(page.html).toContain('invalid_request');
  });

  test('oidcc-rp-initiated-logout-no-id-token-hint: without a hint the RP is not redirected to; the person is asked, then logged out', async () => {
    const { browser, page } = await signInThenEndSession(() => ({ post_logout_redirect_uri: POST_LOGOUT, state: 's' }));
    expectNoRedirectBack(page);
    expect(page.html).toContain('Sign out?');
    const done = await confirmLogout(browser, page);
    expect(done.url.startsWith(POST_LOGOUT)).toBe(false);
    expect(await signedIn(rp, browser)).toBe(false);
  });

  test('oidcc-rp-initiated-logout-no-params: no parameters at all still logs the person out', async () => {
    const { browser, page } = await signInThenEndSession(() => ({}));
    expect(page.html).toContain('Sign out?');
    const done = await confirmLogout(browser, page);
    expect(done.url).toBe(`${server.issuer}/session/end/success`);
    expect(await signedIn(rp, browser)).toBe(false);
  });

  test('oidcc-rp-initiated-logout-no-post-logout-redirect-uri: an id_token_hint alone logs out and ends on the OP\'s page', async () => {
    const { browser, page } = await signInThenEndSession((idToken) => ({ id_token_hint: idToken }));
    const done = await confirmLogout(browser, page);
    expect(done.url.startsWith(`${server.issuer}/session/end/success`)).toBe(true);
    expect(await signedIn(rp, browser)).toBe(false);
  });

  test('oidcc-rp-initiated-logout-no-state: back to post_logout_redirect_uri with no state added', async () => {
    const { browser, page } = await signInThenEndSession((idToken) => ({ id_token_hint: idToken, post_logout_redirect_uri: POST_LOGOUT }));
    const done = await confirmLogout(browser, page);
    expect(done.url).toBe(POST_LOGOUT);
    expect(await signedIn(rp, browser)).toBe(false);
  });

  test('oidcc-rp-initiated-logout-only-state: a state alone still logs the person out', async () => {
    const { browser, page } = await signInThenEndSession(() => ({ state: 'only' }));
    const done = await confirmLogout(browser, page);
    expect(done.url.startsWith(POST_LOGOUT)).toBe(false);
    expect(await signedIn(rp, browser)).toBe(false);
  });

  test('oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri: "?foo=bar" added is not registered (error page)', async () => {
    const { page } = await signInThenEndSession((idToken) => ({ id_token_hint: idToken, post_logout_redirect_uri: `${POST_LOGOUT}?foo=bar`, state: 's' }));
    expectNoRedirectBack(page);
    expect(page.status).toBe(400);
    expect(page.html).toContain('post_logout_redirect_uri not registered');
  });
});

/**
 * The suite's Back-Channel Logout OP plan (oidcc-backchannel-rp-initiated-logout-certification-test-plan).
 * The RP's endpoint is on loopback, so BACKCHANNEL_LOGOUT_ALLOW_PRIVATE is on.
 */
describe('conformance: back-channel logout OP', () => {
  let server: TestServer;
  let rp: oidc.Configuration;
  let delivered: (body: string) => void;
  const firstDelivery = new Promise<string>((resolve) => { delivered = resolve; });
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => { body += chunk; });
    req.on('end', () => {
      delivered(body);
      res.writeHead(200, { 'cache-control': 'no-store' }).end();
    });
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    server = await startTestServer({ BACKCHANNEL_LOGOUT_ALLOW_PRIVATE: 'true' });
    const registered = await registerClient(server, await platformKey(server), {
      client_id: 'conformance-backchannel', redirect_uris: [CB], post_logout_redirect_uris: [POST_LOGOUT], scope: 'openid',
      backchannel_logout_uri: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/backchannel_logout`,
      backchannel_logout_session_required: true,
    });
    rp = await rpFor(server, 'conformance-backchannel', registered.body.client_secret);
  });
  afterAll(async () => {
    await server.close();
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  test('oidcc-backchannel-logout-discovery-endpoint-verification: back-channel logout with sid, and end_session_endpoint', () => {
    expect(rp.serverMetadata()).toMatchObject({
      backchannel_logout_supported: true, backchannel_logout_session_supported: true, end_session_endpoint: `${server.issuer}/session/end`,
    });
  });

  test('oidcc-backchannel-rp-initiated-logout: the backchannel_logout_uri gets a valid logout token, the browser returns, the session is over', async () => {
    const browser = new Browser();
    const { tokens, claims } = await codeFlow(rp, browser);
    expect(claims.sid).toEqual(expect.any(String));
    const url = oidc.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: POST_LOGOUT, state: 'bc' });
    const done = await confirmLogout(browser, await browser.open(url.href, {}, POST_LOGOUT));
    expect(done.url).toBe(`${POST_LOGOUT}?state=bc`);

    // Delivery is in the background (it never holds up the page): wait for it, the jest timeout is the deadline.
    const form = new URLSearchParams(await firstDelivery);
    expect([...form.keys()]).toEqual(['logout_token']); // nothing unexpected in the request
    const jwks = await (await fetch(rp.serverMetadata().jwks_uri!)).json() as JSONWebKeySet;
    const { payload } = await jwtVerify(form.get('logout_token')!, createLocalJWKSet(jwks), {
      issuer: server.issuer, audience: 'conformance-backchannel', maxTokenAge: 120,
    });
    expect(payload).toMatchObject({ sub: claims.sub, sid: claims.sid, events: { [EVENT]: {} }, jti: expect.any(String), iat: expect.any(Number) });
    expect(payload).not.toHaveProperty('nonce');
    expect(await signedIn(rp, browser)).toBe(false);
  });
});
