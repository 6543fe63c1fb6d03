import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ADMIN_SCOPES } from '../../../src/admin/scopes.ts';
import { createApiKeyService } from '../../../src/security/api-keys.ts';
import { createSecretHasher } from '../../../src/security/client-secrets.ts';
import { createRoles } from '../../../src/security/roles.ts';
import type { SeedDeps } from '../../../src/seed/index.ts';
import { seedDepsFromStores } from '../../../src/seed/store-deps.ts';
import { createMemoryAccountStore } from '../../../src/stores/accounts.ts';
import { createMemoryBackend } from '../../../src/stores/adapters/memory.ts';
import { createMemoryApiKeyStore } from '../../../src/stores/api-keys.ts';
import { createMemoryClientDirectory } from '../../../src/stores/client-directory.ts';
import { createMemoryMembershipStore } from '../../../src/stores/memberships.ts';
import { createMemoryOrganizationStore } from '../../../src/stores/organizations.ts';
import { createMemoryResourceServerStore } from '../../../src/stores/resource-servers.ts';

/** Writes `content` (a string, or JSON-serialised) to a fresh temp file and returns its path. */
export async function seedFile(content: unknown, name = 'seed.json'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-seed-'));
  const path = join(dir, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}

export const GOOD_SECRET = 'web-secret-for-unit-tests-0123456789abcdef';
export const GOOD_PASSWORD = 'correct horse battery staple';

export const goodSeed = () => ({
  accounts: [{ email: 'Ada@Example.com', password: GOOD_PASSWORD, name: 'Ada Lovelace' }],
  clients: [
    {
      client_id: 'spa', token_endpoint_auth_method: 'none', redirect_uris: ['https://spa.example/cb'],
      grant_types: ['authorization_code', 'refresh_token'], scope: 'openid profile', first_party: true,
    },
    {
      client_id: 'web', client_secret: GOOD_SECRET, client_name: 'Web', redirect_uris: ['https://app.example/cb'],
      post_logout_redirect_uris: ['https://app.example/bye'], grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic', scope: 'openid profile email offline_access',
    },
  ],
});

/** Full import dependencies on memory stores (as a server without MongoDB has them), with a settable clock. */
export function memoryDeps(overrides: Partial<SeedDeps> = {}) {
  const clock = { now: new Date('2030-01-01T00:00:00Z') };
  const stores = {
    accounts: createMemoryAccountStore(),
    organizations: createMemoryOrganizationStore(),
    memberships: createMemoryMembershipStore(),
    clients: createMemoryClientDirectory(createMemoryBackend().adapterFor('Client')),
    resourceServers: createMemoryResourceServerStore(),
  };
  const apiKeyStore = createMemoryApiKeyStore();
  const apiKeys = createApiKeyService({ store: apiKeyStore, pepper: PEPPER, env: 'test', now: () => clock.now });
  const deps: SeedDeps = {
    ...seedDepsFromStores(stores, {
      passwords: { hash: async (p: string) => `$argon2id$fake$${p.length}` }, secrets: createSecretHasher(PEPPER), apiKeys,
      roles: createRoles({ auditor: ['admin:accounts:read'] }), knownScopes: new Set(['openid', 'api:read', 'api:write', ...ADMIN_SCOPES]),
    }),
    ...overrides,
  };
  return { deps, ...stores, apiKeyStore, apiKeys, clock };
}

export const PEPPER = 'pepper-for-unit-tests-0123456789abcdef';
