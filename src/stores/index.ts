import type { Redis } from 'ioredis';
import type { MongoClient } from 'mongodb';
import type { AdapterFactory } from 'oidc-provider';

import { createMemoryClientDirectory, type ClientDirectory } from './client-directory.ts';
import { createMongoClientDirectory } from './client-directory-mongo.ts';

import type { Config } from '../config/index.ts';
import type { Probe } from '../observability/health.ts';
import type { Logger } from '../observability/logger.ts';
import { createMemoryAccountStore, type AccountStore } from './accounts.ts';
import { createMongoAccountStore } from './accounts-mongo.ts';
import { createMemoryAccountAccessStore, type AccountAccessStore } from './account-access.ts';
import { createMongoAccountAccessStore } from './account-access-mongo.ts';
import { createMemoryInvitationStore, type InvitationStore } from './invitations.ts';
import { createMongoInvitationStore } from './invitations-mongo.ts';
import { createMemoryMembershipStore, type MembershipStore } from './memberships.ts';
import { createMongoMembershipStore } from './memberships-mongo.ts';
import { createMemoryOrganizationStore, type OrganizationStore } from './organizations.ts';
import { createMongoOrganizationStore } from './organizations-mongo.ts';
import { createMemoryApiKeyStore, type ApiKeyStore } from './api-keys.ts';
import { createMongoApiKeyStore } from './api-keys-mongo.ts';
import { createMemoryBackend, createMongoBackend, createRedisBackend } from './adapters/index.ts';
import { connectMongo, connectRedis } from './connect.ts';
import { instrumentBackend, type StoreObserver } from './instrument.ts';
import { withClientCache } from './client-cache.ts';
import { createRedisInvalidationBus } from './invalidation-bus.ts';
import {
  createMemoryResourceServerStore, createMongoResourceServerStore, type ResourceServerStore,
} from './resource-servers.ts';
import { createRoutedAdapterFactory } from './routing.ts';
import { createMemorySigningKeyStore, type SigningKeyStore } from './signing-keys.ts';
import { createMongoSigningKeyStore } from './signing-keys-mongo.ts';
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
    let mongo: MongoClient | undefined;
    let redis: Redis | undefined;
    if (config.mongodbUri) {
      mongo = await connectMongo(config.mongodbUri, config.startupTimeoutMs);
      closers.push(() => mongo!.close());
    }
    if (config.redisUrl) {
      redis = await connectRedis(config.redisUrl, config.startupTimeoutMs, logger);
      closers.push(() => redis!.quit());
    }

    const db = mongo?.db(config.mongodbDatabase);
    const timed = (backend: AdapterBackend) => (observe ? instrumentBackend(backend, observe) : backend);
    let durable = timed(db ? createMongoBackend(db) : createMemoryBackend());
    if (db && redis) {
      // Client metadata from MongoDB is cached per process and invalidated on every node
      // through Redis as soon as it changes (stores/client-cache.ts).
      const bus = createRedisInvalidationBus(redis);
      closers.push(() => bus.close());
      const base = durable;
      durable = { ...base, adapterFor: (model) => (model === 'Client' ? withClientCache(base.adapterFor(model), { bus }) : base.adapterFor(model)) };
    }
    const ephemeral = timed(redis ? createRedisBackend(redis) : createMemoryBackend());
    closers.unshift(() => durable.close(), () => ephemeral.close());
    const accounts = db ? createMongoAccountStore(db) : createMemoryAccountStore();
    const signingKeys = db ? createMongoSigningKeyStore(db) : createMemorySigningKeyStore();
    const resourceServers = db ? createMongoResourceServerStore(db) : createMemoryResourceServerStore();
    const apiKeys = db ? createMongoApiKeyStore(db) : createMemoryApiKeyStore();
    const organizations = db ? createMongoOrganizationStore(db) : createMemoryOrganizationStore();
    const memberships = db ? createMongoMembershipStore(db) : createMemoryMembershipStore();
    const invitations = db ? createMongoInvitationStore(db) : createMemoryInvitationStore();
    const accountAccess = db ? createMongoAccountAccessStore(db) : createMemoryAccountAccessStore();

    const adapter = createRoutedAdapterFactory({ durable, ephemeral });
    const clients = db ? createMongoClientDirectory(db, adapter('Client')) : createMemoryClientDirectory(adapter('Client'));

    const probes: Probe[] = [];
    if (db) probes.push({ name: 'mongodb', ping: () => durable.ping() });
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
