import type { Redis } from 'ioredis';

import { stateOf, type BucketRequest, type BucketState, type RateLimiter } from './gcra.ts';
import { emissionIntervalMs } from './tiers.ts';

/**
 * GCRA over every bucket of one request, atomically, in one round trip (gcra.ts is the
 * same algorithm in TypeScript; the two are tested against one contract).
 * KEYS: the buckets. ARGV[1]: now in ms, or -1 for the Redis server's clock (one clock for
 * every Gatehouse process). ARGV[2i], ARGV[2i+1]: bucket i's emission interval (ms) and
 * burst. Charges every bucket only if each has room, and lets a key expire when its bucket
 * is full again. Returns { now, room1, tat1, room2, tat2, ... } (times as strings: Lua
 * integers would truncate them).
 */
const TAKE = `
local now = tonumber(ARGV[1])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local tats, room, all = {}, {}, true
for i = 1, #KEYS do
  local t, burst = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local tat = math.max(tonumber(redis.call('GET', KEYS[i]) or now), now)
  tats[i] = tat
  room[i] = tat + t - burst * t <= now
  all = all and room[i]
end
local out = { string.format('%.3f', now) }
for i = 1, #KEYS do
  if all then
    tats[i] = tats[i] + tonumber(ARGV[2 * i])
    redis.call('SET', KEYS[i], string.format('%.3f', tats[i]), 'PX', math.max(1, math.ceil(tats[i] - now)))
  end
  out[#out + 1] = room[i] and 1 or 0
  out[#out + 1] = string.format('%.3f', tats[i])
end
return out`;

interface ScriptedClient {
  gatehouseRateLimit(numberOfKeys: number, ...args: Array<string | number>): Promise<Array<string | number>>;
}

export interface RedisLimiterOptions {
  /** Prepended to every bucket key, e.g. `gh:rl:<deployment>:`. */
  prefix: string;
  /** A clock for tests; by default the Redis server's, shared by every process. */
  now?: () => number;
}

export function createRedisRateLimiter(redis: Redis, options: RedisLimiterOptions): RateLimiter {
  redis.defineCommand('gatehouseRateLimit', { lua: TAKE });
  const client = redis as unknown as ScriptedClient;

  return {
    async take(buckets: readonly BucketRequest[]): Promise<BucketState[]> {
      const args: Array<string | number> = buckets.map((b) => options.prefix + b.key);
      args.push(options.now ? options.now() : -1);
      for (const b of buckets) args.push(emissionIntervalMs(b.tier), b.tier.burst);
      const out = await client.gatehouseRateLimit(buckets.length, ...args);
      const now = Number(out[0]);
      return buckets.map((b, i) => stateOf(Number(out[2 + 2 * i]), now, b.tier, Number(out[1 + 2 * i]) === 1));
    },
  };
}
