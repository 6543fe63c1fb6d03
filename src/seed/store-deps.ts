import type { Stores } from '../stores/index.ts';
import type { SeedDeps } from './deps.ts';

/**
 * The import's dependencies on the stores a server (or `gatehouse import`) has opened.
 * Clients go through the directory, so the admin API lists seeded clients and service
 * accounts too.
 */
export function seedDepsFromStores(
  stores: Pick<Stores, 'accounts' | 'organizations' | 'memberships' | 'clients' | 'resourceServers'>,
  parts: Pick<SeedDeps, 'passwords' | 'secrets' | 'apiKeys' | 'roles' | 'knownScopes' | 'validateClient'>,
): SeedDeps {
  return {
    ...parts,
    accounts: stores.accounts,
    organizations: stores.organizations,
    memberships: stores.memberships,
    upsertClient: (metadata) => stores.clients.save(metadata),
    findClient: (clientId) => stores.clients.find(clientId),
    upsertResourceServer: (server) => stores.resourceServers.upsert(server),
  };
}
