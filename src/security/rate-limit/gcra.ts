import { emissionIntervalMs, type RateLimitTier } from './tiers.ts';

/**
 * The Generic Cell Rate Algorithm (ITU-T I.371): a token bucket kept as one number per
 * bucket, the "theoretical arrival time" (TAT) — when the bucket will be full again. A
 * request costs one emission interval T = period / rate; it fits when the bucket is not
 * more than (burst − 1)·T ahead of now. One number per key makes the Redis version one
 * GET and one SET inside a script (redis-limiter.ts), and this file the in-process one.
 */
export interface BucketRequest {
  /** e.g. `token:client:web`; the limiter adds its own namespace. */
  key: string;
  tier: RateLimitTier;
}

export interface BucketState {
  /** This bucket had room for the request. */
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Until the bucket is full again (ms). */
  resetMs: number;
  /** Until one more request fits than `remaining` says (ms); 0 when full. For a refusal: the Retry-After. */
  nextMs: number;
}

export interface RateLimiter {
  /**
   * Counts one request in every bucket, atomically and all-or-nothing: if any bucket is
   * out of room, none is charged (a refused request must not use up the other quotas).
   */
  take(buckets: readonly BucketRequest[]): Promise<BucketState[]>;
  /**
   * The same as take(), answered without waiting when the limiter can (the in-process
   * limiter always, the leasing one from a live lease); undefined otherwise, and then
   * nothing was charged. The request limiter asks this first: a request that needs no
   * round trip should not pay for promises either.
   */
  takeAtOnce?(buckets: readonly BucketRequest[]): BucketState[] | undefined;
}

/**
 * A limiter that can charge several requests at once, all or nothing per request: for the
 * leasing limiter (leasing-limiter.ts), which hands them out one by one without a round trip.
 */
export interface BatchRateLimiter extends RateLimiter {
  /**
   * Charges as many requests as every bucket has room for, up to `wanted` (`granted`,
   * possibly 0). `states` are after the charge; `allowed` says whether the bucket had room
   * for at least one.
   */
  takeUpTo(buckets: readonly BucketRequest[], wanted: number): Promise<{ granted: number; states: BucketState[] }>;
}

/** How many requests fit now in a bucket whose TAT is `tat` (undefined: never used, or expired). */
export function roomIn(tat: number | undefined, now: number, tier: RateLimitTier): number {
  const t = emissionIntervalMs(tier);
  const ahead = Math.max(tat ?? now, now) - now;
  return Math.max(0, Math.floor((tier.burst * t - ahead) / t + 1e-9));
}

/** The TAT after `count` (one) more requests. */
export function charge(tat: number | undefined, now: number, tier: RateLimitTier, count = 1): number {
  return Math.max(tat ?? now, now) + count * emissionIntervalMs(tier);
}

/** What a caller is told about a bucket whose TAT is `tat` (after charging, if it was). */
export function stateOf(tat: number | undefined, now: number, tier: RateLimitTier, allowed: boolean): BucketState {
  const t = emissionIntervalMs(tier);
  const ahead = Math.max(tat ?? now, now) - now;
  const free = tier.burst * t - ahead; // room left, in ms of refill
  const remaining = Math.max(0, Math.min(tier.burst, Math.floor(free / t + 1e-9)));
  const nextMs = remaining >= tier.burst ? 0 : Math.ceil(t - (free - remaining * t));
  return { allowed, limit: tier.burst, remaining, resetMs: Math.ceil(ahead), nextMs };
}
