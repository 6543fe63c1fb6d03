import type { Redis } from 'ioredis';

import {
  decide, grantKey, keysOf, RevocationListUnavailableError, scopeKey, tokenKey, type RevocationList,
} from './revocation-list.ts';

export interface RedisRevocationListOptions {
  /** Key namespace (default `gh:revoked:`); tests use their own. */
  prefix?: string;
  /** A read that takes longer than this fails closed (default 1000 ms). */
  timeoutMs?: number;
  now?: () => number;
}

// "A later T wins": two nodes revoking the same client must not let an earlier T overwrite
// a later one (that would un-revoke tokens issued between the two). The TTL only grows.
const KEEP_LATEST = `
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
else
  redis.call('EXPIRE', KEYS[1], ARGV[2], 'GT')
end
return 1`;

/**
 * The revocation list in Redis, shared by every node: an entry written by one node is
 * read by the next introspection on any other, so there is no cache to invalidate and
 * nothing to propagate. Every key has a TTL (the entry is useless once the tokens it
 * covers have expired).
 *
 * Reads fail closed: when the connection is not ready (Redis down, reconnecting), or a
 * read takes longer than `timeoutMs`, `isRevoked` throws instead of waiting in ioredis's
 * offline queue or answering "not revoked".
 */
export function createRedisRevocationList(redis: Redis, options: RedisRevocationListOptions = {}): RevocationList {
  const { prefix = 'gh:revoked:', timeoutMs = 1000, now = Date.now } = options;

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
    const ttl = expiresAt - Math.floor(now() / 1000);
    if (ttl > 0) await redis.set(prefix + key, '1', 'EX', ttl + 1);
  }

  return {
    denyToken: (jti, expiresAt) => deny(tokenKey(jti), expiresAt),
    denyGrant: (ref, expiresAt) => deny(grantKey(ref), expiresAt),
    async revokeIssuedBefore(scope, at, ttlSeconds) {
      await redis.eval(KEEP_LATEST, 1, prefix + scopeKey(scope), String(at), String(Math.max(1, Math.ceil(ttlSeconds))));
    },
    async isRevoked(token) {
      const { denied, scopes } = keysOf(token);
      const keys = [...denied, ...scopes].map((k) => prefix + k);
      if (keys.length === 0) return false;
      const values = await read(keys);
      const scoped = values.slice(denied.length).map((v) => (v === null || v === undefined ? undefined : Number(v)));
      return decide(values.slice(0, denied.length).some((v) => v !== null), scoped, token.iat);
    },
  };
}
