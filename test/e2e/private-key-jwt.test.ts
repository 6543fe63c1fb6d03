import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import * as oidc from 'openid-client';

import { oauthError, startTestServer, type TestServer } from '../support/gatehouse.ts';

describe('client credentials with private_key_jwt (RFC 7523)', () => {
  let server: TestServer;
  let privateKey: CryptoKey;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-pkjwt-'));
    const seed = join(dir, 'seed.json');
    await writeFile(seed, JSON.stringify({
      clients: [{
        client_id: 'signer', client_name: 'Signing Service', grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256',
        jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), alg: 'ES256', use: 'sig' }] }, scope: 'api:read',
      }],
    }));
    server = await startTestServer({ GATEHOUSE_SEED: seed });
  });
  afterAll(() => server.close());

  const configFor = (key: CryptoKey) => oidc.discovery(new URL(server.issuer), 'signer', undefined, oidc.PrivateKeyJwt(key), {
    execute: [oidc.allowInsecureRequests],
  });

  test('a client assertion signed with the registered key gets a token', async () => {
    const tokens = await oidc.clientCredentialsGrant(await configFor(privateKey), { scope: 'api:read' });
    expect(tokens.scope).toBe('api:read');
  });

  test('an assertion signed with another key is 401 invalid_client', async () => {
    const other = (await generateKeyPair('ES256')).privateKey;
    expect(await oauthError(oidc.clientCredentialsGrant(await configFor(other), { scope: 'api:read' })))
      .toEqual({ status: 401, error: 'invalid_client' });
  });
});
