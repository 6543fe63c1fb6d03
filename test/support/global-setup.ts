import { startThrowawayRedis, type ThrowawayRedis } from '../../scripts/throwaway-redis.ts';

/**
 * Tests get their own Redis: REDIS_URL if set, else a throwaway `redis-server` on a free
 * port (no persistence), else a failure that says how to get one. Workers inherit
 * process.env.REDIS_URL; global-teardown.ts stops the server started here.
 */
export interface TestRedisGlobal {
  __gatehouseTestRedis?: ThrowawayRedis;
}

export default async function globalSetup(): Promise<void> {
  if (process.env.REDIS_URL) return;
  const redis = await startThrowawayRedis('Tests');
  (globalThis as TestRedisGlobal).__gatehouseTestRedis = redis;
  process.env.REDIS_URL = redis.url;
}
