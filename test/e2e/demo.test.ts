import { fileURLToPath } from 'node:url';

import { Browser } from '../support/browser.ts';
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
