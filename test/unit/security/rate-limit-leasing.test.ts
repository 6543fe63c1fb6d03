import type { BatchRateLimiter, BucketRequest } from '../../../src/security/rate-limit/gcra.ts';
import { leasingLimiter } from '../../../src/security/rate-limit/leasing-limiter.ts';
import { createMemoryRateLimiter } from '../../../src/security/rate-limit/memory-limiter.ts';
import type { RateLimitTier } from '../../../src/security/rate-limit/tiers.ts';

const tier = (rate: number, periodMs: number, burst: number): RateLimitTier => ({ name: 't', rate, periodMs, burst });

/** The shared buckets (what Redis holds for every node), counting the round trips made to them. */
function sharedBuckets(clock: { now: number }) {
  const inner = createMemoryRateLimiter({ now: () => clock.now });
  const asked: number[] = [];
  const counted: BatchRateLimiter = {
    take: inner.take,
    async takeUpTo(buckets, wanted) {
      asked.push(wanted);
      return inner.takeUpTo(buckets, wanted);
    },
  };
  return { limiter: counted, asked };
}

describe('leasing limiter: several requests charged per round trip', () => {
  const clock = { now: 1_700_000_000_000 };
  const node = (shared: BatchRateLimiter) => leasingLimiter(shared, { now: () => clock.now, leaseMs: 250, maxLease: 64 });
  const busy = tier(6000, 60_000, 1000); // 100/s, burst 1000: leases of up to 64 (a tenth of the burst is 100)
  const buckets: BucketRequest[] = [{ key: 'token:client:svc', tier: busy }, { key: 'token:ip:authenticated:10.0.0.1', tier: busy }];

  test('a caller seen once costs one round trip for one request, as without leases', async () => {
    const shared = sharedBuckets(clock);
    const states = await node(shared.limiter).take(buckets);
    expect(states.map((s) => s.allowed)).toEqual([true, true]);
    expect(shared.asked).toEqual([1]);
  });

  test('a busy caller: the lease doubles while it runs out quickly, so 1000 requests take a handful of round trips', async () => {
    const shared = sharedBuckets(clock);
    const limiter = node(shared.limiter);
    for (let i = 0; i < 300; i += 1) expect((await limiter.take(buckets))[0]!.allowed).toBe(true);
    expect(shared.asked.slice(0, 8)).toEqual([1, 2, 4, 8, 16, 32, 64, 64]);
    expect(shared.asked.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(300);
    expect(shared.asked.length).toBeLessThan(12);
    const trips = shared.asked.length;
    expect((await limiter.take(buckets))[0]!.allowed).toBe(true);
    expect(shared.asked).toHaveLength(trips); // answered from the lease, no round trip
  });

  test('never more than the limit: two nodes leasing from one bucket let through at most its burst', async () => {
    const small = tier(60, 60_000, 100); // leases of at most 10
    const shared = sharedBuckets(clock);
    const one = node(shared.limiter);
    const two = node(shared.limiter);
    const bucket = [{ key: 'token:client:greedy', tier: small }];
    let allowed = 0;
    for (let i = 0; i < 150; i += 1) {
      if ((await (i % 2 ? one : two).take(bucket))[0]!.allowed) allowed += 1;
    }
    expect(allowed).toBeLessThanOrEqual(100);
    expect(allowed).toBeGreaterThanOrEqual(80); // at most one lease per node is left unused
    expect(Math.max(...shared.asked)).toBeLessThanOrEqual(10);
  });

  test('a refused request is never leased: each one asks the shared bucket', async () => {
    const tiny = tier(1, 60_000, 2);
    const shared = sharedBuckets(clock);
    const limiter = node(shared.limiter);
    const bucket = [{ key: 'token:client:slow', tier: tiny }];
    const answers = [];
    for (let i = 0; i < 4; i += 1) answers.push((await limiter.take(bucket))[0]!.allowed);
    expect(answers).toEqual([true, true, false, false]);
    expect(shared.asked).toEqual([1, 1, 1, 1]); // a burst of 2 allows no lease above 1
  });

  test('a lease ends after leaseMs: what is left is given up and the next lease shrinks to what was used', async () => {
    const shared = sharedBuckets(clock);
    const limiter = node(shared.limiter);
    for (let i = 0; i < 7; i += 1) await limiter.take(buckets); // leases 1, 2, 4: the 4 is used up too
    const before = shared.asked.length;
    await limiter.take(buckets); // a lease of 8, one used
    clock.now += 300;
    await limiter.take(buckets); // expired with 7 left: the next one holds 1
    expect(shared.asked.slice(before)).toEqual([8, 1]);
  });

  test('concurrent requests of one caller wait for the lease being fetched instead of each fetching', async () => {
    const shared = sharedBuckets(clock);
    const limiter = node(shared.limiter);
    for (let i = 0; i < 3; i += 1) await limiter.take(buckets); // leases 1 and 2: the next is 4
    const states = await Promise.all(Array.from({ length: 4 }, () => limiter.take(buckets)));
    expect(states.every((s) => s[0]!.allowed)).toBe(true);
    expect(shared.asked).toEqual([1, 2, 4]);
  });

  test('takeAtOnce answers from a live lease only; without one it charges nothing and take() goes to the shared buckets', async () => {
    const shared = sharedBuckets(clock);
    const limiter = node(shared.limiter);
    const bucket = [{ key: 'token:client:at-once', tier: busy }];
    expect(limiter.takeAtOnce!(bucket)).toBeUndefined();
    expect(shared.asked).toEqual([]);
    await limiter.take(bucket); // lease of 1, used at once
    await limiter.take(bucket); // lease of 2: one left
    expect(limiter.takeAtOnce!(bucket)).toEqual([expect.objectContaining({ allowed: true, remaining: 997 })]);
    expect(limiter.takeAtOnce!(bucket)).toBeUndefined(); // used up
    expect(shared.asked).toEqual([1, 2]);
  });

  test('what a caller is told counts the requests its lease still holds', async () => {
    const shared = sharedBuckets(clock);
    const limiter = node(shared.limiter);
    const bucket = [{ key: 'token:client:told', tier: busy }];
    const told: number[] = [];
    for (let i = 0; i < 4; i += 1) told.push((await limiter.take(bucket))[0]!.remaining);
    expect(told).toEqual([999, 998, 997, 996]);
  });
});
