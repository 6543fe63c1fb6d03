import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import * as oidc from 'openid-client';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';

import { ADMIN_SCOPES } from '../../src/admin/scopes.ts';
import type { Scheduler } from '../../src/audit/webhook-dispatcher.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startGatehouse } from '../../src/server.ts';
import { Browser } from '../support/browser.ts';
import { consent, signIn, startAuthorization } from '../support/flows.ts';
import { freePort, SEED_PATH, startTestServer, type TestServer } from '../support/gatehouse.ts';

const RP_CB = 'https://rp.example/cb';
const BYE = 'https://rp.example/bye';
const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

interface Received { url: string; headers: IncomingMessage['headers']; body: string; res: ServerResponse }

/**
 * A relying party's back-channel logout endpoint on loopback. Each request waits for the
 * test to answer it (`answer`), so a test decides how, and when, the RP responds.
 */
async function receiver() {
  const received: Received[] = [];
  const waiters: (() => void)[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => { body += chunk; });
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body, res });
      waiters.splice(0).forEach((wake) => wake());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    received,
    url: `http://127.0.0.1:${port}/backchannel_logout`,
    /** The n-th request (1-based), once it has arrived; the jest timeout is the deadline. */
    async request(n: number): Promise<Received> {
      while (received.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
      return received[n - 1]!;
    },
    answer(request: Received, status: number) {
      request.res.writeHead(status, { 'cache-control': 'no-store' }).end();
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const logoutTokenOf = (request: Received) => new URLSearchParams(request.body).get('logout_token')!;

/**
 * OIDC Back-Channel Logout 1.0, seen from the relying party: a client registered with
 * `backchannel_logout_uri` is sent a logout token when the person logs out through
 * RP-initiated logout; delivery is retried, and never holds up the logout page.
 */
describe('back-channel logout', () => {
  let server: TestServer;
  let rp: Awaited<ReturnType<typeof receiver>>;
  let client: oidc.Configuration;
  let platformKey: string;
  /** Retries run at once, and the delays they asked for are kept: no test waits on a clock. */
  const delays: number[] = [];
  const schedule: Scheduler = (fn, ms) => {
    delays.push(ms);
    const timer = setImmediate(fn);
    return { cancel: () => clearImmediate(timer) };
  };

  beforeAll(async () => {
    rp = await receiver();
    const config = loadConfig({
      PORT: String(await freePort()), HOST: '127.0.0.1', GATEHOUSE_SEED: SEED_PATH, LOG_LEVEL: 'silent',
      // The receiver is on loopback, which the SSRF guard refuses by default.
      BACKCHANNEL_LOGOUT_ALLOW_PRIVATE: 'true',
    });
    const running = await startGatehouse(config, createLogger('silent'), { backchannelSchedule: schedule });
    server = Object.assign(running, { issuer: config.issuer });

    platformKey = (await server.apiKeys.issue({ name: 'platform', scopes: [...ADMIN_SCOPES] }, {
      owner: { type: 'account', id: 'platform-admin' }, allowedScopes: ADMIN_SCOPES,
    })).key;
    client = await register('rp-backchannel', rp.url);
  });
  afterAll(async () => {
    await server?.close();
    await rp?.close();
  });
  beforeEach(() => { delays.length = 0; });

  /** Registers a confidential RP with a back-channel logout endpoint through the admin API. */
  async function register(clientId: string, backchannelUri: string): Promise<oidc.Configuration> {
    const res = await fetch(`${server.issuer}/api/v1/clients`, {
      method: 'POST', headers: { authorization: `Bearer ${platformKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: clientId, client_name: clientId, redirect_uris: [RP_CB], post_logout_redirect_uris: [BYE],
        scope: 'openid profile', backchannel_logout_uri: backchannelUri, backchannel_logout_session_required: true,
      }),
    });
    const registered = await res.json() as { client_secret: string; backchannel_logout_uri: string };
    expect(res.status).toBe(201);
    expect(registered.backchannel_logout_uri).toBe(backchannelUri);
    return oidc.discovery(new URL(server.issuer), clientId, registered.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
  }

  /** Signs in, then logs out through the end_session endpoint; resolves with the page the logout ended on. */
  async function signInAndLogOut() {
    const { tokens, browser } = await signIn(client, RP_CB, { scope: 'openid' });
    const url = oidc.buildEndSessionUrl(client, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: BYE, state: 'bye' });
    const confirm = await browser.open(url.href, {}, BYE);
    const done = await browser.submit(confirm, /\/session\/end\/confirm$/, { logout: 'yes' }, BYE);
    return { tokens, browser, done };
  }

  test('discovery says back-channel logout and its sid are supported (§2.1)', async () => {
    const metadata = client.serverMetadata();
    expect(metadata.backchannel_logout_supported).toBe(true);
    expect(metadata.backchannel_logout_session_supported).toBe(true);
  });

  test('RP-initiated logout POSTs a logout token the RP can verify with the JWKS (§2.4, §2.5)', async () => {
    const before = rp.received.length;
    const { tokens, browser, done } = await signInAndLogOut();
    expect(new URL(done.url).searchParams.get('state')).toBe('bye');

    const request = await rp.request(before + 1);
    rp.answer(request, 200);
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const jwks = await (await fetch(`${server.issuer}/jwks`)).json() as JSONWebKeySet;
    const { payload, protectedHeader } = await jwtVerify(logoutTokenOf(request), createLocalJWKSet(jwks), {
      issuer: server.issuer, audience: 'rp-backchannel', typ: 'logout+jwt', maxTokenAge: 120,
    });
    const idToken = tokens.claims()!;
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload).toEqual(expect.objectContaining({
      iat: expect.any(Number), jti: expect.any(String), sub: idToken.sub, events: { [EVENT]: {} },
    }));
    // backchannel_logout_session_required: the ID token and the logout token name the same session.
    expect(idToken.sid).toEqual(expect.any(String));
    expect(payload.sid).toBe(idToken.sid);
    expect(payload).not.toHaveProperty('nonce'); // §2.4: a nonce is prohibited

    // The session is gone at the OP too.
    const silent = await startAuthorization(client, { redirect_uri: RP_CB, prompt: 'none' });
    const answer = await browser.open(silent.url.href, {}, RP_CB);
    expect(new URL(answer.url).searchParams.get('error')).toBe('login_required');
  });

  test('a receiver that fails first is sent the same token again after a backoff, and no more once it answers 200', async () => {
    const before = rp.received.length;
    await signInAndLogOut();
    const first = await rp.request(before + 1);
    rp.answer(first, 503);
    const second = await rp.request(before + 2);
    rp.answer(second, 200);
    expect(logoutTokenOf(second)).toBe(logoutTokenOf(first)); // same jti: the RP can drop a repeat
    expect(delays).toEqual([2000]);

    // Another logout proves the queue has moved on: the next request is a new token.
    await signInAndLogOut();
    const next = await rp.request(before + 3);
    rp.answer(next, 200);
    expect(decodeJwt(logoutTokenOf(next)).jti).not.toBe(decodeJwt(logoutTokenOf(first)).jti);
    expect(delays).toEqual([2000]);
  });

  test('a 400 from the RP (it could not log out) is final: no retry (§2.8)', async () => {
    const before = rp.received.length;
    await signInAndLogOut();
    rp.answer(await rp.request(before + 1), 400);
    await signInAndLogOut();
    rp.answer(await rp.request(before + 2), 200);
    expect(delays).toEqual([]);
    expect(decodeJwt(logoutTokenOf(rp.received[before + 1]!)).jti).not.toBe(decodeJwt(logoutTokenOf(rp.received[before]!)).jti);
  });

  test('a receiver that does not answer never holds up the logout page', async () => {
    const before = rp.received.length;
    const { done } = await signInAndLogOut();
    // The person is already back at the RP ...
    expect(new URL(done.url).origin + new URL(done.url).pathname).toBe(BYE);
    // ... while the RP's endpoint still holds the delivery unanswered.
    const pending = await rp.request(before + 1);
    expect(pending.res.headersSent).toBe(false);
    rp.answer(pending, 200);
  });

  test('logging out of one RP ends the session at every RP signed in with it, each told with its own sid', async () => {
    const second = await register('rp-second', `${rp.url}?rp=second`);
    const { tokens: first, browser } = await signIn(client, RP_CB, { scope: 'openid' });
    // Already signed in: the second RP only asks for consent.
    const start = await startAuthorization(second, { redirect_uri: RP_CB });
    const callback = await consent(browser, await browser.open(start.url.href, {}, RP_CB), RP_CB);
    const other = await oidc.authorizationCodeGrant(second, new URL(callback.url), {
      pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce,
    });
    const before = rp.received.length;
    const url = oidc.buildEndSessionUrl(client, { id_token_hint: first.id_token!, post_logout_redirect_uri: BYE });
    const confirm = await browser.open(url.href, {}, BYE);
    await browser.submit(confirm, /\/session\/end\/confirm$/, { logout: 'yes' }, BYE);

    const requests = [await rp.request(before + 1), await rp.request(before + 2)];
    requests.forEach((r) => rp.answer(r, 200));
    const byClient = Object.fromEntries(requests.map((r) => {
      const claims = decodeJwt(logoutTokenOf(r));
      return [claims.aud as string, { sid: claims.sid, path: r.url }];
    }));
    expect(byClient).toEqual({
      'rp-backchannel': { sid: first.claims()!.sid, path: '/backchannel_logout' },
      'rp-second': { sid: other.claims()!.sid, path: '/backchannel_logout?rp=second' },
    });
  });

  test('the ID tokens of a client without backchannel_logout_session_required carry no sid', async () => {
    const web = await oidc.discovery(new URL(server.issuer), 'web', 'web-secret-for-tests-only-0123456789', undefined, {
      execute: [oidc.allowInsecureRequests],
    });
    const { tokens } = await signIn(web, 'https://app.example/cb', { scope: 'openid' }, new Browser());
    expect(tokens.claims()!.sid).toBeUndefined();
  });
});

describe('back-channel logout: registration under the default SSRF policy', () => {
  let server: TestServer;
  let platformKey: string;

  beforeAll(async () => {
    server = await startTestServer();
    platformKey = (await server.apiKeys.issue({ name: 'platform', scopes: [...ADMIN_SCOPES] }, {
      owner: { type: 'account', id: 'platform-admin' }, allowedScopes: ADMIN_SCOPES,
    })).key;
  });
  afterAll(() => server.close());

  const register = async (body: Record<string, unknown>) => {
    const res = await fetch(`${server.issuer}/api/v1/clients`, {
      method: 'POST', headers: { authorization: `Bearer ${platformKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: [RP_CB], scope: 'openid', ...body }),
    });
    return { status: res.status, body: await res.json() as { fields?: { path: string; message: string }[] } };
  };

  test.each([
    ['loopback', 'http://127.0.0.1:8080/logout', 'must not point to an internal address (loopback)'],
    ['a private range', 'https://10.1.2.3/logout', 'must not point to an internal address (private)'],
    ['link-local (cloud metadata)', 'http://169.254.169.254/latest', 'must not point to an internal address (linkLocal)'],
  ])('a backchannel_logout_uri on %s is refused', async (_label, uri, message) => {
    expect(await register({ backchannel_logout_uri: uri })).toEqual({
      status: 400, body: expect.objectContaining({ fields: [{ path: 'backchannel_logout_uri', message }] }),
    });
  });

  test('a fragment, or plain http for a public client, is refused (§2.2)', async () => {
    expect((await register({ backchannel_logout_uri: 'https://rp.example/logout#x' })).body.fields).toEqual([
      { path: 'backchannel_logout_uri', message: 'must be an http(s) URL without a fragment (Back-Channel Logout 1.0 §2.2)' },
    ]);
    expect((await register({ backchannel_logout_uri: 'http://rp.example/logout', token_endpoint_auth_method: 'none' })).body.fields).toEqual([
      { path: 'backchannel_logout_uri', message: 'must be an https URL for a public client (Back-Channel Logout 1.0 §2.2)' },
    ]);
  });

  test('a public https receiver is accepted', async () => {
    const { status } = await register({ backchannel_logout_uri: 'https://93.184.215.14/logout', backchannel_logout_session_required: true });
    expect(status).toBe(201);
  });
});

describe('back-channel logout off (BACKCHANNEL_LOGOUT=off)', () => {
  test('discovery does not advertise it', async () => {
    const server = await startTestServer({ BACKCHANNEL_LOGOUT: 'off' });
    try {
      const metadata = await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
      expect(metadata).not.toHaveProperty('backchannel_logout_supported');
      expect(metadata.end_session_endpoint).toBe(`${server.issuer}/session/end`);
    } finally {
      await server.close();
    }
  });
});
