import { createHash } from 'node:crypto';
import { once } from 'node:events';

import type { AuditSink } from '../../audit/events.ts';
import type { Config } from '../../config/index.ts';
import type { Render } from '../../interactions/views.ts';
import type { Logger } from '../../observability/logger.ts';
import type { ApiKeyStore } from '../../stores/api-keys.ts';
import { createRedisClient } from '../../stores/redis-client.ts';
import type { RateLimiter } from './gcra.ts';
import type { LimitedEndpoint } from './identity.ts';
import { createRedisLoginThrottle } from './login-throttle-redis.ts';
import { createMemoryLoginThrottle, type LoginThrottle, type LoginThrottlePolicies } from './login-throttle.ts';
import { createMemoryRateLimiter } from './memory-limiter.ts';
import { rateLimit } from './middleware.ts';
import { createRedisRateLimiter } from './redis-limiter.ts';
import { leasingLimiter } from './leasing-limiter.ts';
import { cachedTierLookup } from './tier-cache.ts';
import { AUTHENTICATED_TIER, type RateLimitTier } from './tiers.ts';

export type LimiterName = 'requests' | 'logins';

export interface RateLimiting {
  /** Undefined when RATE_LIMITS=off. */
  requests: RateLimiter | undefined;
  logins: LoginThrottle;
  /** A limiter failed and let a request through: counted, and logged at most once a minute. */
  reportFailure(limiter: LimiterName, err: unknown): void;
  close(): Promise<void>;
}

export interface RateLimitingOptions {
  onFailure?: (limiter: LimiterName) => void;
  /** How long to wait for Redis at start before going on (fail open until it answers). */
  connectTimeoutMs?: number;
}

const HOUR = 3_600_000;

export function loginPolicies(config: Config): LoginThrottlePolicies {
  const { threshold, lockSeconds, maxLockSeconds, addressThreshold } = config.loginLock;
  const base = { lockMs: lockSeconds * 1000, maxLockMs: maxLockSeconds * 1000, windowMs: HOUR };
  return { account: { ...base, threshold, cap: 100 }, address: { ...base, threshold: addressThreshold, cap: 0 } };
}

/**
 * Keys are namespaced by the issuer, so every process of one deployment shares counts and
 * two deployments sharing a Redis do not.
 */
export function keyNamespace(issuer: string): string {
  return createHash('sha256').update(issuer).digest('base64url').slice(0, 8);
}

/**
 * Request limits and login throttling: in Redis when REDIS_URL is set (shared by every
 * Gatehouse process), in this process otherwise. Redis gets a connection of its own that
 * never queues a command while disconnected and gives up on one after `commandTimeout`:
 * a limiter that cannot answer at once lets the request through (fail open) instead of
 * holding it.
 */
export async function openRateLimiting(config: Config, logger: Logger, options: RateLimitingOptions = {}): Promise<RateLimiting> {
  let lastWarning = 0;
  let suppressed = 0;
  function warn(err: unknown, limiter?: LimiterName) {
    const now = Date.now();
    if (now - lastWarning < 60_000) {
      suppressed += 1;
      return;
    }
    logger.warn({ limiter, err: (err as Error)?.message, suppressed }, 'rate limiting unavailable: requests are let through');
    lastWarning = now;
    suppressed = 0;
  }
  function reportFailure(limiter: LimiterName, err: unknown) {
    options.onFailure?.(limiter);
    warn(err, limiter);
  }

  const policies = loginPolicies(config);
  if (!config.redisUrl) {
    return {
      requests: config.rateLimits.enabled ? createMemoryRateLimiter() : undefined,
      logins: createMemoryLoginThrottle(policies),
      reportFailure,
      close: async () => {},
    };
  }

  const redis = createRedisClient(config.redisUrl, {
    connectionName: 'gatehouse-rate-limits',
    // Every limited request sends one command here. Commands sent in one turn of the event
    // loop go out in one write (and their replies come back in one read): under load that
    // is a fraction of a system call per request instead of one, on both ends.
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 500,
    disconnectTimeout: 200,
    retryStrategy: (attempt) => Math.min(attempt * 250, 2000),
  });
  redis.on('error', (err: Error) => warn(err));
  const ready = once(redis, 'ready').catch(() => undefined);
  const timeout = new Promise((resolve) => setTimeout(resolve, options.connectTimeoutMs ?? 2000).unref());
  await Promise.race([ready, timeout]);
  const ns = keyNamespace(config.issuer);
  return {
    // Busy callers are charged several requests per round trip (leasing-limiter.ts).
    requests: config.rateLimits.enabled ? leasingLimiter(createRedisRateLimiter(redis, { prefix: `gh:rl:${ns}:` })) : undefined,
    logins: createRedisLoginThrottle(redis, policies, { prefix: `gh:lf:${ns}:` }),
    reportFailure,
    close: async () => {
      // quit() waits for a connection that may never come back; there is nothing to flush.
      if (redis.status === 'ready') await redis.quit().catch(() => undefined);
      redis.disconnect();
    },
  };
}

export interface RequestLimitDeps {
  limiter: RateLimiter;
  tiers: Readonly<Record<string, RateLimitTier>>;
  /** Where clients are found (node-oidc-provider's Client model). */
  clients: { find(id: string): Promise<{ [key: string]: unknown } | undefined> };
  apiKeys: Pick<ApiKeyStore, 'findById'>;
  audit: AuditSink;
  render: Render;
  onRefused(endpoint: LimitedEndpoint): void;
  reportFailure(limiter: LimiterName, err: unknown): void;
}

/** The request limiter as Koa middleware, with the tier look-ups cached (tier-cache.ts). */
export function requestLimits(deps: RequestLimitDeps) {
  const clientTier = cachedTierLookup(async (id) => {
    const client = await deps.clients.find(id).catch(() => undefined);
    if (!client) return null;
    const tier = client['rate_limit_tier'];
    return typeof tier === 'string' ? tier : AUTHENTICATED_TIER;
  });
  const apiKeyTier = cachedTierLookup(async (id) => {
    const key = await deps.apiKeys.findById(id);
    if (!key || key.revokedAt || key.expiresAt.getTime() <= Date.now()) return null;
    return key.rateLimitTier ?? AUTHENTICATED_TIER;
  });
  return rateLimit({
    limiter: deps.limiter, tiers: deps.tiers, clientTier, apiKeyTier, audit: deps.audit, render: deps.render,
    onRefused: deps.onRefused, onFailure: (err) => deps.reportFailure('requests', err),
  });
}
