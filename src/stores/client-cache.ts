import type { Adapter, AdapterPayload } from 'oidc-provider';

import type { InvalidationBus } from './invalidation-bus.ts';

export interface ClientCacheOptions {
  bus: InvalidationBus;
  /** Safety net if an invalidation message is ever lost (default 60 s). */
  ttlMs?: number;
  now?: () => number;
}

/**
 * Client metadata is read on every token, introspection and revocation request, and
 * changes rarely; with MongoDB behind it, each read is a network round trip. This keeps
 * it in process memory (unknown ids too, so guessing client ids costs no database
 * reads) and drops an entry on every node as soon as any node changes that client,
 * through the invalidation bus. Entries are stored as JSON text: callers get fresh
 * objects they may modify.
 */
export function withClientCache(inner: Adapter, options: ClientCacheOptions): Adapter {
  const { bus, ttlMs = 60_000, now = Date.now } = options;
  const cache = new Map<string, { json: string | undefined; until: number }>();
  // A read that started before an invalidation must not store what it read: each
  // invalidation bumps the id's version, and a read stores only if it is unchanged.
  const versions = new Map<string, number>();
  const MAX_ENTRIES = 10_000;
  const invalidate = (id: string) => {
    versions.set(id, (versions.get(id) ?? 0) + 1);
    cache.delete(id);
  };
  bus.subscribe('Client', invalidate);

  async function changed(id: string) {
    invalidate(id);
    await bus.publish('Client', id);
  }

  return {
    async find(id) {
      const hit = cache.get(id);
      if (hit && hit.until > now()) return hit.json === undefined ? undefined : JSON.parse(hit.json) as AdapterPayload;
      const version = versions.get(id) ?? 0;
      const found = await inner.find(id);
      if ((versions.get(id) ?? 0) !== version) return found;
      if (cache.size >= MAX_ENTRIES) {
        cache.clear();
        versions.clear();
      }
      cache.set(id, { json: found === undefined ? undefined : JSON.stringify(found), until: now() + ttlMs });
      return found;
    },
    async upsert(id, payload, expiresIn) {
      await inner.upsert(id, payload, expiresIn);
      await changed(id);
    },
    async destroy(id) {
      await inner.destroy(id);
      await changed(id);
    },
    findByUid: (uid) => inner.findByUid(uid),
    findByUserCode: (userCode) => inner.findByUserCode(userCode),
    consume: (id) => inner.consume(id),
    revokeByGrantId: (grantId) => inner.revokeByGrantId(grantId),
  };
}
