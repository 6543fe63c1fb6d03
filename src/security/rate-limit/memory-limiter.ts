import { charge, roomIn, stateOf, type BatchRateLimiter, type BucketRequest, type BucketState } from './gcra.ts';

export interface MemoryLimiterOptions {
  now?: () => number;
  /** Most buckets kept; past it, full (expired) buckets are dropped first, then the oldest. */
  maxKeys?: number;
}

/**
 * The in-process limiter, for a Gatehouse without Redis (one process: there is no one to
 * share counts with). Memory stays bounded: a bucket is forgotten once it is full again,
 * and never more than `maxKeys` are kept.
 */
export function createMemoryRateLimiter(options: MemoryLimiterOptions = {}): BatchRateLimiter {
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 100_000;
  const tats = new Map<string, number>();

  function sweep(at: number) {
    for (const [key, tat] of tats) if (tat <= at) tats.delete(key);
    // Still too many live buckets (an address spray): drop the oldest. A dropped bucket
    // starts full again, which errs on the side of serving.
    for (const key of tats.keys()) {
      if (tats.size <= maxKeys * 0.9) break;
      tats.delete(key);
    }
  }

  function takeUpTo(buckets: readonly BucketRequest[], wanted: number): { granted: number; states: BucketState[] } {
    const at = now();
    const room = buckets.map((b) => roomIn(tats.get(b.key), at, b.tier));
    const granted = Math.max(0, Math.min(wanted, ...room));
    if (granted > 0) {
      for (const b of buckets) {
        const tat = charge(tats.get(b.key), at, b.tier, granted);
        tats.delete(b.key); // re-insert: Map order is then least recently charged first
        tats.set(b.key, tat);
      }
      if (tats.size > maxKeys) sweep(at);
    }
    return { granted, states: buckets.map((b, i) => stateOf(tats.get(b.key), at, b.tier, room[i]! >= 1)) };
  }

  return {
    async take(buckets: readonly BucketRequest[]): Promise<BucketState[]> {
      return takeUpTo(buckets, 1).states;
    },
    async takeUpTo(buckets: readonly BucketRequest[], wanted: number) {
      return takeUpTo(buckets, wanted);
    },
    takeAtOnce: (buckets) => takeUpTo(buckets, 1).states,
  };
}
