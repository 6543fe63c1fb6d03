import type { Redis } from 'ioredis';

import { stateOf, type BatchRateLimiter, type BucketRequest } from './gcra.ts';
import { emissionIntervalMs } from './tiers.ts';

/**
 * GCRA over every bucket of one request, atomically, in one round trip (gcra.ts is the
 * same algorithm in TypeScript; the two are tested against one contract).
 * KEYS: the buckets. ARGV[1]: now in ms, or -1 for the Redis server's clock (one clock for
 * every Gatehouse process). ARGV[2]: how many requests to charge at most (1, or a lease:
 * leasing-limiter.ts). ARGV[2i+1], ARGV[2i+2]: bucket i's emission interval (ms) and burst.
 * Charges every bucket with as many requests as every one has room for (up to ARGV[2]; none
 * if one bucket is full), and lets a key expire when its bucket is full again. Returns
 * { now, granted, room1, tat1, room2, tat2, ... } (times as strings: Lua integers would
 * truncate them; room: the bucket had room for one).
 */
const TAKE = `
local now = tonumber(ARGV[1])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local granted = tonumber(ARGV[2])
local tats, room = {}, {}
for i = 1, #KEYS do
  local t, burst = tonumber(ARGV[2 * i + 1]), tonumber(ARGV[2 * i + 2])
  local tat = math.max(tonumber(redis.call('GET', KEYS[i]) or now), now)
  local fit = math.floor((burst * t - (tat - now)) / t + 1e-9)
  tats[i] = tat
  room[i] = fit >= 1
  granted = math.max(0, math.min(granted, fit))
end
local out = { string.format('%.3f', now), granted }
for i = 1, #KEYS do
  if granted > 0 then
    tats[i] = tats[i] + granted * tonumber(ARGV[2 * i + 1])
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

export function createRedisRateLimiter(redis: Redis, options: RedisLimiterOptions): BatchRateLimiter {
  redis.defineCommand('gatehouseRateLimit', { lua: TAKE });
  const client = redis as unknown as ScriptedClient;

  async function takeUpTo(buckets: readonly BucketRequest[], wanted: number) {
    const args: Array<string | number> = buckets.map((b) => options.prefix + b.key);
    args.push(options.now ? options.now() : -1, wanted);
    for (const b of buckets) args.push(emissionIntervalMs(b.tier), b.tier.burst);
    const out = await client.gatehouseRateLimit(buckets.length, ...args);
    const now = Number(out[0]);
    return {
      granted: Number(out[1]),
      states: buckets.map((b, i) => stateOf(Number(out[3 + 2 * i]), now, b.tier, Number(out[2 + 2 * i]) === 1)),
    };
  }

  return {
    async take(buckets) {
      return (await takeUpTo(buckets, 1)).states;
    },
    takeUpTo,
  };
}
