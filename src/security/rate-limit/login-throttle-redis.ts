import type { Redis } from 'ioredis';

import { gate, type LoginPolicy, type LoginThrottle, type LoginThrottlePolicies } from './login-throttle.ts';

/**
 * afterFailure() (login-throttle.ts) for the account and the address at once, atomically, so
 * that every Gatehouse process sharing the Redis counts the same failures.
 * KEYS[1] account, KEYS[2] address (hashes count, lockedUntil, windowEnds).
 * ARGV[1] now (ms); then for each key: threshold, lockMs, maxLockMs, windowMs, cap.
 * Returns the two lockedUntil values as decimal strings (epoch ms).
 */
const FAIL = `
local now = tonumber(ARGV[1])
local out = {}
for i = 1, 2 do
  local o = 1 + (i - 1) * 5
  local threshold, lockMs, maxLockMs = tonumber(ARGV[o + 1]), tonumber(ARGV[o + 2]), tonumber(ARGV[o + 3])
  local windowMs, cap = tonumber(ARGV[o + 4]), tonumber(ARGV[o + 5])
  local f = redis.call('HMGET', KEYS[i], 'count', 'lockedUntil', 'windowEnds')
  local count, lockedUntil, windowEnds = tonumber(f[1] or 0), tonumber(f[2] or 0), tonumber(f[3] or 0)
  if windowEnds <= now and lockedUntil <= now then
    count = 0
    windowEnds = now + windowMs
  end
  count = count + 1
  if count >= threshold then
    local lock = math.min(lockMs * 2 ^ math.min(count - threshold, 40), maxLockMs)
    lockedUntil = math.max(lockedUntil, now + lock)
  end
  if cap > 0 and count >= cap then lockedUntil = math.max(lockedUntil, windowEnds) end
  redis.call('HSET', KEYS[i], 'count', count, 'lockedUntil', string.format('%d', lockedUntil), 'windowEnds', string.format('%d', windowEnds))
  redis.call('PEXPIRE', KEYS[i], string.format('%d', math.max(1, math.max(windowEnds, lockedUntil) - now)))
  out[i] = string.format('%d', lockedUntil)
end
return out`;

interface ScriptedClient {
  gatehouseLoginFailure(account: string, address: string, ...args: number[]): Promise<[string, string]>;
}

const policyArgs = (p: LoginPolicy) => [p.threshold, p.lockMs, p.maxLockMs, p.windowMs, p.cap];

export function createRedisLoginThrottle(
  redis: Redis, policies: LoginThrottlePolicies, options: { prefix: string; now?: () => number },
): LoginThrottle {
  redis.defineCommand('gatehouseLoginFailure', { numberOfKeys: 2, lua: FAIL });
  const client = redis as unknown as ScriptedClient;
  const now = options.now ?? Date.now;
  const accountKey = (account: string) => `${options.prefix}acct:${account}`;
  const addressKey = (address: string) => `${options.prefix}ip:${address}`;

  return {
    async check(account, address) {
      const at = now();
      const results = await redis.pipeline().hget(accountKey(account), 'lockedUntil').hget(addressKey(address), 'lockedUntil').exec();
      const failed = results?.find(([err]) => err);
      if (!results || failed) throw failed?.[0] ?? new Error('Redis pipeline aborted');
      // The failure script always writes lockedUntil: no field, no failures counted.
      return { ...gate(results.map(([, value]) => Number(value ?? 0)), at), accountFailures: results[0]![1] !== null };
    },
    async fail(account, address) {
      const at = now();
      const out = await client.gatehouseLoginFailure(accountKey(account), addressKey(address), at,
        ...policyArgs(policies.account), ...policyArgs(policies.address));
      return gate(out.map(Number), at);
    },
    async succeed(account) {
      await redis.del(accountKey(account));
    },
  };
}
