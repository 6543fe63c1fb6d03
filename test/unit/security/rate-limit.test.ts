import { Redis } from 'ioredis';

import { loadConfig } from '../../../src/config/index.ts';
import type { BatchRateLimiter, RateLimiter } from '../../../src/security/rate-limit/gcra.ts';
import { createMemoryRateLimiter } from '../../../src/security/rate-limit/memory-limiter.ts';
import { createRedisRateLimiter } from '../../../src/security/rate-limit/redis-limiter.ts';
import { cachedTierLookup } from '../../../src/security/rate-limit/tier-cache.ts';
import { DEFAULT_TIERS, parseTiers, type RateLimitTier } from '../../../src/security/rate-limit/tiers.ts';
import { connectTestRedis, deleteKeysWithPrefix, testKeyPrefix } from '../../support/redis.ts';

const tier = (rate: number, periodMs: number, burst: number, name = 't'): RateLimitTier => ({ name, rate, periodMs, burst });

describe('RATE_LIMIT_TIERS', () => {
  test('the defaults: default 60/min burst 120, authenticated 1000/min burst 3000, premium 10000/min burst 30000', () => {
    expect(parseTiers(undefined)).toEqual({
      default: tier(60, 60_000, 120, 'default'),
      authenticated: tier(1000, 60_000, 3000, 'authenticated'),
      premium: tier(10_000, 60_000, 30_000, 'premium'),
    });
  });

  test('given tiers replace the default of that name or add a tier; burst defaults to the rate', () => {
    const tiers = parseTiers(' default:5/s:10, partner:100/h ');
    expect(tiers.default).toEqual(tier(5, 1000, 10, 'default'));
    expect(tiers.partner).toEqual(tier(100, 3_600_000, 100, 'partner'));
    expect(tiers.authenticated).toEqual(DEFAULT_TIERS.authenticated);
  });

  test.each([
    ['default:60', 'is not name:rate/unit[:burst]'],
    ['default:60/day', 'is not name:rate/unit[:burst]'],
    ['default:0/min', 'needs a rate and a burst of at least 1'],
    ['a b:1/s', 'is not name:rate/unit[:burst]'],
    ['x:1/s,x:2/s', 'tier "x" is given twice'],
  ])('%s is refused at start, naming the variable', (value, why) => {
    expect(() => loadConfig({ RATE_LIMIT_TIERS: value })).toThrow(`RATE_LIMIT_TIERS: `);
    expect(() => loadConfig({ RATE_LIMIT_TIERS: value })).toThrow(why);
  });

  test('RATE_LIMITS is on or off', () => {
    expect(loadConfig({}).rateLimits.enabled).toBe(true);
    expect(loadConfig({ RATE_LIMITS: 'off' }).rateLimits.enabled).toBe(false);
    expect(() => loadConfig({ RATE_LIMITS: 'no' })).toThrow('RATE_LIMITS must be one of on, off (got "no")');
  });
});

/** A limiter and a clock to move, for each implementation. */
type Setup = () => Promise<{ limiter: BatchRateLimiter; clock: { now: number }; done: () => Promise<void> }>;

const memory: Setup = async () => {
  const clock = { now: 1_700_000_000_000 };
  return { limiter: createMemoryRateLimiter({ now: () => clock.now }), clock, done: async () => {} };
};

const redis: Setup = async () => {
  const client = await connectTestRedis();
  const prefix = testKeyPrefix('rl');
  const clock = { now: 1_700_000_000_000 };
  const limiter = createRedisRateLimiter(client, { prefix, now: () => clock.now });
  return { limiter, clock, done: async () => { await deleteKeysWithPrefix(client, prefix); await client.quit(); } };
};

describe.each([['memory', memory], ['redis', redis]] as const)('GCRA limiter (%s)', (_name, setup) => {
  let s: Awaited<ReturnType<Setup>>;
  beforeEach(async () => { s = await setup(); });
  afterEach(() => s.done());

  // 2 per minute, burst 3: one request comes back every 30 s.
  const t = tier(2, 60_000, 3);

  test('a full bucket takes `burst` requests at once, then refuses until one comes back', async () => {
    const take = async () => (await s.limiter.take([{ key: 'a', tier: t }]))[0]!;
    expect(await take()).toEqual({ allowed: true, limit: 3, remaining: 2, resetMs: 30_000, nextMs: 30_000 });
    expect(await take()).toEqual({ allowed: true, limit: 3, remaining: 1, resetMs: 60_000, nextMs: 30_000 });
    expect(await take()).toEqual({ allowed: true, limit: 3, remaining: 0, resetMs: 90_000, nextMs: 30_000 });
    expect(await take()).toEqual({ allowed: false, limit: 3, remaining: 0, resetMs: 90_000, nextMs: 30_000 });

    s.clock.now += 20_000;
    expect(await take()).toEqual({ allowed: false, limit: 3, remaining: 0, resetMs: 70_000, nextMs: 10_000 });
    s.clock.now += 10_000;
    expect(await take()).toEqual({ allowed: true, limit: 3, remaining: 0, resetMs: 90_000, nextMs: 30_000 });

    s.clock.now += 90_000; // full again
    expect(await take()).toEqual({ allowed: true, limit: 3, remaining: 2, resetMs: 30_000, nextMs: 30_000 });
  });

  test('all or nothing: when one bucket is out of room, no bucket is charged', async () => {
    const small = tier(1, 60_000, 1);
    await s.limiter.take([{ key: 'ip', tier: small }]);
    const refused = await s.limiter.take([{ key: 'client', tier: t }, { key: 'ip', tier: small }]);
    expect(refused.map((r) => r.allowed)).toEqual([true, false]);
    // The client bucket still has its whole burst.
    expect((await s.limiter.take([{ key: 'client', tier: t }]))[0]).toMatchObject({ allowed: true, remaining: 2 });
  });

  test('buckets are independent by key', async () => {
    const one = tier(1, 60_000, 1);
    expect((await s.limiter.take([{ key: 'x', tier: one }]))[0]!.allowed).toBe(true);
    expect((await s.limiter.take([{ key: 'y', tier: one }]))[0]!.allowed).toBe(true);
    expect((await s.limiter.take([{ key: 'x', tier: one }]))[0]!.allowed).toBe(false);
  });

  test('takeUpTo charges as many as every bucket has room for, up to the number asked; none when one is full', async () => {
    const wide = tier(60, 60_000, 10);
    const narrow = tier(60, 60_000, 4);
    const both = [{ key: 'w', tier: wide }, { key: 'n', tier: narrow }];
    const first = await s.limiter.takeUpTo(both, 3);
    expect(first.granted).toBe(3);
    expect(first.states.map((x) => [x.allowed, x.remaining])).toEqual([[true, 7], [true, 1]]);
    const second = await s.limiter.takeUpTo(both, 3); // the narrow bucket has room for one
    expect(second.granted).toBe(1);
    expect(second.states.map((x) => x.remaining)).toEqual([6, 0]);
    const third = await s.limiter.takeUpTo(both, 3);
    expect(third.granted).toBe(0);
    expect(third.states.map((x) => [x.allowed, x.remaining])).toEqual([[true, 6], [false, 0]]);
    s.clock.now += 2_000; // two come back to each bucket
    expect((await s.limiter.takeUpTo(both, 5)).granted).toBe(2);
  });

  test('high rates: 10000/min with burst 30000 counts down one by one', async () => {
    const premium = DEFAULT_TIERS.premium!;
    const first = (await s.limiter.take([{ key: 'p', tier: premium }]))[0]!;
    const second = (await s.limiter.take([{ key: 'p', tier: premium }]))[0]!;
    expect([first.remaining, second.remaining]).toEqual([29_999, 29_998]);
    expect(second.nextMs).toBe(6);
  });
});

describe('Redis limiter across processes', () => {
  let a: Redis;
  let b: Redis;
  const prefix = testKeyPrefix('rl-shared');
  beforeAll(async () => {
    a = await connectTestRedis();
    b = await connectTestRedis();
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(a, prefix);
    await Promise.all([a.quit(), b.quit()]);
  });

  test('two limiters on two connections share one bucket (the Redis server clock)', async () => {
    const one = createRedisRateLimiter(a, { prefix });
    const two = createRedisRateLimiter(b, { prefix });
    const t = tier(5, 60_000, 5);
    const take = (limiter: RateLimiter) => limiter.take([{ key: 'shared', tier: t }]).then((r) => r[0]!);
    expect(await take(one)).toMatchObject({ allowed: true, remaining: 4 });
    expect(await take(two)).toMatchObject({ allowed: true, remaining: 3 });
    expect(await take(one)).toMatchObject({ allowed: true, remaining: 2 });
    expect(await take(two)).toMatchObject({ allowed: true, remaining: 1 });
    expect(await take(two)).toMatchObject({ allowed: true, remaining: 0 });
    expect(await take(one)).toMatchObject({ allowed: false, remaining: 0 });
  });

  test('concurrent requests through both: exactly the burst is allowed', async () => {
    const one = createRedisRateLimiter(a, { prefix });
    const two = createRedisRateLimiter(b, { prefix });
    const t = tier(1, 3_600_000, 10);
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? one : two).take([{ key: 'race', tier: t }])));
    expect(results.filter(([r]) => r!.allowed)).toHaveLength(10);
  });

  test('a bucket key expires when the bucket is full again', async () => {
    const limiter = createRedisRateLimiter(a, { prefix });
    await limiter.take([{ key: 'ttl', tier: tier(1, 60_000, 2) }]);
    const ttl = await a.pttl(`${prefix}ttl`);
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  test('an unreachable Redis makes take() fail fast (the middleware then fails open)', async () => {
    const { freePort } = await import('../../../scripts/throwaway-redis.ts');
    const closed = new Redis(`redis://127.0.0.1:${await freePort()}`, {
      enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null,
    });
    closed.on('error', () => {});
    const limiter = createRedisRateLimiter(closed, { prefix });
    const started = Date.now();
    await expect(limiter.take([{ key: 'x', tier: tier(1, 1000, 1) }])).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1000);
    closed.disconnect();
  });
});

describe('tier cache', () => {
  test('a tier is loaded once per id, known without waiting once loaded, and loaded again after ttlMs', async () => {
    const clock = { now: 0 };
    const loads: string[] = [];
    const lookup = cachedTierLookup(async (id) => {
      loads.push(id);
      return id === 'vip' ? 'gold' : null;
    }, { ttlMs: 1000, now: () => clock.now });
    expect(lookup.known!('vip')).toBeUndefined();
    const [a, b] = await Promise.all([lookup('vip'), lookup('vip')]);
    expect([a, b, lookup.known!('vip')]).toEqual(['gold', 'gold', 'gold']);
    expect(await lookup('ghost')).toBeNull();
    expect(lookup.known!('ghost')).toBeNull(); // an unknown id is remembered as such
    clock.now = 1000;
    expect(lookup.known!('vip')).toBeUndefined();
    await lookup('vip');
    expect(loads).toEqual(['vip', 'ghost', 'vip']);
  });

  test('a failed load is not remembered', async () => {
    let fail = true;
    const lookup = cachedTierLookup(async () => {
      if (fail) throw new Error('store down');
      return 'gold';
    });
    await expect(lookup('svc')).rejects.toThrow('store down');
    expect(lookup.known!('svc')).toBeUndefined();
    fail = false;
    expect(await lookup('svc')).toBe('gold');
  });
});
