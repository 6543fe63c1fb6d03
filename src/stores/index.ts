import type { AdapterFactory } from 'oidc-provider';

import type { Config } from '../config/index.ts';
import type { Probe } from '../observability/health.ts';
import type { Logger } from '../observability/logger.ts';
import { createMemoryAccountStore, type AccountStore } from './accounts.ts';
import { createMemoryAccountAccessStore, type AccountAccessStore } from './account-access.ts';
import { createMemoryBackend } from './adapters/memory.ts';
import { createMemoryApiKeyStore, type ApiKeyStore } from './api-keys.ts';
import { withClientCache } from './client-cache.ts';
import { createMemoryClientDirectory, type ClientDirectory } from './client-directory.ts';
import { instrumentBackend, type StoreObserver } from './instrument.ts';
import { createMemoryInvitationStore, type InvitationStore } from './invitations.ts';
import { createMemoryMembershipStore, type MembershipStore } from './memberships.ts';
import { createMemoryOrganizationStore, type OrganizationStore } from './organizations.ts';
import { createMemoryResourceServerStore, type ResourceServerStore } from './resource-servers.ts';
import { createRoutedAdapterFactory } from './routing.ts';
import { createMemorySigningKeyStore, type SigningKeyStore } from './signing-keys.ts';
import type { AdapterBackend, BackendName } from './types.ts';

/** Everything Gatehouse persists, opened according to DESIGN.md's storage routing. */
export interface Stores {
  readonly durable: BackendName;
  readonly ephemeral: BackendName;
  readonly adapter: AdapterFactory;
  readonly accounts: AccountStore;
  readonly signingKeys: SigningKeyStore;
  readonly resourceServers: ResourceServerStore;
  readonly apiKeys: ApiKeyStore;
  /** Every OAuth client, listable (the Adapter interface cannot list). */
  readonly clients: ClientDirectory;
  readonly organizations: OrganizationStore;
  readonly memberships: MembershipStore;
  readonly invitations: InvitationStore;
  readonly accountAccess: AccountAccessStore;
  readonly probes: readonly Probe[];
  /** Creates indexes once (start-up or `migrate`), never per request. */
  prepare(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `MONGODB_URI` switches the durable side (clients, grants, refresh tokens, accounts,
 * keys) to MongoDB and `REDIS_URL` the short-lived side (sessions, codes, access
 * tokens) to Redis; without them both live in this process's memory.
 */
export async function openStores(config: Config, logger: Logger, observe?: StoreObserver): Promise<Stores> {
  const closers: Array<() => Promise<unknown>> = [];
  try {
    // Each side's driver is loaded only when it is configured: the embedded default
    // carries neither (the MongoDB driver alone adds ~30 MB of resident memory).
    const mongo = config.mongodbUri
      ? await (await import('./mongo-stores.ts')).openMongo({ ...config, mongodbUri: config.mongodbUri })
      : undefined;
    if (mongo) closers.push(mongo.close);
    const redis = config.redisUrl
      ? await (await import('./redis-stores.ts')).openRedis(config.redisUrl, config.startupTimeoutMs, logger)
      : undefined;
    if (redis) closers.push(redis.close, () => redis.bus.close());

    const timed = (backend: AdapterBackend) => (observe ? instrumentBackend(backend, observe) : backend);
    let durable = timed(mongo?.backend ?? createMemoryBackend());
    if (mongo && redis) {
      // Client metadata from MongoDB is cached per process and invalidated on every node
      // through Redis as soon as it changes (stores/client-cache.ts).
      const base = durable;
      const cached = (model: string) => withClientCache(base.adapterFor(model), { bus: redis.bus });
      durable = { ...base, adapterFor: (model) => (model === 'Client' ? cached(model) : base.adapterFor(model)) };
    }
    const ephemeral = timed(redis?.backend ?? createMemoryBackend());
    closers.unshift(() => durable.close(), () => ephemeral.close());
    const accounts = mongo?.accounts ?? createMemoryAccountStore();
    const signingKeys = mongo?.signingKeys ?? createMemorySigningKeyStore();
    const resourceServers = mongo?.resourceServers ?? createMemoryResourceServerStore();
    const apiKeys = mongo?.apiKeys ?? createMemoryApiKeyStore();
    const organizations = mongo?.organizations ?? createMemoryOrganizationStore();
    const memberships = mongo?.memberships ?? createMemoryMembershipStore();
    const invitations = mongo?.invitations ?? createMemoryInvitationStore();
    const accountAccess = mongo?.accountAccess ?? createMemoryAccountAccessStore();

    const adapter = createRoutedAdapterFactory({ durable, ephemeral });
    const clients = mongo ? mongo.clients(adapter('Client')) : createMemoryClientDirectory(adapter('Client'));

    const probes: Probe[] = [];
    if (mongo) probes.push({ name: 'mongodb', ping: () => durable.ping() });
    if (redis) probes.push({ name: 'redis', ping: () => ephemeral.ping() });

    return {
      durable: durable.name,
      ephemeral: ephemeral.name,
      adapter,
      clients,
      accounts,
      signingKeys,
      resourceServers,
      apiKeys,
      organizations,
      memberships,
      invitations,
      accountAccess,
      probes,
      async prepare() {
        await Promise.all([durable.prepare(), ephemeral.prepare(), accounts.prepare(), signingKeys.prepare(), resourceServers.prepare(), apiKeys.prepare(), clients.prepare(),
          organizations.prepare(), memberships.prepare(), invitations.prepare(), accountAccess.prepare()]);
      },
      close: () => closeAll(closers),
    };
  } catch (err) {
    await closeAll(closers);
    throw err;
  }
}

async function closeAll(closers: Array<() => Promise<unknown>>): Promise<void> {
  for (const close of closers) await close().catch(() => undefined);
}
