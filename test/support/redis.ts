import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

import { createRedisClient } from '../../src/stores/redis-client.ts';

/** The Redis that global-setup.ts provided (REDIS_URL or its throwaway server). */
export function testRedisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: run tests through jest so global-setup.ts provides Redis');
  return url;
}

/** A connected client; the caller quits it (afterAll). */
export async function connectTestRedis(): Promise<Redis> {
  const redis = createRedisClient(testRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  return redis;
}

/** A key prefix no other test file shares, e.g. `test:adapter:1f2e3d4c:`. */
export function testKeyPrefix(label = 'test'): string {
  return `test:${label}:${randomBytes(4).toString('hex')}:`;
}

/** Every key under `prefix` (SCAN, never KEYS). */
export async function keysWithPrefix(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/** Deletes every key under `prefix`, for afterAll/afterEach. */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<void> {
  const keys = await keysWithPrefix(redis, prefix);
  if (keys.length > 0) await redis.del(...keys);
}
