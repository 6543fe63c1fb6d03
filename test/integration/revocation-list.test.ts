import type { Redis } from 'ioredis';

import { createMemoryRevocationList, RevocationListUnavailableError, type RevocationList } from '../../src/stores/revocation-list.ts';
import { createRedisRevocationList } from '../../src/stores/revocation-list-redis.ts';
import { connectTestRedis, deleteKeysWithPrefix, keysWithPrefix, testKeyPrefix } from '../support/redis.ts';

const T = 1_750_000_000; // a fixed "now", epoch seconds

/** The same behaviour from every backend (the memory one runs on a fake clock). */
function contract(name: string, make: (now: () => number) => RevocationList) {
  describe(`revocation list contract (${name})`, () => {
    let nowMs = T * 1000;
    let list: RevocationList;
    beforeEach(() => {
      nowMs = T * 1000;
      list = make(() => nowMs);
    });

    test('a denied jti is revoked; others are not', async () => {
      await list.denyToken('jti-1', T + 600);
      expect(await list.isRevoked({ jti: 'jti-1', clientId: 'c', iat: T })).toBe(true);
      expect(await list.isRevoked({ jti: 'jti-2', clientId: 'c', iat: T })).toBe(false);
    });

    test('an already expired token is not worth an entry', async () => {
      await list.denyToken('gone', T - 1);
      expect(await list.isRevoked({ jti: 'gone', iat: T - 600 })).toBe(false);
    });

    test('a revoked client: tokens issued before or in the same second are revoked, later ones are not', async () => {
      await list.revokeIssuedBefore({ kind: 'client', clientId: 'svc' }, T, 3600);
      expect(await list.isRevoked({ clientId: 'svc', iat: T - 100 })).toBe(true);
      expect(await list.isRevoked({ clientId: 'svc', iat: T })).toBe(true);
      expect(await list.isRevoked({ clientId: 'svc', iat: T + 1 })).toBe(false);
      expect(await list.isRevoked({ clientId: 'other', iat: T - 100 })).toBe(false);
    });

    test('a revoked account covers its tokens at every client, issued up to T', async () => {
      await list.revokeIssuedBefore({ kind: 'account', accountId: 'ada' }, T, 3600);
      expect(await list.isRevoked({ sub: 'ada', clientId: 'web', iat: T - 1 })).toBe(true);
      expect(await list.isRevoked({ sub: 'ada', clientId: 'spa', iat: T - 1 })).toBe(true);
      expect(await list.isRevoked({ sub: 'ada', clientId: 'spa', iat: T + 1 })).toBe(false);
      expect(await list.isRevoked({ sub: 'grace', clientId: 'web', iat: T - 1 })).toBe(false);
    });

    test('a denied grant covers every token carrying it, whenever issued; other grants are untouched', async () => {
      await list.denyGrant('g-1', T + 3600);
      expect(await list.isRevoked({ grant: 'g-1', sub: 'ada', clientId: 'web', iat: T + 10 })).toBe(true);
      expect(await list.isRevoked({ grant: 'g-2', sub: 'ada', clientId: 'web', iat: T - 10 })).toBe(false);
    });

    test('a later revocation wins over an earlier one, never the other way round', async () => {
      const scope = { kind: 'client', clientId: 'svc' } as const;
      await list.revokeIssuedBefore(scope, T + 10, 3600);
      await list.revokeIssuedBefore(scope, T, 3600); // e.g. another node with a slower clock
      expect(await list.isRevoked({ clientId: 'svc', iat: T + 5 })).toBe(true);
    });

    test('ids are encoded: a client "a:b" and a client "a" do not share an entry', async () => {
      await list.revokeIssuedBefore({ kind: 'client', clientId: 'a:b' }, T, 3600);
      await list.denyToken('x:y', T + 60);
      expect(await list.isRevoked({ clientId: 'a', iat: T - 1 })).toBe(false);
      expect(await list.isRevoked({ clientId: 'a:b', iat: T - 1 })).toBe(true);
      expect(await list.isRevoked({ jti: 'x', iat: T - 1 })).toBe(false);
    });

    test('a token without iat under a revoked scope is revoked (fail closed)', async () => {
      await list.revokeIssuedBefore({ kind: 'client', clientId: 'svc' }, T, 3600);
      expect(await list.isRevoked({ clientId: 'svc' })).toBe(true);
    });
  });
}

contract('memory', (now) => createMemoryRevocationList(now));

describe('memory revocation list', () => {
  test('entries end with their time to live', async () => {
    let nowMs = T * 1000;
    const list = createMemoryRevocationList(() => nowMs);
    await list.denyToken('j', T + 60);
    await list.revokeIssuedBefore({ kind: 'client', clientId: 'svc' }, T, 120);
    nowMs += 61_000;
    expect(await list.isRevoked({ jti: 'j', iat: T })).toBe(false);
    expect(await list.isRevoked({ clientId: 'svc', iat: T })).toBe(true);
    nowMs += 60_000;
    expect(await list.isRevoked({ clientId: 'svc', iat: T })).toBe(false);
  });
});

describe('Redis revocation list', () => {
  let redis: Redis;
  const prefix = testKeyPrefix('revoked');
  beforeAll(async () => { redis = await connectTestRedis(); });
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  contract('redis', (now) => createRedisRevocationList(redis, { prefix: `${prefix}${Math.random().toString(36).slice(2)}:`, now }));

  test('every entry has a TTL that covers what it must, and no more', async () => {
    const own = `${prefix}ttl:`;
    const nowMs = Date.now();
    const list = createRedisRevocationList(redis, { prefix: own, now: () => nowMs });
    await list.denyToken('j', Math.floor(nowMs / 1000) + 600);
    await list.revokeIssuedBefore({ kind: 'account', accountId: 'ada' }, Math.floor(nowMs / 1000), 3600);
    const keys = await keysWithPrefix(redis, own);
    expect(keys.sort()).toEqual([`${own}account:ada`, `${own}jti:j`]);
    const jtiTtl = await redis.ttl(`${own}jti:j`);
    expect(jtiTtl).toBeGreaterThan(590);
    expect(jtiTtl).toBeLessThanOrEqual(601);
    expect(await redis.ttl(`${own}account:ada`)).toBeGreaterThan(3590);
  });

  test('a closed connection fails closed: isRevoked throws, it never answers "not revoked"', async () => {
    const gone = await connectTestRedis();
    gone.disconnect();
    const list = createRedisRevocationList(gone, { prefix });
    await expect(list.isRevoked({ jti: 'x', clientId: 'c', iat: 1 })).rejects.toBeInstanceOf(RevocationListUnavailableError);
  });
});
