import * as oidc from 'openid-client';

import { clientFor, startTestServer, type TestServer } from '../support/gatehouse.ts';
import { signIn, startAuthorization } from '../support/flows.ts';

const WEB_CB = 'https://app.example/cb';
const BYE = 'https://app.example/bye';

describe('RP-initiated logout', () => {
  let server: TestServer;
  let web: oidc.Configuration;

  beforeAll(async () => {
    server = await startTestServer();
    web = await clientFor(server, 'web');
  });
  afterAll(() => server.close());

  test('a confirmation page, then the session ends and the browser returns to the registered URI', async () => {
    const { tokens, browser } = await signIn(web, WEB_CB, { scope: 'openid' });
    const endSession = oidc.buildEndSessionUrl(web, {
      id_token_hint: tokens.id_token!, post_logout_redirect_uri: BYE, state: 'see-you',
    });

    const confirm = await browser.open(endSession.href, {}, BYE);
    expect(confirm.status).toBe(200);
    expect(confirm.html).toContain('Sign out?');
    expect(confirm.html).toContain('Web App');

    const done = await browser.submit(confirm, /\/session\/end\/confirm$/, { logout: 'yes' }, BYE);
    const url = new URL(done.url);
    expect(url.origin + url.pathname).toBe(BYE);
    expect(url.searchParams.get('state')).toBe('see-you');

    // The session is gone: the next authorization asks for a login again.
    const start = await startAuthorization(web, { redirect_uri: WEB_CB });
    const next = await browser.open(start.url.href, {}, WEB_CB);
    expect(next.html).toMatch(/name="password"/);
  });

  test('an unregistered post_logout_redirect_uri gets an error page (400), never a redirect', async () => {
    const { tokens, browser } = await signIn(web, WEB_CB, { scope: 'openid' });
    const endSession = oidc.buildEndSessionUrl(web, {
      id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://evil.example/bye',
    });
    const page = await browser.open(endSession.href, {}, 'https://evil.example');
    expect(page.status).toBe(400);
    expect(page.url).toBe(endSession.href);
    expect(page.html).toContain('invalid_request');
    expect(page.html).toMatch(/post_logout_redirect_uri/);
  });
});
