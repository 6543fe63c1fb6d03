import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';

import { clientFor, oauthError, startTestServer, type TestServer } from '../support/gatehouse.ts';
import { signIn } from '../support/flows.ts';

const ORDERS = 'https://orders.example/api';
const REPORTS = 'https://reports.example/api';

describe('resource servers and JWT access tokens (RFC 8707, RFC 9068)', () => {
  let server: TestServer;
  let service: oidc.Configuration;

  beforeAll(async () => {
    server = await startTestServer();
    service = await clientFor(server, 'service');
  });
  afterAll(() => server.close());

  test('a JWT resource server gets an at+jwt access token, ES256, audience-bound, verifiable with the JWKS', async () => {
    const tokens = await oidc.clientCredentialsGrant(service, { scope: 'api:read', resource: ORDERS });
    expect(tokens.expires_in).toBe(600);
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });

    const jwks = createRemoteJWKSet(new URL(`${server.issuer}/jwks`));
    const { payload } = await jwtVerify(tokens.access_token, jwks, {
      issuer: server.issuer, audience: ORDERS, typ: 'at+jwt', algorithms: ['ES256'],
    });
    expect(payload).toMatchObject({ client_id: 'service', scope: 'api:read', sub: 'service' });
    expect(payload.exp! - payload.iat!).toBe(600);
  });

  test('a person signing in to an app gets a JWT for the API the app names', async () => {
    const web = await clientFor(server, 'web');
    // RFC 8707 §2.2: the token request names the resource the access token is for.
    const { tokens } = await signIn(web, 'https://app.example/cb', { scope: 'openid api:read', resource: ORDERS }, undefined, { resource: ORDERS });
    const jwks = createRemoteJWKSet(new URL(`${server.issuer}/jwks`));
    const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: server.issuer, audience: ORDERS, typ: 'at+jwt' });
    expect(payload).toMatchObject({ client_id: 'web', scope: 'api:read', sub: tokens.claims()!.sub });
  });

  test('an opaque resource server gets an opaque, introspectable token bound to its audience', async () => {
    const tokens = await oidc.clientCredentialsGrant(service, { scope: 'api:read', resource: REPORTS });
    expect(tokens.access_token.split('.')).toHaveLength(1);
    const rs = await clientFor(server, 'resource-server');
    expect(await oidc.tokenIntrospection(rs, tokens.access_token)).toMatchObject({ active: true, aud: REPORTS, scope: 'api:read' });
  });

  test('an unregistered resource is invalid_target', async () => {
    expect(await oauthError(oidc.clientCredentialsGrant(service, { scope: 'api:read', resource: 'https://unknown.example/' })))
      .toEqual({ status: 400, error: 'invalid_target' });
  });
});
