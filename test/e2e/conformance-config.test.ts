import { startTestServer, type TestServer } from '../support/gatehouse.ts';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/; // RFC 6749 §3.3
const LANGUAGE_TAG = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/; // BCP 47, as RFC 8414 §2 asks

/**
 * The OpenID conformance suite's Config OP plan (oidcc-config-certification-test-plan):
 * one module, the discovery document checked against OIDC Discovery 1.0 §3 and RFC 8414
 * §2. The server runs as in production behind a TLS-terminating proxy (an https issuer,
 * TRUST_PROXY): the module requires every endpoint to be https.
 */
describe('conformance: Config OP', () => {
  const ISSUER = 'https://id.gatehouse.example';
  let server: TestServer;
  /** As a TLS-terminating proxy in front of Gatehouse would pass requests on (TRUST_PROXY=1). */
  const viaProxy = (path: string) => fetch(`${server.url}${path}`, {
    headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': new URL(ISSUER).host, 'x-forwarded-for': '203.0.113.7' },
  });

  beforeAll(async () => {
    server = await startTestServer({ ISSUER, TRUST_PROXY: '1' });
  });
  afterAll(() => server.close());

  test('oidcc-discovery-endpoint-verification: the discovery document has what OIDC Discovery §3 requires', async () => {
    const res = await viaProxy('/.well-known/openid-configuration');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = await res.json() as Record<string, any>;

    // §4.3: the issuer is exactly the URL the document was found under, less the well-known path.
    expect(doc.issuer).toBe(ISSUER);
    expect(new URL(doc.issuer).protocol).toBe('https:');
    // §3 REQUIRED members, with the values the suite checks.
    expect(doc.response_types_supported).toContain('code');
    expect(doc.subject_types_supported).toEqual(expect.arrayContaining(['public']));
    expect(doc.id_token_signing_alg_values_supported).toContain('RS256');
    expect(doc.id_token_signing_alg_values_supported).not.toContain('none');
    for (const name of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri']) {
      expect(doc[name]).toEqual(expect.stringMatching(new RegExp(`^${ISSUER}/`)));
    }
    // Every *_endpoint is https (the suite's CheckDiscEndpointAllEndpointsAreHttps).
    for (const [name, value] of Object.entries(doc)) if (name.endsWith('_endpoint')) expect(`${name} ${value}`).toMatch(/ https:\/\//);

    expect(doc.scopes_supported).toContain('openid');
    for (const scope of doc.scopes_supported) expect(scope).toMatch(SCOPE_TOKEN);
    for (const name of ['ui_locales_supported', 'claims_locales_supported']) {
      for (const tag of doc[name] ?? []) expect(tag).toMatch(LANGUAGE_TAG);
    }
    expect(doc.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code']));
    expect(doc.claims_supported).toEqual(expect.arrayContaining(['sub', 'iss', 'name', 'email']));
    expect(doc.code_challenge_methods_supported).toEqual(['S256']);
    // Not required, but the suite reads them: absent or false means "not supported".
    expect(doc.claims_parameter_supported).toBe(false);
    expect(doc.request_parameter_supported ?? false).toBe(false);
    expect(doc.request_uri_parameter_supported).toBe(false);
    expect(doc.userinfo_signing_alg_values_supported).toEqual(['ES256', 'RS256', 'EdDSA']);
    expect(doc).not.toHaveProperty('registration_endpoint'); // REGISTRATION is off by default

    // The JWKS (the suite's ValidateJwksSequence): public keys only, unique kids, each usable for its alg.
    const jwks = await (await viaProxy(new URL(doc.jwks_uri).pathname)).json() as { keys: Record<string, any>[] };
    expect(jwks.keys.length).toBeGreaterThan(0);
    expect(new Set(jwks.keys.map((k) => k.kid)).size).toBe(jwks.keys.length);
    for (const key of jwks.keys) {
      expect(PRIVATE_MEMBERS.filter((m) => m in key)).toEqual([]);
      expect(key).toMatchObject({ kid: expect.any(String), alg: expect.any(String) });
      expect({ RS256: 'RSA', ES256: 'EC', EdDSA: 'OKP' }[key.alg as string]).toBe(key.kty);
    }
    expect(jwks.keys.map((k) => k.alg)).toEqual(expect.arrayContaining(doc.id_token_signing_alg_values_supported));
  });
});
