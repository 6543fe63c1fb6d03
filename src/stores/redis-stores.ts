import type { Redis } from 'ioredis';

import type { Logger } from '../observability/logger.ts';
import { createRedisBackend } from './adapters/redis.ts';
import { BackendUnreachableError } from './backend-error.ts';
import { createRedisInvalidationBus } from './invalidation-bus.ts';
import { createRedisClient } from './redis-client.ts';
import { createRedisRevocationList } from './revocation-list-redis.ts';

/**
 * Connects to Redis, retrying until `timeoutMs` has passed: a Redis that starts a few
 * seconds after Gatehouse (docker compose, a rolling restart) is waited for, one that
 * never comes stops the start.
 */
export async function connectRedis(url: string, timeoutMs: number, logger: Logger): Promise<Redis> {
  const redis = createRedisClient(url, {
    lazyConnect: true,
    // Token writes and look-ups of concurrent requests share one write per turn of the
    // event loop (and one read for their replies): fewer system calls on both ends.
    enableAutoPipelining: true,
    maxRetriesPerRequest: 2,
    retryStrategy: (attempt) => Math.min(attempt * 250, 2000),
    // How long disconnect() waits for the socket to end before destroying it (default 2 s,
    // which holds the process open that long at shutdown when Redis is already gone).
    disconnectTimeout: 200,
  });
  let lastError: unknown;
  redis.on('error', (err) => {
    lastError = err; // the socket's own reason (ECONNREFUSED, ...) says more than a failed PING
    logger.warn({ err: err.message }, 'redis connection error');
  });
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    try {
      if (redis.status === 'wait') await redis.connect();
      await redis.ping();
      return redis;
    } catch (err) {
      lastError ??= err;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  redis.disconnect();
  throw new BackendUnreachableError('Redis', url, timeoutMs, lastError);
}

/** The Redis side: the ephemeral backend, the invalidation bus and the revocation list, on one command connection (the bus and the list each subscribe on one more). */
export async function openRedis(url: string, timeoutMs: number, logger: Logger) {
  const redis = await connectRedis(url, timeoutMs, logger);
  const revocations = createRedisRevocationList(redis, { mirror: true });
  return {
    backend: createRedisBackend(redis),
    bus: createRedisInvalidationBus(redis),
    revocations,
    async close() {
      revocations.close();
      // QUIT lets sent commands finish; without a live connection it would wait in
      // ioredis's offline queue for a Redis that may never come back (a shutdown while
      // Redis is down must not hang): then just disconnect, which also stops reconnecting.
      if (redis.status === 'ready') await redis.quit().catch(() => undefined);
      redis.disconnect();
    },
  };
}
