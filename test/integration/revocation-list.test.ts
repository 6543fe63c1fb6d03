import type { Redis } from 'ioredis';

import { createMemoryRevocationList, RevocationListUnavailableError, type RevocationList } from '../../src/stores/revocation-list.ts';
import { createRedisRevocationList, type RedisRevocationList } from '../../src/stores/revocation-list-redis.ts';
import { connectTestRedis, deleteKeysWithPrefix, keysWithPrefix, testKeyPrefix } from '../support/redis.ts';

const T = 1_750_000_000; // a fixed "now", epoch seconds

/** The same behaviour from every backend (the memory one runs on a fake clock). */
function contract(name: string, make: (now: () => number) => RevocationList | Promise<RevocationList>) {
  describe(`revocation list contract (${name})`, () => {
    let nowMs = T * 1000;
    let list: RevocationList;
    beforeEach(async () => {
      nowMs = T * 1000;
      list = await make(() => nowMs);
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

  const own = () => `${prefix}${Math.random().toString(36).slice(2)}:`;
  contract('redis', (now) => createRedisRevocationList(redis, { prefix: own(), now }));

  const mirrored: RedisRevocationList[] = [];
  /** A node's list with its own copy (its announcements' channel is the prefix). */
  function mirroredList(listPrefix: string, options: { now?: () => number; heartbeatMs?: number; name?: string } = {}) {
    const list = createRedisRevocationList(redis, {
      prefix: listPrefix, ...(options.now ? { now: options.now } : {}),
      mirror: { ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}), ...(options.name ? { connectionName: options.name } : {}) },
    });
    mirrored.push(list);
    return list;
  }
  afterAll(() => { for (const list of mirrored) list.close(); });

  // Answers come from the copy here: the contract holds for it as for Redis itself.
  contract('redis, mirrored', async (now) => {
    const list = mirroredList(own(), { now });
    await list.synced();
    return list;
  });

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

describe('Redis revocation list with a copy in each process', () => {
  let redis: Redis;
  const prefix = testKeyPrefix('mirror');
  const lists: RedisRevocationList[] = [];
  let n = 0;
  const node = (options: Parameters<typeof createRedisRevocationList>[1] = {}) => {
    const list = createRedisRevocationList(redis, { prefix: `${prefix}${n}:`, mirror: true, ...options });
    lists.push(list);
    return list;
  };
  const now = () => Math.floor(Date.now() / 1000);
  beforeAll(async () => { redis = await connectTestRedis(); });
  beforeEach(() => { n += 1; });
  afterAll(async () => {
    for (const list of lists) list.close();
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  /** Polls `check` until it holds (a revocation reaches the other node in milliseconds), failing after 3 s. */
  async function eventually(check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 3000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('not within 3 s');
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  test('a revocation on one node reaches the copy of another, which then answers without Redis', async () => {
    const [a, b] = [node(), node()];
    await Promise.all([a.synced(), b.synced()]);
    const token = { jti: 'j1', clientId: 'svc', iat: now() };
    await a.denyToken('j1', now() + 600);
    expect(await a.isRevoked(token)).toBe(true); // the writer's own copy, at once
    await eventually(() => b.isRevoked(token));
    // Removed from Redis behind both nodes' backs: B's copy still has it; Redis itself does not.
    await redis.del(`${prefix}${n}:jti:j1`);
    expect(await b.isRevoked(token)).toBe(true);
    expect(await createRedisRevocationList(redis, { prefix: `${prefix}${n}:` }).isRevoked(token)).toBe(false);
  });

  test('a node that starts later reads what was revoked before it, keeping the later T', async () => {
    const a = node();
    await a.revokeIssuedBefore({ kind: 'client', clientId: 'svc' }, now(), 3600);
    await a.denyGrant('g1', now() + 600);
    const b = node();
    await b.synced();
    await redis.del(`${prefix}${n}:client:svc`, `${prefix}${n}:grant:g1`);
    expect(await b.isRevoked({ clientId: 'svc', iat: now() - 5 })).toBe(true);
    expect(await b.isRevoked({ grant: 'g1', clientId: 'web', iat: now() })).toBe(true);
    expect(await b.isRevoked({ clientId: 'svc', iat: now() + 5 })).toBe(false);
  });

  test('a copy that cannot prove itself current within a second is not used: the node reads Redis', async () => {
    let nowMs = Date.now();
    // No heartbeat in this test: the copy is current as of its first read, and then ages.
    const b = node({ now: () => nowMs, mirror: { heartbeatMs: 3_600_000 } });
    await b.synced();
    // An entry the copy never heard of (written without its announcement).
    await redis.set(`${prefix}${n}:jti:unheard`, '1', 'EX', 600);
    const token = { jti: 'unheard', clientId: 'svc', iat: Math.floor(nowMs / 1000) };
    expect(await b.isRevoked(token)).toBe(false);
    nowMs += 1001;
    expect(await b.isRevoked(token)).toBe(true);
  });

  test('the heartbeat proves the copy current again after a pause', async () => {
    let offsetMs = 0;
    const b = node({ now: () => Date.now() + offsetMs });
    await b.synced();
    await redis.set(`${prefix}${n}:jti:unheard`, '1', 'EX', 600);
    const token = { jti: 'unheard', clientId: 'svc', iat: now() };
    offsetMs = 2000; // as if the process had been frozen for two seconds
    expect(await b.isRevoked(token)).toBe(true); // Redis
    await eventually(async () => (await b.isRevoked(token)) === false); // the copy, after a PING sent since
  });

  test('after a lost subscription the copy is read afresh, and Redis answers meanwhile', async () => {
    const name = `revocations-test-${process.pid}-${n}`;
    const b = node({ mirror: { connectionName: name } });
    await b.synced();
    await redis.set(`${prefix}${n}:jti:unheard`, '1', 'EX', 600);
    const token = { jti: 'unheard', clientId: 'svc', iat: now() };
    expect(await b.isRevoked(token)).toBe(false);
    const clients = (await redis.client('LIST')) as string;
    const id = clients.split('\n').find((line) => line.includes(` name=${name} `))?.match(/^id=(\d+)/)?.[1];
    expect(id).toBeDefined();
    await redis.client('KILL', 'ID', id!);
    await eventually(async () => (await b.isRevoked(token)) === true);
    await b.synced();
    await redis.del(`${prefix}${n}:jti:unheard`);
    expect(await b.isRevoked(token)).toBe(true); // from the copy read after the reconnect
  });
});

