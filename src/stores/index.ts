import type { Adapter, AdapterFactory } from 'oidc-provider';

import type { Config } from '../config/index.ts';
import type { Probe } from '../observability/health.ts';
import type { Logger } from '../observability/logger.ts';
import { createMemoryAccountStore, type AccountStore } from './accounts.ts';
import { createMemoryAccountAccessStore, type AccountAccessStore } from './account-access.ts';
import { createMemoryBackend } from './adapters/memory.ts';
import { createMemoryApiKeyStore, type ApiKeyStore } from './api-keys.ts';
import { createMemoryAuditStore, type AuditStore } from './audit.ts';
import { createMemoryWebhookStore, type WebhookStore } from './audit-webhooks.ts';
import { withClientCache } from './client-cache.ts';
import { createMemoryClientDirectory, type ClientDirectory } from './client-directory.ts';
import { instrumentBackend, type StoreObserver } from './instrument.ts';
import type { ClientChanges, InvalidationBus } from './invalidation-bus.ts';
import { createMemoryInvitationStore, type InvitationStore } from './invitations.ts';
import { createMemoryMembershipStore, type MembershipStore } from './memberships.ts';
import { createMemoryOrganizationStore, type OrganizationStore } from './organizations.ts';
import { createMemoryResourceServerStore, type ResourceServerStore } from './resource-servers.ts';
import { createMemoryRevocationList, type RevocationList } from './revocation-list.ts';
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
  /** The audit log, kept AUDIT_RETENTION_DAYS. */
  readonly audit: AuditStore;
  readonly webhooks: WebhookStore;
  /** Revoked JWTs and "everything before T" entries (stores/revocation-list.ts): Redis, else this process. */
  readonly revocations: RevocationList;
  /** Whether revocation checks are answered from this process's copy (Redis only; stores/revocation-mirror.ts). */
  readonly revocationCopyCurrent: (() => boolean) | undefined;
  /** Every change to a client, here or on another node; undefined when other nodes' changes cannot be heard (MongoDB without Redis). */
  readonly clientChanges: ClientChanges | undefined;
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
      // One cache (and one bus subscription) for the process, however often the adapter is asked for.
      const base = durable;
      let cached: ReturnType<typeof withClientCache> | undefined;
      const clients = () => (cached ??= withClientCache(base.adapterFor('Client'), { bus: redis.bus }));
      durable = { ...base, adapterFor: (model) => (model === 'Client' ? clients() : base.adapterFor(model)) };
    }
    // Every change to a client, for the provider's memo of loaded clients (oidc/client-memo.ts):
    // writes made here, and with MongoDB those of other nodes, heard through Redis. MongoDB
    // without Redis cannot hear other nodes' changes: then there is no memo.
    const clientListeners: Array<(id: string) => void> = [];
    const clientChanged = (id: string) => { for (const listener of clientListeners) listener(id); };
    if (mongo && redis) redis.bus.subscribe('Client', clientChanged);
    const observed = durable;
    durable = { ...observed, adapterFor: (model) => (model === 'Client' ? notifyingChanges(observed.adapterFor(model), clientChanged) : observed.adapterFor(model)) };
    const clientChanges: ClientChanges | undefined = mongo && !redis ? undefined : { subscribe: (listener) => { clientListeners.push(listener); } };
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
    const audit = mongo?.audit ?? createMemoryAuditStore({ retentionDays: config.audit.retentionDays, maxEvents: config.audit.memoryMaxEvents });
    const webhooks = mongo?.webhooks ?? createMemoryWebhookStore();

    const adapter = createRoutedAdapterFactory({ durable, ephemeral });
    let clients = mongo ? mongo.clients(adapter('Client')) : createMemoryClientDirectory(adapter('Client'));
    if (mongo && redis) clients = dropCachedOnWrite(clients, adapter('Client'), redis.bus);

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
      audit,
      webhooks,
      revocations: redis?.revocations ?? createMemoryRevocationList(),
      revocationCopyCurrent: redis ? () => redis.revocations.copyCurrent() : undefined,
      clientChanges,
      probes,
      async prepare() {
        await Promise.all([durable.prepare(), ephemeral.prepare(), accounts.prepare(), signingKeys.prepare(), resourceServers.prepare(), apiKeys.prepare(), clients.prepare(),
          organizations.prepare(), memberships.prepare(), invitations.prepare(), accountAccess.prepare(), audit.prepare(), webhooks.prepare()]);
      },
      close: () => closeAll(closers),
    };
  } catch (err) {
    await closeAll(closers);
    throw err;
  }
}

/**
 * The MongoDB directory creates and removes clients in their collection directly, past
 * the cached Client adapter; without this, a deleted client would still authenticate on
 * every node for as long as its cached copy lives. Removal goes through the cached
 * adapter too (an idempotent second delete that drops the copy here and on every node);
 * a creation drops a cached "unknown client" on every node.
 */
function dropCachedOnWrite(directory: ClientDirectory, cached: Adapter, bus: InvalidationBus): ClientDirectory {
  return {
    ...directory,
    async create(client) {
      const created = await directory.create(client);
      if (created) await bus.publish('Client', client.client_id);
      return created;
    },
    async remove(id) {
      const removed = await directory.remove(id);
      await cached.destroy(id);
      return removed;
    },
  };
}

async function closeAll(closers: Array<() => Promise<unknown>>): Promise<void> {
  for (const close of closers) await close().catch(() => undefined);
}

/** A client adapter that says which client changed once a write or delete is done. */
function notifyingChanges(inner: Adapter, changed: (id: string) => void): Adapter {
  return {
    find: (id) => inner.find(id),
    findByUid: (uid) => inner.findByUid(uid),
    findByUserCode: (userCode) => inner.findByUserCode(userCode),
    consume: (id) => inner.consume(id),
    revokeByGrantId: (grantId) => inner.revokeByGrantId(grantId),
    async upsert(id, payload, expiresIn) {
      await inner.upsert(id, payload, expiresIn);
      changed(id);
    },
    async destroy(id) {
      await inner.destroy(id);
      changed(id);
    },
  };
}
