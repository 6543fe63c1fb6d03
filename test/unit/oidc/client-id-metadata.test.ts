import type { Client, KoaContextWithOIDC } from 'oidc-provider';

import { clientIdMetadataDocument } from '../../../src/oidc/client-id-metadata.ts';
import type { RegistrationConfig } from '../../../src/oidc/registration-config.ts';
import type { AddressPolicy } from '../../../src/security/ssrf.ts';

const CONFIG: RegistrationConfig = {
  mode: 'off', approval: 'none', grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
  scopes: ['openid', 'profile'], unusedTtlDays: 30, clientIdMetadataDocument: true,
};
/** A metadata document as node-oidc-provider hands it over (its defaults filled in). */
const DOCUMENT = {
  client_id: 'https://tool.example/client.json', client_name: 'MCP tool', application_type: 'web',
  redirect_uris: ['http://127.0.0.1/callback'], grant_types: ['authorization_code'], response_types: ['code'],
  token_endpoint_auth_method: 'none',
};
/** Names resolve to nothing here, except `inside.example`, which points at a private address. */
const resolve = async (host: string) => (host === 'inside.example' ? ['10.0.0.7'] : []);

async function allowed(
  document: Record<string, unknown>, policy?: AddressPolicy,
): Promise<{ allowed: boolean; client: { scope?: string } }> {
  const client = { scope: document.scope as string | undefined, metadata: () => ({ ...document }) };
  const feature = clientIdMetadataDocument(CONFIG, { resolve, ...(policy && { policy }) });
  const result = await feature.allowClient!({} as KoaContextWithOIDC, client as unknown as Client);
  return { allowed: result, client };
}

describe('client ID metadata documents are held to the open-registration policy', () => {
  test('the feature follows CLIENT_ID_METADATA_DOCUMENT and names the draft it implements', () => {
    expect(clientIdMetadataDocument({ ...CONFIG, clientIdMetadataDocument: false })).toMatchObject({ enabled: false, ack: 'draft-02' });
  });

  test('a plain public client is allowed, and without a scope it gets the self-registration scopes, not every scope', async () => {
    const { allowed: ok, client } = await allowed(DOCUMENT);
    expect(ok).toBe(true);
    expect(client.scope).toBe('openid profile');
    const scoped = await allowed({ ...DOCUMENT, scope: 'openid' });
    expect(scoped).toEqual({ allowed: true, client: expect.objectContaining({ scope: 'openid' }) });
  });

  test.each([
    ['Gatehouse metadata (first_party would skip consent)', { first_party: true }],
    ['an organization', { org_id: 'org-a' }],
    ['client_credentials', { grant_types: ['client_credentials'] }],
    ['a scope outside the list', { scope: 'openid admin:clients:write' }],
    ['plain http off loopback', { redirect_uris: ['http://tool.example/callback'] }],
    ['a javascript: redirect', { redirect_uris: ['javascript:alert(1)'] }],
    ['a jwks_uri on an internal address', { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://inside.example/jwks' }],
    ['a logo on the metadata service', { logo_uri: 'https://169.254.169.254/logo.png' }],
  ])('refused: %s', async (_what, change) => {
    expect((await allowed({ ...DOCUMENT, ...change })).allowed).toBe(false);
  });

  test('CLIENT_URLS_ALLOW_PRIVATE lets its URLs point inside the network, but never at the metadata service', async () => {
    const opened: AddressPolicy = { allowPrivate: true, allowedCidrs: [] };
    const inside = { ...DOCUMENT, token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://inside.example/jwks' };
    expect((await allowed(inside, opened)).allowed).toBe(true);
    expect((await allowed(inside, { allowPrivate: false, allowedCidrs: ['10.0.0.0/24'] })).allowed).toBe(true);
    expect((await allowed(inside, { allowPrivate: false, allowedCidrs: ['10.1.0.0/24'] })).allowed).toBe(false);
    expect((await allowed({ ...DOCUMENT, logo_uri: 'https://169.254.169.254/logo.png' }, opened)).allowed).toBe(false);
  });
});
