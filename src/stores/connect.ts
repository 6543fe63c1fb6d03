import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';

import { redactUrl } from '../config/env.ts';
import type { Logger } from '../observability/logger.ts';

/** A configured backend that never answered at start-up: the message names it. */
export class BackendUnreachableError extends Error {
  constructor(backend: string, url: string, waitedMs: number, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`${backend} at ${redactUrl(url)} did not answer within ${Math.round(waitedMs / 1000)} s (${reason})`);
    this.name = 'BackendUnreachableError';
  }
}

/**
 * Connects to Redis, retrying until `timeoutMs` has passed: a Redis that starts a few
 * seconds after Gatehouse (docker compose, a rolling restart) is waited for, one that
 * never comes stops the start.
 */
export async function connectRedis(url: string, timeoutMs: number, logger: Logger): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    retryStrategy: (attempt) => Math.min(attempt * 250, 2000),
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

/** Connects to MongoDB; the driver's server selection waits up to `timeoutMs`. */
export async function connectMongo(uri: string, timeoutMs: number): Promise<MongoClient> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: timeoutMs, appName: 'gatehouse' });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    return client;
  } catch (err) {
    await client.close().catch(() => undefined);
    throw new BackendUnreachableError('MongoDB', uri, timeoutMs, err);
  }
}
