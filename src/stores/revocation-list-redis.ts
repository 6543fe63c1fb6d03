import type { Redis } from 'ioredis';

import {
  decide, grantKey, keysOf, RevocationListUnavailableError, scopeKey, tokenKey, type RevocationList,
} from './revocation-list.ts';
import { startRevocationMirror, type RevocationMirrorOptions } from './revocation-mirror.ts';

export interface RedisRevocationListOptions {
  /** Key namespace (default `gh:revoked:`); tests use their own. */
  prefix?: string;
  /** A read that takes longer than this fails closed (default 1000 ms). */
  timeoutMs?: number;
  /**
   * Keep a copy in process memory (revocation-mirror.ts), kept current through the
   * announcements every write makes, and answer from it while it is current.
   */
  mirror?: boolean | Pick<RevocationMirrorOptions, 'heartbeatMs' | 'maxLagMs' | 'connectionName'>;
  now?: () => number;
}

// Every write announces itself on the list's channel, as `[key, value, ttlMs]`, in the same
// script: a write no process hears of cannot happen (revocation-mirror.ts relies on it).
const DENY = `
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
redis.call('PUBLISH', ARGV[2], cjson.encode({KEYS[1], 1, tonumber(ARGV[1])}))
return 1`;

// "A later T wins": two nodes revoking the same client must not let an earlier T overwrite
// a later one (that would un-revoke tokens issued between the two). The TTL only grows.
const KEEP_LATEST = `
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
else
  redis.call('EXPIRE', KEYS[1], ARGV[2], 'GT')
end
local value = tonumber(redis.call('GET', KEYS[1]))
local ttl = redis.call('PTTL', KEYS[1])
redis.call('PUBLISH', ARGV[3], cjson.encode({KEYS[1], value, ttl}))
return {tostring(value), ttl}`;

export interface RedisRevocationList extends RevocationList {
  /** Resolves once the process's copy is current (at once without one). */
  synced(): Promise<void>;
  /** Whether checks are answered from the process's copy right now (false without one). */
  copyCurrent(): boolean;
  close(): void;
}

/**
 * The revocation list in Redis, shared by every node. Every key has a TTL (the entry is
 * useless once the tokens it covers have expired).
 *
 * With `mirror`, each process answers from its own copy while that copy is provably
 * current (revocation-mirror.ts), and reads Redis otherwise. Without, every check reads
 * Redis.
 *
 * Reads fail closed: when the connection is not ready (Redis down, reconnecting), or a
 * read takes longer than `timeoutMs`, `isRevoked` throws instead of waiting in ioredis's
 * offline queue or answering "not revoked".
 */
export function createRedisRevocationList(redis: Redis, options: RedisRevocationListOptions = {}): RedisRevocationList {
  const { prefix = 'gh:revoked:', timeoutMs = 1000, now = Date.now } = options;
  const channel = prefix;
  const mirror = options.mirror
    ? startRevocationMirror({ redis, prefix, channel, now, ...(options.mirror === true ? {} : options.mirror) })
    : undefined;

  async function read(keys: string[]): Promise<Array<string | null>> {
    if (redis.status !== 'ready') throw new RevocationListUnavailableError(new Error(`redis connection is ${redis.status}`));
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        redis.mget(keys),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (err) {
      throw new RevocationListUnavailableError(err);
    } finally {
      clearTimeout(timer);
    }
  }

  async function deny(key: string, expiresAt: number) {
    const ttlMs = (expiresAt - Math.floor(now() / 1000) + 1) * 1000;
    if (ttlMs <= 1000) return;
    await redis.eval(DENY, 1, prefix + key, String(ttlMs), channel);
    mirror?.apply(key, 1, ttlMs);
  }

  return {
    denyToken: (jti, expiresAt) => deny(tokenKey(jti), expiresAt),
    denyGrant: (ref, expiresAt) => deny(grantKey(ref), expiresAt),
    async revokeIssuedBefore(scope, at, ttlSeconds) {
      const key = scopeKey(scope);
      const [value, ttlMs] = await redis.eval(KEEP_LATEST, 1, prefix + key, String(at), String(Math.max(1, Math.ceil(ttlSeconds))), channel) as [string, number];
      mirror?.apply(key, Number(value), ttlMs);
    },
    async isRevoked(token) {
      const table = mirror?.current();
      if (table) return table.isRevoked(token);
      const { denied, scopes } = keysOf(token);
      const keys = [...denied, ...scopes].map((k) => prefix + k);
      if (keys.length === 0) return false;
      const values = await read(keys);
      const scoped = values.slice(denied.length).map((v) => (v === null || v === undefined ? undefined : Number(v)));
      return decide(values.slice(0, denied.length).some((v) => v !== null), scoped, token.iat);
    },
    synced: () => mirror?.synced() ?? Promise.resolve(),
    copyCurrent: () => mirror?.current() !== undefined,
    close: () => mirror?.close(),
  };
}
