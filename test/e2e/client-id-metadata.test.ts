import type { ServerResponse } from 'node:http';

import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import * as oidc from 'openid-client';

import { Browser, type Page } from '../support/browser.ts';
import { consent, login, startAuthorization } from '../support/flows.ts';
import { ADA, SEED_PATH } from '../support/gatehouse.ts';
import { startGatehouseProcess, stopGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.ts';
import { httpsServer, selfSignedCertificate, sendJson, type HttpsServer } from '../support/tls.ts';

/** A native app's loopback redirect as its document lists it (RFC 8252 §7.3)... */
const REGISTERED_REDIRECT = 'http://127.0.0.1/callback';
/** ...and as it uses it, on the port it listens on this time (§7.3: any port). The browser stops there. */
const REDIRECT = 'http://127.0.0.1:33418/callback';

/**
 * OAuth Client ID Metadata Documents (CLIENT_ID_METADATA_DOCUMENT=on; docs/registration.md
 * §7): a client whose client_id is an https URL, described by the JSON document there,
 * signs a person in with no registration beforehand.
 *
 * The documents are served over https from loopback by a tool "on the private network",
 * its certificate self-signed (openssl). Gatehouse runs in a process of its own, started
 * as an operator would start it for that: NODE_EXTRA_CA_CERTS naming the certificate, and
 * CLIENT_URLS_ALLOW_PRIVATE, since the documents live on a loopback address.
 */
describe('client ID metadata documents: signing in with an https client_id', () => {
  let tool: HttpsServer;
  let stranger: HttpsServer;
  let gatehouse: GatehouseProcess;
  let signer: { privateKey: CryptoKey; jwk: JWK };
  /** The documents the tool serves, by path. */
  const documents = new Map<string, Record<string, unknown>>();
  const serve = (req: { url?: string }, res: ServerResponse) => {
    const document = documents.get(req.url ?? '');
    if (document) sendJson(res, document, { 'cache-control': 'max-age=60' });
    else res.writeHead(404).end();
  };

  /** A public client's document at `path` on the tool, with `change` applied. */
  function publish(host: HttpsServer, path: string, change: Record<string, unknown> = {}): string {
    const clientId = `${host.origin}${path}`;
    documents.set(path, {
      client_id: clientId, client_name: 'Invoice CLI', application_type: 'native', redirect_uris: [REGISTERED_REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none', ...change,
    });
    return clientId;
  }

  /** openid-client for the metadata-document client (public: PKCE, no client authentication). */
  const rpFor = (clientId: string, auth = oidc.None()) => oidc.discovery(new URL(gatehouse.url), clientId, undefined, auth, {
    execute: [oidc.allowInsecureRequests],
  });

  beforeAll(async () => {
    const tls = await selfSignedCertificate();
    tool = await httpsServer(tls, serve);
    // Another host whose certificate Gatehouse was not told to trust.
    stranger = await httpsServer(await selfSignedCertificate(), serve);
    const pair = await generateKeyPair('ES256');
    signer = { privateKey: pair.privateKey, jwk: { ...await exportJWK(pair.publicKey), kid: 'cli-1', alg: 'ES256', use: 'sig' } };
    gatehouse = await startGatehouseProcess({
      GATEHOUSE_SEED: SEED_PATH, CLIENT_ID_METADATA_DOCUMENT: 'on', CLIENT_URLS_ALLOW_PRIVATE: 'true', NODE_EXTRA_CA_CERTS: tls.certFile,
    });
  });
  afterAll(async () => {
    await stopGatehouseProcess(gatehouse);
    await Promise.all([tool?.close(), stranger?.close()]);
  });

  /** Opens the authorization request in a person's browser; stops at the redirect URI or at a page of Gatehouse's. */
  async function openAuthorization(clientId: string, params: Record<string, string> = {}) {
    const rp = await rpFor(clientId);
    const start = await startAuthorization(rp, { redirect_uri: REDIRECT, scope: 'openid profile', ...params });
    const browser = new Browser();
    return { rp, start, browser, page: await browser.open(start.url.href, {}, REDIRECT) };
  }

  const isConsent = (page: Page) => /\/confirm"/.test(page.html);

  /** The error page Gatehouse shows instead of redirecting: the client could not be used. */
  function expectRefused(page: Page, description: string) {
    expect({ status: page.status, redirected: page.url.startsWith(REDIRECT), consent: isConsent(page) })
      .toEqual({ status: 400, redirected: false, consent: false });
    expect(page.html).toContain('invalid_client');
    expect(page.html).toContain(description);
  }

  test('discovery says so', async () => {
    const metadata = await (await fetch(`${gatehouse.url}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    expect(metadata.client_id_metadata_document_supported).toBe(true);
  });

  test('a public client known only by its document signs a person in (PKCE), is asked for consent, and gets tokens', async () => {
    const clientId = publish(tool, '/cli.json');
    const { rp, start, browser, page } = await openAuthorization(clientId, { scope: 'openid profile offline_access', prompt: 'consent' });
    expect(tool.requests).toContain('/cli.json');
    const signedIn = await login(browser, page, REDIRECT);
    // Not first-party: the person is asked.
    expect(isConsent(signedIn)).toBe(true);
    const callback = await consent(browser, signedIn, REDIRECT);
    expect(callback.url.startsWith(REDIRECT)).toBe(true);
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(callback.url), {
      pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce,
    });
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ iss: gatehouse.url, aud: clientId });
    expect(tokens.scope?.split(' ').sort()).toEqual(['offline_access', 'openid', 'profile']);
    expect(await oidc.fetchUserInfo(rp, tokens.access_token, claims.sub)).toMatchObject({ sub: claims.sub, name: ADA.name });
    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(refreshed.claims()).toMatchObject({ sub: claims.sub, aud: clientId });
  });

  test('without PKCE the authorization request is refused (the client is public)', async () => {
    const clientId = publish(tool, '/cli-no-pkce.json');
    const rp = await rpFor(clientId);
    const url = oidc.buildAuthorizationUrl(rp, { redirect_uri: REDIRECT, scope: 'openid', state: 'xyz' });
    const page = await new Browser().open(url.href, {}, REDIRECT);
    expect(Object.fromEntries(new URL(page.url).searchParams)).toMatchObject({ error: 'invalid_request', state: 'xyz' });
  });

  test('a document that makes itself first_party (to skip consent) is refused: invalid_client', async () => {
    const clientId = publish(tool, '/first-party.json', { first_party: true });
    const { page } = await openAuthorization(clientId);
    // Fetched and read, then refused by Gatehouse's policy.
    expect(tool.requests).toContain('/first-party.json');
    expectRefused(page, 'client is not allowed');
  });

  test('a document that asks for client_credentials is refused: invalid_client at the token endpoint and at /auth', async () => {
    const service = publish(tool, '/service.json', {
      grant_types: ['client_credentials'], redirect_uris: [], response_types: [], token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256', jwks: { keys: [signer.jwk] },
    });
    const rp = await rpFor(service, oidc.PrivateKeyJwt({ key: signer.privateKey, kid: 'cli-1' }));
    const refused = await oidc.clientCredentialsGrant(rp, { scope: 'openid' }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(oidc.ResponseBodyError);
    // 400, as for a client_id that does not exist (RFC 6749 §5.2: 401 only for HTTP authentication).
    expect(refused).toMatchObject({ status: 400, error: 'invalid_client', error_description: 'client is not allowed' });
    expect(tool.requests).toContain('/service.json');

    const both = publish(tool, '/code-and-service.json', {
      grant_types: ['authorization_code', 'client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [signer.jwk] },
    });
    expectRefused((await openAuthorization(both)).page, 'client is not allowed');
  });

  test('a document on a host whose certificate Gatehouse does not trust is never used', async () => {
    const clientId = publish(stranger, '/cli.json');
    const { page } = await openAuthorization(clientId);
    expectRefused(page, 'client_id metadata document fetch failed');
    expect(stranger.requests).toEqual([]);
  });
});
