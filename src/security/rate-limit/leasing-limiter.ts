import type { BatchRateLimiter, BucketRequest, BucketState, RateLimiter } from './gcra.ts';
import { emissionIntervalMs } from './tiers.ts';

export interface LeasingOptions {
  /** How long a lease may be drawn on before what is left of it is given up (ms). */
  leaseMs?: number;
  /** The most requests one lease holds. */
  maxLease?: number;
  now?: () => number;
}

interface Lease {
  /** Requests charged in the shared buckets and not handed out yet. */
  left: number;
  size: number;
  grantedAt: number;
  expires: number;
  /** The buckets as they stood just after the lease was charged. */
  states: BucketState[];
}

/** A lease holds at most a tenth of the smallest bucket's burst. */
const SHARE_OF_BURST = 10;
/** Callers remembered at once; a forgotten one starts again at a lease of one. */
const MAX_LEASES = 10_000;

/**
 * Fewer round trips for busy callers: instead of one limiter call per request, a process
 * charges the shared buckets for several requests at once (a lease) and hands them out one
 * by one, until they are used up or `leaseMs` has passed. The limit still holds across every
 * process: a request is only let through against a charge already made in the shared
 * buckets, so leasing can refuse a little early, never allow more.
 *
 * The lease size follows demand. It starts at one, so a caller that sends a request now and
 * then costs what it did without leases. It doubles while leases run out within half their
 * time, and shrinks to what was used when one expires with requests left (those are given
 * up: charged, never used). It never exceeds `maxLease` or a tenth of the smallest bucket's
 * burst. A refused request is not leased: it asks the shared buckets every time. Concurrent
 * requests of one caller wait for the lease being fetched instead of each fetching its own.
 */
export function leasingLimiter(inner: BatchRateLimiter, options: LeasingOptions = {}): RateLimiter {
  const leaseMs = options.leaseMs ?? 250;
  const maxLease = options.maxLease ?? 64;
  const now = options.now ?? Date.now;
  const leases = new Map<string, Lease>();
  const fetching = new Map<string, Promise<unknown>>();

  function capOf(buckets: readonly BucketRequest[]): number {
    let smallest = Infinity;
    for (const b of buckets) smallest = Math.min(smallest, b.tier.burst);
    return Math.max(1, Math.min(maxLease, Math.floor(smallest / SHARE_OF_BURST)));
  }

  function nextSize(previous: Lease | undefined, at: number, cap: number): number {
    if (!previous) return 1;
    if (previous.left > 0) return Math.max(1, Math.min(cap, previous.size - previous.left));
    return Math.min(cap, at - previous.grantedAt < leaseMs / 2 ? previous.size * 2 : previous.size);
  }

  /** One request from a live lease, and the buckets as the caller may see them now. */
  function draw(lease: Lease, buckets: readonly BucketRequest[], at: number): BucketState[] {
    lease.left -= 1;
    const elapsed = at - lease.grantedAt;
    return lease.states.map((s, i) => {
      const t = emissionIntervalMs(buckets[i]!.tier);
      return {
        allowed: true, limit: s.limit, remaining: Math.min(s.limit, s.remaining + lease.left + Math.floor(elapsed / t)),
        resetMs: Math.max(0, s.resetMs - elapsed), nextMs: s.nextMs === 0 ? 0 : Math.max(0, s.nextMs - (elapsed % t)),
      };
    });
  }

  async function fetchLease(key: string, buckets: readonly BucketRequest[]): Promise<BucketState[]> {
    const wanted = nextSize(leases.get(key), now(), capOf(buckets));
    const charged = inner.takeUpTo(buckets, wanted);
    fetching.set(key, charged);
    try {
      const { granted, states } = await charged;
      leases.delete(key); // re-inserted last: past the bound, the stalest go first
      if (granted === 0) return states;
      const grantedAt = now();
      leases.set(key, { left: granted - 1, size: granted, grantedAt, expires: grantedAt + leaseMs, states });
      if (leases.size > MAX_LEASES) leases.delete(leases.keys().next().value!);
      return states.map((s) => ({ ...s, remaining: Math.min(s.limit, s.remaining + granted - 1) }));
    } finally {
      fetching.delete(key);
    }
  }

  const keyOf = (buckets: readonly BucketRequest[]) => (buckets.length === 1 ? buckets[0]!.key : buckets.map((b) => b.key).join('\n'));

  function fromLease(key: string, buckets: readonly BucketRequest[]): BucketState[] | undefined {
    const lease = leases.get(key);
    const at = now();
    return lease && lease.left > 0 && at < lease.expires ? draw(lease, buckets, at) : undefined;
  }

  return {
    async take(buckets) {
      const key = keyOf(buckets);
      for (;;) {
        const states = fromLease(key, buckets);
        if (states) return states;
        const inFlight = fetching.get(key);
        if (!inFlight) return fetchLease(key, buckets);
        await inFlight.catch(() => undefined);
      }
    },
    takeAtOnce: (buckets) => fromLease(keyOf(buckets), buckets),
  };
}
