import { fileURLToPath } from 'node:url';

import { Browser, type Page } from '../support/browser.ts';
import { startTestServer, type TestServer } from '../support/gatehouse.ts';

const DEV_SEED = fileURLToPath(new URL('../../config/dev-seed.json', import.meta.url));
const VERIFIER = 'try-gatehouse-with-this-demo-verifier-0123456789';
const CHALLENGE = 'xPwW17fvqR-sxUBXzTXGmz97VyRZ150RBzw0G2KFCkE';

/** The README's "Sign in with a browser" walk-through, step by step, on the dev seed. */
describe('the README walk-through on the demo seed', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer({ GATEHOUSE_SEED: DEV_SEED }); });
  afterAll(() => server.close());

  test('open the sign-in link, sign in as the demo user, redeem the code with curl\'s request', async () => {
    const link = `${server.issuer}/auth?client_id=demo-app&response_type=code&scope=openid%20profile%20email`
      + `&redirect_uri=${encodeURIComponent(`${server.issuer}/demo/callback`)}&code_challenge=${CHALLENGE}&code_challenge_method=S256`;
    const browser = new Browser();
    const login = await browser.open(link);
    expect(login.html).toContain('Gatehouse Demo App');
    const callback = await browser.submit(login, /\/login$/, { email: 'demo@gatehouse.local', password: 'gatehouse-demo' });
    expect(callback.url).toMatch(`${server.issuer}/demo/callback?code=`);
    expect(callback.html).toContain('Authorization code received');
    const code = /-d code=([\w-]+)/.exec(callback.html)![1]!;

    const res = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code', client_id: 'demo-app', redirect_uri: `${server.issuer}/demo/callback`,
        code_verifier: VERIFIER, code,
      }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id_token: expect.any(String), access_token: expect.any(String), scope: 'openid profile email' });
  });

  test('the demo service gets a token with client credentials and can introspect it', async () => {
    const basic = `Basic ${Buffer.from('demo-service:demo-service-secret-DEMO-ONLY-do-not-use-in-production').toString('base64')}`;
    const issued = await fetch(`${server.issuer}/token`, {
      method: 'POST', headers: { authorization: basic }, body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api:read' }),
    });
    const { access_token: token } = await issued.json() as { access_token: string };
    const info = await fetch(`${server.issuer}/token/introspection`, { method: 'POST', headers: { authorization: basic }, body: new URLSearchParams({ token }) });
    expect(await info.json()).toMatchObject({ active: true, client_id: 'demo-service', scope: 'api:read' });
  });
});

/** The landing page's "Try signing in": the demo relying party, end to end, on the dev seed. */
describe('the landing page and its "Try signing in" demo', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer({ GATEHOUSE_SEED: DEV_SEED }); });
  afterAll(() => server.close());

  const DEMO = { email: 'demo@gatehouse.local', password: 'gatehouse-demo' };

  /** Follows the landing page's button up to the login page. */
  async function tryIt(browser: Browser): Promise<Page> {
    const landing = await browser.open(`${server.issuer}/`);
    const href = /<a class="button" href="([^"]+)" id="try-signing-in">Try signing in<\/a>/.exec(landing.html)![1]!;
    return browser.open(new URL(href, server.issuer).href);
  }

  test('says what the server is, with the issuer, discovery and keys', async () => {
    const landing = await new Browser().open(`${server.issuer}/`);
    expect(landing.status).toBe(200);
    expect(landing.html).toContain('An OAuth 2.0 and OpenID Connect authorization server');
    expect(landing.html).toContain(`<code id="issuer">${server.issuer}</code>`);
    expect(landing.html).toContain('href="/.well-known/openid-configuration"');
    expect(landing.html).toContain('href="/jwks"');
    expect(landing.html).toContain('href="/device"');
    expect(landing.html).toContain('href="/demo/start" id="try-signing-in"');
  });

  test('runs a real code + PKCE sign-in and shows the verified ID token claims and the userinfo', async () => {
    const browser = new Browser();
    const loginPage = await tryIt(browser);
    expect(loginPage.url).toMatch(`${server.issuer}/interaction/`);
    expect(loginPage.html).toContain('Gatehouse Demo App');
    const result = await browser.submit(loginPage, /\/login$/, DEMO);

    expect(result.status).toBe(200);
    expect(result.url).toMatch(`${server.issuer}/demo/callback?code=`);
    expect(result.html).toContain('You are signed in to the demo app');
    expect(result.html).toContain('Demo relying party.');
    const account = await server.stores.accounts.findByEmail(DEMO.email);
    const claims = JSON.parse(decode(/<pre class="claims" id="id-token-claims">([\s\S]*?)<\/pre>/.exec(result.html)![1]!)) as Record<string, unknown>;
    expect(claims).toMatchObject({ iss: server.issuer, aud: 'demo-app', sub: account!.id, nonce: expect.any(String) });
    const userinfo = JSON.parse(decode(/<pre class="claims" id="userinfo">([\s\S]*?)<\/pre>/.exec(result.html)![1]!)) as Record<string, unknown>;
    expect(userinfo).toMatchObject({ sub: account!.id, email: DEMO.email, name: 'Demo User' });
    expect(result.html).toContain('<code id="granted-scope">openid profile email</code>');
    expect(result.html).toMatch(/Signed with <code>ES256<\/code>/);

    // The state, nonce and verifier were for this one sign-in: the cookie is gone, and a
    // reload of the callback no longer redeems anything (it shows the README's page).
    expect(browser.cookies.has('gatehouse_demo')).toBe(false);
    const reload = await browser.open(result.url);
    expect(reload.html).toContain('Authorization code received');
  });

  test('a callback whose state is not the one the demo sent is refused', async () => {
    const browser = new Browser();
    const loginPage = await tryIt(browser);
    const callback = await browser.submit(loginPage, /\/login$/, DEMO, `${server.issuer}/demo/callback`);
    const forged = new URL(callback.url);
    forged.searchParams.set('state', 'not-the-state-the-demo-sent');
    const page = await browser.open(forged.href);
    expect(page.status).toBe(400);
    expect(page.html).toContain('The demo sign-in did not complete');
    expect(page.html).toMatch(/state/);
    expect(page.html).not.toContain('id-token-claims');
  });

  test('cancelling at the login page comes back as access_denied', async () => {
    const browser = new Browser();
    const loginPage = await tryIt(browser);
    const page = await browser.submit(loginPage, /\/abort$/, {});
    expect(page.status).toBe(400);
    expect(page.html).toContain('<code id="demo-error">access_denied</code>');
  });

  test('the dev seed has a device-flow client, demo-cli, for the README\'s curl walk-through', async () => {
    const res = await fetch(`${server.issuer}/device/auth`, { method: 'POST', body: new URLSearchParams({ client_id: 'demo-cli', scope: 'openid profile' }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      user_code: expect.stringMatching(/^[A-Z]{4}-[A-Z]{4}$/), verification_uri: `${server.issuer}/device`, interval: 5, expires_in: 600,
    });
  });
});

function decode(html: string): string {
  return html.replace(/&#34;|&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
