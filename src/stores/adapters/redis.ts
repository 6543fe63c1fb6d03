import type { Redis } from 'ioredis';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { createRedisClient } from '../redis-client.ts';
import type { AdapterBackend } from '../types.ts';
import { ConsumeConflictError } from '../types.ts';
import { epochSeconds, grantIdOf, lookupValue } from './models.ts';
import { defineAdapterScripts } from './redis-scripts.ts';

export interface RedisBackendOptions {
  /** Namespace for every key (default `gh:`); tests use a random one per file. */
  prefix?: string;
  /**
   * TTL for an entry upserted without `expiresIn`. Redis-routed models always have one;
   * this only guarantees no key lives forever (default 30 days).
   */
  maxTtlSeconds?: number;
  /** Clock in epoch ms, used for the `consumed` timestamp. */
  now?: () => number;
}

/**
 * Key layout (P = prefix):
 *   P e:<Model>:<id>        hash { payload: JSON, consumed?: epoch s, grantId?, uidKey?, ucKey?, grantKey? }
 *   P uid:<Model>:<uid>     string → entry key         (same TTL as the entry)
 *   P uc:<Model>:<userCode> string → entry key         (same TTL as the entry)
 *   P grant:<grantId>       set of entry keys          (TTL = longest member's)
 * `consumed` lives beside the JSON so the consume script never decodes it (Redis cjson
 * turns [] into {} and rounds large numbers).
 *
 * Connection ownership: pass a URL and the backend owns the connection (close() quits it);
 * pass an ioredis instance and the caller owns it (close() leaves it open).
 */
export function createRedisBackend(redis: Redis | string, opts: RedisBackendOptions = {}): AdapterBackend {
  const owned = typeof redis === 'string';
  const client = typeof redis === 'string' ? createRedisClient(redis) : redis;
  const prefix = opts.prefix ?? 'gh:';
  const maxTtl = opts.maxTtlSeconds ?? 30 * 24 * 3600;
  const now = opts.now ?? Date.now;
  const scripts = defineAdapterScripts(client);

  const entryKey = (model: string, id: string) => `${prefix}e:${model}:${id}`;
  const uidKey = (model: string, uid: string) => `${prefix}uid:${model}:${uid}`;
  const ucKey = (model: string, userCode: string) => `${prefix}uc:${model}:${userCode}`;
  const grantKey = (grantId: string) => `${prefix}grant:${grantId}`;

  function decode(payload: string | null | undefined, consumed: string | null | undefined): AdapterPayload | undefined {
    if (payload == null) return undefined;
    const parsed = JSON.parse(payload) as AdapterPayload;
    if (consumed != null) parsed.consumed = Number(consumed);
    return parsed;
  }

  function adapterFor(model: string): Adapter {
    return {
      // One script (redis-scripts.ts UPSERT): DEL drops fields of the previous version
      // (a stale `consumed` above all), then the hash, its index keys and their TTLs.
      // upsert and find hand back the command's own promise (no async wrapper): they run
      // on every token issued and every introspection.
      upsert(id, payload, expiresIn) {
        const key = entryKey(model, id);
        const ttl = typeof expiresIn === 'number' ? Math.max(1, Math.ceil(expiresIn)) : maxTtl;
        const consumed = payload.consumed !== undefined && payload.consumed !== null ? String(payload.consumed) : '';
        const grantId = grantIdOf(model, payload);
        const uid = lookupValue(payload.uid);
        const userCode = lookupValue(payload.userCode);
        return scripts.upsert(key, ttl, JSON.stringify(payload), consumed, grantId ?? '', {
          uidKey: uid && uidKey(model, uid), ucKey: userCode && ucKey(model, userCode), grantKey: grantId && grantKey(grantId),
        }).then(() => undefined);
      },
      find(id) {
        return client.hmget(entryKey(model, id), 'payload', 'consumed').then(([payload, consumed]) => decode(payload, consumed));
      },
      async findByUid(uid) {
        const found = await scripts.findByIndex(uidKey(model, uid), 'uidKey');
        return found ? decode(found[0], found[1]) : undefined;
      },
      async findByUserCode(userCode) {
        const found = await scripts.findByIndex(ucKey(model, userCode), 'ucKey');
        return found ? decode(found[0], found[1]) : undefined;
      },
      async consume(id) {
        const [ok, grantId] = await scripts.consume(entryKey(model, id), epochSeconds(now()));
        if (ok !== 1) throw new ConsumeConflictError(model, grantId || undefined);
      },
      async destroy(id) {
        await scripts.destroy(entryKey(model, id));
      },
      // The grant set spans models, so this removes the grant's tokens of every model here.
      async revokeByGrantId(grantId) {
        await scripts.revoke(grantKey(grantId));
      },
    };
  }

  return {
    name: 'redis',
    adapterFor,
    async ping() {
      await client.ping();
    },
    async prepare() {},
    async close() {
      if (owned) await client.quit();
    },
  };
}
