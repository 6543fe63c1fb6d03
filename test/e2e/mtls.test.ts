import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';

import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startGatehouse, type Running } from '../../src/server.ts';
import { signIn } from '../support/flows.ts';
import { freePort, oauthError, SECRETS, SEED_PATH, startTestServer, type TestServer } from '../support/gatehouse.ts';
import { platformKey, registerClient } from './conformance-support.ts';

const run = promisify(execFile);
const ORDERS = 'https://orders.example/api';
const SUBJECT_DN = 'CN=svc-mtls,O=Example\\, Inc.,C=SE';

interface Pki { dir: string; ca: string; client: string; clientKey: string; self: string; selfKey: string; other: string; otherKey: string; server: string; serverKey: string }

/** A CA, a client certificate it issued, two self-signed client certificates and a server certificate, made with the openssl CLI. */
async function makePki(): Promise<Pki> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-mtls-'));
  const f = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-subj', '/CN=Gatehouse Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  const issued = (name: string, subj: string, ext: string) => run('openssl', ['req', '-x509', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.pem`),
    '-subj', subj, '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-addext', ext, '-addext', 'basicConstraints=CA:FALSE']);
  await issued('client', '/C=SE/O=Example, Inc./CN=svc-mtls', 'subjectAltName=DNS:svc.example,URI:spiffe://example/svc,email:svc@example.com,IP:10.1.2.3');
  await issued('server', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1');
  for (const name of ['self', 'other']) {
    await run('openssl', ['req', '-x509', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.pem`), '-subj', `/CN=${name}-signed`]);
  }
  const read = (name: string) => readFile(f(name), 'utf8');
  return {
    dir, ca: await read('ca.pem'), client: await read('client.pem'), clientKey: await read('client.key'), self: await read('self.pem'),
    selfKey: await read('self.key'), other: await read('other.pem'), otherKey: await read('other.key'), server: await read('server.pem'), serverKey: await read('server.key'),
  };
}

const der = (pem: string) => new X509Certificate(pem).raw;
const thumbprint = (pem: string) => createHash('sha256').update(der(pem)).digest('base64url');
/** What nginx `$ssl_client_escaped_cert` sends. */
const escaped = (pem: string) => encodeURIComponent(pem);

/** A JWK of the certificate's key with the certificate in x5c (RFC 8705 §2.2). */
function jwkWithCertificate(pem: string) {
  const cert = new X509Certificate(pem);
  return { ...cert.publicKey.export({ format: 'jwk' }), use: 'sig', x5c: [cert.raw.toString('base64')] };
}

async function seedWith(dir: string, clients: object[]): Promise<string> {
  const seed = JSON.parse(await readFile(SEED_PATH, 'utf8')) as { clients: object[] };
  seed.clients.push(...clients);
  const path = join(dir, 'seed.json');
  await writeFile(path, JSON.stringify(seed));
  return path;
}

const cc = { grant_types: ['client_credentials'], scope: 'api:read', tls_client_certificate_bound_access_tokens: true };
const seedClients = (pki: Pki) => [
  { client_id: 'mtls-self', token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: { keys: [jwkWithCertificate(pki.self)] }, ...cc },
  { client_id: 'mtls-admin', token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: { keys: [jwkWithCertificate(pki.self)] }, ...cc, scope: 'admin:audit:read' },
  { client_id: 'mtls-dn', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: SUBJECT_DN, ...cc },
  { client_id: 'mtls-dn-other', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=someone-else,O=Example\\, Inc.,C=SE', ...cc },
  { client_id: 'mtls-san-dns', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_dns: 'SVC.example', ...cc },
  { client_id: 'mtls-san-uri', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_uri: 'spiffe://example/svc', ...cc },
  { client_id: 'mtls-san-ip', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_ip: '10.1.2.3', ...cc },
  { client_id: 'mtls-san-email', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_email: 'svc@example.com', ...cc },
];

const rsAuth = `Basic ${Buffer.from(`resource-server:${SECRETS['resource-server']}`).toString('base64')}`;

let pki: Pki;
beforeAll(async () => { pki = await makePki(); });

describe('mutual TLS behind a proxy (RFC 8705; MTLS_CERT_HEADER)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      MTLS: 'on', TRUST_PROXY: '1', MTLS_CERT_HEADER: 'X-Client-Cert', MTLS_VERIFIED_HEADER: 'x-client-verify',
      GATEHOUSE_SEED: await seedWith(pki.dir, seedClients(pki)),
    });
  });
  afterAll(() => server.close());

  /** A client-credentials token request as it reaches Gatehouse from the proxy. */
  async function token(clientId: string, headers: Record<string, string>, extra: Record<string, string> = {}) {
    const res = await fetch(`${server.url}/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, scope: 'api:read', ...extra }),
    });
    return { status: res.status, body: await res.json() as Record<string, unknown> };
  }
  const verified = (pem: string) => ({ 'x-client-cert': escaped(pem), 'x-client-verify': 'SUCCESS' });

  async function introspect(accessToken: string) {
    const res = await fetch(`${server.url}/token/introspection`, {
      method: 'POST', headers: { authorization: rsAuth, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: accessToken }),
    });
    expect(res.status).toBe(200);
    return await res.json() as Record<string, unknown>;
  }

  it('advertises both methods and certificate-bound tokens in discovery (RFC 8705 §2.3, §3.3)', async () => {
    const meta = await (await fetch(`${server.url}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    expect(meta.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['tls_client_auth', 'self_signed_tls_client_auth']));
    expect(meta.tls_client_certificate_bound_access_tokens).toBe(true);
  });

  it('self_signed_tls_client_auth: the registered certificate gets a token bound to it, shown by introspection', async () => {
    const { status, body } = await token('mtls-self', { 'x-client-cert': escaped(pki.self) });
    expect(status).toBe(200);
    expect(body.token_type).toBe('Bearer');
    const answer = await introspect(body.access_token as string);
    expect(answer).toMatchObject({ active: true, client_id: 'mtls-self', token_type: 'Bearer', cnf: { 'x5t#S256': thumbprint(pki.self) } });
  });

  it('accepts the certificate as base64 DER too', async () => {
    const { status } = await token('mtls-self', { 'x-client-cert': der(pki.self).toString('base64') });
    expect(status).toBe(200);
  });

  it('self_signed_tls_client_auth: another certificate, no certificate or a garbled header is invalid_client', async () => {
    for (const headers of [{ 'x-client-cert': escaped(pki.other) }, {}, { 'x-client-cert': 'not-a-certificate' }] as Array<Record<string, string>>) {
      const { status, body } = await token('mtls-self', headers);
      expect({ status, error: body.error }).toEqual({ status: 401, error: 'invalid_client' });
    }
  });

  it('tls_client_auth: a verified certificate with the registered subject DN gets a bound JWT access token with cnf', async () => {
    const { status, body } = await token('mtls-dn', verified(pki.client), { resource: ORDERS });
    expect(status).toBe(200);
    expect(decodeJwt(body.access_token as string).cnf).toEqual({ 'x5t#S256': thumbprint(pki.client) });
    // Gatehouse answers introspection of its JWT access tokens itself: cnf passes through.
    expect(await introspect(body.access_token as string)).toMatchObject({ active: true, cnf: { 'x5t#S256': thumbprint(pki.client) } });
  });

  it('the admin API refuses a certificate-bound token, which it cannot check the certificate of', async () => {
    const { status, body } = await token('mtls-admin', { 'x-client-cert': escaped(pki.self) }, { scope: 'admin:audit:read', resource: `${server.issuer}/api/v1` });
    expect(status).toBe(200);
    const res = await fetch(`${server.url}/api/v1/audit-events`, { headers: { authorization: `Bearer ${body.access_token as string}`, 'x-client-cert': escaped(pki.self) } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_token', error_description: 'certificate-bound access tokens are not accepted by the admin API' });
  });

  it('tls_client_auth: matches each kind of subjectAltName (RFC 8705 §2.1.2)', async () => {
    for (const id of ['mtls-san-dns', 'mtls-san-uri', 'mtls-san-ip', 'mtls-san-email']) {
      expect({ id, status: (await token(id, verified(pki.client))).status }).toEqual({ id, status: 200 });
    }
  });

  it('tls_client_auth: another subject, an unverified chain or no certificate is invalid_client', async () => {
    const refusals = [
      ['mtls-dn-other', verified(pki.client)],
      ['mtls-dn', { 'x-client-cert': escaped(pki.client) }],
      ['mtls-dn', { 'x-client-cert': escaped(pki.client), 'x-client-verify': 'FAILED:unable to get issuer certificate' }],
      ['mtls-dn', { 'x-client-verify': 'SUCCESS' }],
      ['mtls-san-dns', verified(pki.self)],
    ] as const;
    for (const [id, headers] of refusals) {
      const { status, body } = await token(id, headers);
      expect({ id, headers, status, error: body.error }).toEqual({ id, headers, status: 401, error: 'invalid_client' });
    }
  });
});

/**
 * Mutual-TLS clients made at run time rather than in the seed: by an administrator
 * (POST /api/v1/clients) and by the clients themselves (/reg, RFC 7591; RFC 8705 §2.1.2
 * defines the subject metadata for dynamic registration). Each gets certificate-bound
 * tokens with its certificate and invalid_client with another.
 */
describe('mutual TLS clients made through the admin API and /reg (MTLS_CERT_HEADER)', () => {
  let server: TestServer;
  let adminKey: string;

  beforeAll(async () => {
    server = await startTestServer({
      MTLS: 'on', TRUST_PROXY: '1', MTLS_CERT_HEADER: 'x-client-cert', MTLS_VERIFIED_HEADER: 'x-client-verify',
      REGISTRATION: 'open', REGISTRATION_GRANT_TYPES: 'authorization_code refresh_token client_credentials',
      REGISTRATION_SCOPES: 'openid profile offline_access api:read',
    });
    adminKey = await platformKey(server);
  });
  afterAll(() => server.close());

  /** What the proxy adds to a request made with `pem` in the handshake (a chain it verified, or not). */
  const proxied = (pem: string, chainVerified: boolean) => ({ 'x-client-cert': escaped(pem), 'x-client-verify': chainVerified ? 'SUCCESS' : 'FAILED:self-signed certificate' });

  /** A client-credentials token request, as openid-client makes it for an mTLS client, through the proxy. */
  async function tokenFor(clientId: string, headers: Record<string, string>) {
    const rp = new oidc.Configuration({ issuer: server.issuer, token_endpoint: `${server.issuer}/token` }, clientId, undefined, oidc.TlsClientAuth());
    oidc.allowInsecureRequests(rp);
    rp[oidc.customFetch] = (url, options) => fetch(url, { ...options, headers: { ...Object.fromEntries(new Headers(options.headers)), ...headers } });
    return oidc.clientCredentialsGrant(rp, { scope: 'api:read' });
  }

  async function cnfOf(accessToken: string) {
    const res = await fetch(`${server.issuer}/token/introspection`, {
      method: 'POST', headers: { authorization: rsAuth }, body: new URLSearchParams({ token: accessToken }),
    });
    return (await res.json() as { active: boolean; cnf?: unknown }).cnf;
  }

  const service = { grant_types: ['client_credentials'], scope: 'api:read', tls_client_certificate_bound_access_tokens: true };

  it('an administrator creates a tls_client_auth client: a verified certificate with its subject DN gets bound tokens, another is invalid_client', async () => {
    const created = await registerClient(server, adminKey, {
      client_name: 'billing worker', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: SUBJECT_DN, ...service,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: SUBJECT_DN });
    expect(created.body).not.toHaveProperty('client_secret');
    const id = created.body.client_id as string;
    const tokens = await tokenFor(id, proxied(pki.client, true));
    expect(await cnfOf(tokens.access_token)).toEqual({ 'x5t#S256': thumbprint(pki.client) });
    expect(await oauthError(tokenFor(id, proxied(pki.self, true)))).toEqual({ status: 401, error: 'invalid_client' });
    expect(await oauthError(tokenFor(id, proxied(pki.client, false)))).toEqual({ status: 401, error: 'invalid_client' });
  });

  it('an administrator creates a self_signed_tls_client_auth client with its certificate in jwks: that certificate gets bound tokens, another is invalid_client', async () => {
    const created = await registerClient(server, adminKey, {
      client_name: 'edge agent', token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: { keys: [jwkWithCertificate(pki.self)] }, ...service,
    });
    expect(created.status).toBe(201);
    const id = created.body.client_id as string;
    const tokens = await tokenFor(id, proxied(pki.self, false));
    expect(await cnfOf(tokens.access_token)).toEqual({ 'x5t#S256': thumbprint(pki.self) });
    expect(await oauthError(tokenFor(id, proxied(pki.other, false)))).toEqual({ status: 401, error: 'invalid_client' });
  });

  /** RFC 7591 registration at /reg, with an initial access token or without (open). */
  async function register(body: Record<string, unknown>, initialAccessToken?: string) {
    const res = await fetch(`${server.issuer}/reg`, {
      method: 'POST', body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...(initialAccessToken && { authorization: `Bearer ${initialAccessToken}` }) },
    });
    return { status: res.status, body: await res.json() as Record<string, any> };
  }

  it('/reg with an initial access token: a tls_client_auth service client gets bound tokens with its certificate only', async () => {
    const iat = await fetch(`${server.issuer}/api/v1/initial-access-tokens`, {
      method: 'POST', headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ max_uses: 1 }),
    });
    const { token } = await iat.json() as { token: string };
    const registered = await register({
      client_name: 'billing worker', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_dns: 'svc.example', ...service,
    }, token);
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({
      token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_dns: 'svc.example', tls_client_certificate_bound_access_tokens: true,
    });
    expect(registered.body).not.toHaveProperty('client_secret');
    const id = registered.body.client_id as string;
    const tokens = await tokenFor(id, proxied(pki.client, true));
    expect(await cnfOf(tokens.access_token)).toEqual({ 'x5t#S256': thumbprint(pki.client) });
    expect(await oauthError(tokenFor(id, proxied(pki.self, true)))).toEqual({ status: 401, error: 'invalid_client' });
  });

  it('open /reg: a self_signed_tls_client_auth app signs a person in; its tokens are bound, and its refresh works only with its certificate', async () => {
    const registered = await register({
      client_name: 'desktop app', redirect_uris: ['https://app.example/cb'], grant_types: ['authorization_code', 'refresh_token'],
      scope: 'openid offline_access', token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: { keys: [jwkWithCertificate(pki.self)] },
      tls_client_certificate_bound_access_tokens: true,
    });
    expect(registered.status).toBe(201);
    const id = registered.body.client_id as string;
    let presented = pki.self;
    const rp = await oidc.discovery(new URL(server.issuer), id, undefined, oidc.TlsClientAuth(), { execute: [oidc.allowInsecureRequests] });
    // The proxy adds the certificate the app presents in the handshake to each of its requests.
    rp[oidc.customFetch] = (url, options) => fetch(url, { ...options, headers: { ...Object.fromEntries(new Headers(options.headers)), ...proxied(presented, false) } });
    const { tokens } = await signIn(rp, 'https://app.example/cb', { scope: 'openid offline_access', prompt: 'consent' });
    expect(await cnfOf(tokens.access_token)).toEqual({ 'x5t#S256': thumbprint(pki.self) });
    presented = pki.other;
    expect(await oauthError(oidc.refreshTokenGrant(rp, tokens.refresh_token!))).toEqual({ status: 401, error: 'invalid_client' });
    presented = pki.self;
    expect((await oidc.refreshTokenGrant(rp, tokens.refresh_token!)).access_token).toEqual(expect.any(String));
  });

  it('open /reg: client_credentials still needs an initial access token, and a tls_client_auth client names exactly one subject', async () => {
    const withoutToken = await register({ token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: SUBJECT_DN, ...service });
    expect(withoutToken.body.error).toBe('invalid_client_metadata');
    expect(withoutToken.body.error_description).toContain('client_credentials');
    const twoSubjects = await register({
      redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: SUBJECT_DN, tls_client_auth_san_dns: 'svc.example',
    });
    expect({ status: twoSubjects.status, error: twoSubjects.body.error }).toEqual({ status: 400, error: 'invalid_client_metadata' });
  });
});

describe('mutual TLS configuration', () => {
  it('is off by default: no mTLS methods, and a seed client using one is refused at start', async () => {
    expect(loadConfig({}).mtls.enabled).toBe(false);
    const server = await startTestServer();
    try {
      const meta = await (await fetch(`${server.url}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
      expect(meta.token_endpoint_auth_methods_supported).not.toContain('self_signed_tls_client_auth');
      expect(meta.tls_client_certificate_bound_access_tokens).toBeUndefined();
    } finally {
      await server.close();
    }
    await expect(startTestServer({ GATEHOUSE_SEED: await seedWith(pki.dir, seedClients(pki).slice(0, 1)) })).rejects.toThrow(/token_endpoint_auth_method/);
  });

  it('documents every variable it reads in config/gatehouse.example.env', async () => {
    const source = await readFile(new URL('../../src/oidc/mtls-config.ts', import.meta.url), 'utf8');
    const example = await readFile(new URL('../../config/gatehouse.example.env', import.meta.url), 'utf8');
    const read = [...source.matchAll(/read\w+\(env, '([A-Z0-9_]+)'/g)].map((m) => m[1]!);
    expect(read).toHaveLength(6);
    const documented = new Set([...example.matchAll(/^#? ?([A-Z0-9_]+)=/gm)].map((m) => m[1]!));
    expect(read.filter((name) => !documented.has(name))).toEqual([]);
  });

  it('refuses a certificate header without a trusted proxy, and MTLS=on without a certificate source', () => {
    expect(() => loadConfig({ MTLS: 'on', MTLS_CERT_HEADER: 'x-client-cert' })).toThrow(ConfigError);
    expect(() => loadConfig({ MTLS: 'on', MTLS_CERT_HEADER: 'x-client-cert', TRUST_PROXY: '0' })).toThrow(/MTLS_CERT_HEADER needs TRUST_PROXY/);
    expect(() => loadConfig({ MTLS: 'on' })).toThrow(/MTLS=on needs/);
    expect(() => loadConfig({ TLS_CERT_FILE: '/x.pem' })).toThrow(/TLS_CERT_FILE and TLS_KEY_FILE/);
  });
});

describe("mutual TLS on Gatehouse's own TLS listener (TLS_CERT_FILE)", () => {
  let server: Running;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    const files = { cert: join(pki.dir, 'server.pem'), key: join(pki.dir, 'server.key'), ca: join(pki.dir, 'ca.pem') };
    const config = loadConfig({
      PORT: String(port), HOST: '127.0.0.1', ISSUER: `https://localhost:${port}`, LOG_LEVEL: 'silent', MTLS: 'on',
      TLS_CERT_FILE: files.cert, TLS_KEY_FILE: files.key, TLS_CA_FILE: files.ca,
      GATEHOUSE_SEED: await seedWith(pki.dir, seedClients(pki)),
    });
    server = await startGatehouse(config, createLogger('silent'));
  });
  afterAll(() => server.close());

  /** POST /token over TLS, presenting `cert` (or none) in the handshake. */
  function token(clientId: string, cert?: { cert: string; key: string }, headers: Record<string, string> = {}) {
    return post('/token', { grant_type: 'client_credentials', client_id: clientId, scope: 'api:read' }, cert, headers);
  }

  /** A form POST over TLS (node's https, checking the server against the test CA). */
  function post(path: string, form: Record<string, string>, cert?: { cert: string; key: string }, headers: Record<string, string> = {}) {
    const body = new URLSearchParams(form).toString();
    return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1', port, path, method: 'POST', servername: 'localhost', ca: pki.ca, ...cert, agent: false,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), ...headers },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown> }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it('tls_client_auth: a certificate the CA issued, with the registered subject, gets a bound token', async () => {
    expect(server.url).toBe(`https://localhost:${port}`);
    const { status, body } = await token('mtls-dn', { cert: pki.client, key: pki.clientKey });
    expect(status).toBe(200);
    expect(body.token_type).toBe('Bearer');
    const answer = await post('/token/introspection', { token: body.access_token as string }, undefined, { authorization: rsAuth });
    expect(answer.body).toMatchObject({ active: true, client_id: 'mtls-dn', cnf: { 'x5t#S256': thumbprint(pki.client) } });
  });

  it('self_signed_tls_client_auth: the registered certificate in the handshake gets a token', async () => {
    expect((await token('mtls-self', { cert: pki.self, key: pki.selfKey })).status).toBe(200);
  });

  it('a self-signed certificate is not a verified chain for tls_client_auth, and the proxy header is ignored', async () => {
    const unverified = await token('mtls-san-dns', { cert: pki.self, key: pki.selfKey });
    expect({ status: unverified.status, error: unverified.body.error }).toEqual({ status: 401, error: 'invalid_client' });
    const header = await token('mtls-self', undefined, { 'x-client-cert': escaped(pki.self) });
    expect({ status: header.status, error: header.body.error }).toEqual({ status: 401, error: 'invalid_client' });
  });
});
