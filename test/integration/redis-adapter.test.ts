import type { Redis } from 'ioredis';
import { createRedisBackend } from '../../src/stores/adapters/redis.ts';
import { ConsumeConflictError } from '../../src/stores/types.ts';
import { connectTestRedis, deleteKeysWithPrefix, keysWithPrefix, testKeyPrefix, testRedisUrl } from '../support/redis.ts';

/** Redis-only guarantees the contract suite cannot express: TTLs on every key, connection ownership. */
describe('redis adapter backend', () => {
  let redis: Redis;
  const prefix = testKeyPrefix('redis-adapter');
  beforeAll(async () => { redis = await connectTestRedis(); });
  afterEach(() => deleteKeysWithPrefix(redis, prefix));
  afterAll(async () => { await redis.quit(); });

  it('puts a TTL on every key it writes, index keys included', async () => {
    const backend = createRedisBackend(redis, { prefix, maxTtlSeconds: 600 });
    const a = (m: string) => backend.adapterFor(m);
    await a('Session').upsert('s1', { kind: 'Session', uid: 'u1' }, 30);
    await a('DeviceCode').upsert('d1', { kind: 'DeviceCode', userCode: 'UC1', grantId: 'g1' }, 30);
    await a('AccessToken').upsert('at1', { kind: 'AccessToken', grantId: 'g1' }, 30);
    await a('Interaction').upsert('i1', { kind: 'Interaction' }); // no expiresIn → maxTtlSeconds
    await a('AccessToken').consume('at1');

    const keys = await keysWithPrefix(redis, prefix);
    expect(keys.sort()).toEqual([
      `${prefix}e:AccessToken:at1`, `${prefix}e:DeviceCode:d1`, `${prefix}e:Interaction:i1`, `${prefix}e:Session:s1`,
      `${prefix}grant:g1`, `${prefix}uc:DeviceCode:UC1`, `${prefix}uid:Session:u1`,
    ].sort());
    for (const key of keys) {
      const ttl = await redis.ttl(key);
      expect({ key, positive: ttl > 0, capped: ttl <= 600 }).toEqual({ key, positive: true, capped: true });
    }
    expect(await redis.pttl(`${prefix}e:Session:s1`)).toBeLessThanOrEqual(30_000);
    expect(await redis.pttl(`${prefix}uid:Session:u1`)).toBeLessThanOrEqual(30_000);
    expect(await redis.ttl(`${prefix}e:Interaction:i1`)).toBeGreaterThan(590);
  });

  it('extends the grant set TTL to its longest-lived member, never shortens it', async () => {
    const backend = createRedisBackend(redis, { prefix });
    await backend.adapterFor('AccessToken').upsert('at', { grantId: 'g' }, 60);
    expect(await redis.ttl(`${prefix}grant:g`)).toBeLessThanOrEqual(60);
    await backend.adapterFor('RefreshToken').upsert('rt', { grantId: 'g' }, 3600);
    expect(await redis.ttl(`${prefix}grant:g`)).toBeGreaterThan(3500);
    await backend.adapterFor('AccessToken').upsert('at2', { grantId: 'g' }, 10);
    expect(await redis.ttl(`${prefix}grant:g`)).toBeGreaterThan(3500);
  });

  it('20 consumers on 20 separate connections: exactly one consume succeeds', async () => {
    const backends = Array.from({ length: 20 }, () => createRedisBackend(testRedisUrl(), { prefix }));
    try {
      await backends[0]!.adapterFor('RefreshToken').upsert('rt', { grantId: 'g' }, 60);
      await Promise.all(backends.map((b) => b.ping()));
      const results = await Promise.allSettled(backends.map((b) => b.adapterFor('RefreshToken').consume('rt')));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConsumeConflictError);
    } finally {
      await Promise.all(backends.map((b) => b.close()));
    }
  });

  it('quits a connection it created, leaves a caller-owned one open', async () => {
    const owned = createRedisBackend(testRedisUrl(), { prefix });
    await owned.ping();
    await owned.close();
    await expect(owned.ping()).rejects.toThrow();

    const shared = createRedisBackend(redis, { prefix });
    await shared.close();
    expect(await redis.ping()).toBe('PONG');
  });
});
