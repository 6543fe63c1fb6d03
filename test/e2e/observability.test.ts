import { Writable } from 'node:stream';

import * as oidc from 'openid-client';

import { loadConfig } from '../../src/config/index.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startGatehouse } from '../../src/server.ts';
import { Browser } from '../support/browser.ts';
import { startAuthorization } from '../support/flows.ts';
import { ADA, freePort, SECRETS, SEED_PATH, type TestServer } from '../support/gatehouse.ts';

const METRICS_TOKEN = 'metrics-token-for-tests-0123456789abcdef';

describe('request ids, structured logs and metrics', () => {
  let server: TestServer;
  const lines: Array<Record<string, unknown>> = [];
  let raw = '';
  let metricsPort: number;

  beforeAll(async () => {
    const port = await freePort();
    metricsPort = await freePort();
    const config = loadConfig({
      PORT: String(port), HOST: '127.0.0.1', GATEHOUSE_SEED: SEED_PATH,
      METRICS_TOKEN, METRICS_PORT: String(metricsPort),
    });
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        raw += chunk.toString();
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const running = await startGatehouse(config, createLogger('info', { destination: sink }));
    server = Object.assign(running, { issuer: config.issuer });
  });
  afterAll(() => server.close());

  const service = () => oidc.discovery(new URL(server.issuer), 'service', SECRETS.service, oidc.ClientSecretBasic(SECRETS.service), {
    execute: [oidc.allowInsecureRequests],
  });
  const metricsText = async () => (await fetch(`${server.issuer}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();

  test('every response carries a request id; a sane incoming X-Request-Id is kept, anything else replaced', async () => {
    const generated = await fetch(`${server.issuer}/healthz`);
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await fetch(`${server.issuer}/healthz`, { headers: { 'x-request-id': 'edge-42.a' } });
    expect(kept.headers.get('x-request-id')).toBe('edge-42.a');
    const replaced = await fetch(`${server.issuer}/healthz`, { headers: { 'x-request-id': 'x'.repeat(200) } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('one JSON log line per request with id, route, status, duration and client, and no secret anywhere', async () => {
    const config = await service();
    const { access_token: token } = await oidc.clientCredentialsGrant(config, { scope: 'api:read' });
    await oidc.tokenIntrospection(config, token);
    const browser = new Browser();
    const web = await oidc.discovery(new URL(server.issuer), 'web', SECRETS.web, oidc.ClientSecretBasic(SECRETS.web), { execute: [oidc.allowInsecureRequests] });
    const start = await startAuthorization(web, { redirect_uri: 'https://app.example/cb' });
    const page = await browser.open(start.url.href);
    await browser.submit(page, /\/login$/, { email: ADA.email, password: ADA.password });

    const tokenLine = lines.find((l) => l.msg === 'request' && l.route === 'token');
    expect(tokenLine).toMatchObject({
      req_id: expect.any(String), method: 'POST', route: 'token', status: 200, duration_ms: expect.any(Number), client_id: 'service',
    });
    expect(lines.find((l) => l.route === '/interaction/:uid/login')).toMatchObject({ method: 'POST', status: 303 });
    for (const secret of [SECRETS.service, token, ADA.password, SECRETS.web, start.verifier]) expect(raw).not.toContain(secret);
    expect(raw).not.toMatch(/Basic |Bearer |_session|_interaction/);
  });

  test('/metrics needs the bearer token on the public port', async () => {
    const denied = await fetch(`${server.issuer}/metrics`);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect((await fetch(`${server.issuer}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
  });

  test('counts tokens by grant type and client, introspections by result, failures by reason, store latency', async () => {
    const config = await service();
    const { access_token: token } = await oidc.clientCredentialsGrant(config, { scope: 'api:write' });
    await oidc.tokenIntrospection(config, token);
    await oidc.tokenRevocation(config, token);
    await oidc.tokenIntrospection(config, token);
    const wrong = await oidc.discovery(new URL(server.issuer), 'service', 'nope', oidc.ClientSecretBasic('nope'), { execute: [oidc.allowInsecureRequests] });
    await oidc.clientCredentialsGrant(wrong, { scope: 'api:read' }).catch(() => undefined);
    const web = await oidc.discovery(new URL(server.issuer), 'web', SECRETS.web, oidc.ClientSecretBasic(SECRETS.web), { execute: [oidc.allowInsecureRequests] });
    const browser = new Browser();
    const login = await browser.open((await startAuthorization(web, { redirect_uri: 'https://app.example/cb' })).url.href);
    await browser.submit(login, /\/login$/, { email: ADA.email, password: 'not-the-password' });

    const text = await metricsText();
    expect(text).toMatch(/^gatehouse_tokens_issued_total\{grant_type="client_credentials",client_id="service"\} [2-9]/m);
    expect(text).toMatch(/^gatehouse_introspections_total\{result="active"\} [1-9]/m);
    expect(text).toMatch(/^gatehouse_introspections_total\{result="inactive"\} [1-9]/m);
    expect(text).toMatch(/^gatehouse_revocations_total\{source="token"\} [1-9]/m);
    expect(text).toMatch(/^gatehouse_authentication_failures_total\{reason="invalid_client"\} [1-9]/m);
    expect(text).toMatch(/^gatehouse_authentication_failures_total\{reason="invalid_credentials"\} [1-9]/m);
    expect(text).toMatch(/^gatehouse_store_operation_duration_seconds_count\{backend="memory",operation="upsert"\} [1-9]/m);
    expect(text).toMatch(/^gatehouse_http_request_duration_seconds_count\{method="POST",route="token",status="200"\} [1-9]/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    // The failed login's verification has finished: no hash runs or waits.
    expect(text).toMatch(/^gatehouse_password_hashes\{state="running"\} 0$/m);
    expect(text).toMatch(/^gatehouse_password_hashes\{state="waiting"\} 0$/m);
    expect(text).not.toContain(token);
  });

  test('METRICS_PORT serves the same metrics on a listener of its own', async () => {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('gatehouse_http_request_duration_seconds');
    expect((await fetch(`http://127.0.0.1:${metricsPort}/other`)).status).toBe(404);
  });
});
