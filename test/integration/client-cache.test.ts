import type { Redis } from 'ioredis';
import type { Adapter } from 'oidc-provider';

import { createMemoryBackend } from '../../src/stores/adapters/memory.ts';
import { withClientCache } from '../../src/stores/client-cache.ts';
import { createRedisInvalidationBus, type InvalidationBus } from '../../src/stores/invalidation-bus.ts';
import { connectTestRedis, testKeyPrefix } from '../support/redis.ts';

/** Two Gatehouse nodes' client caches over one shared durable store and one real Redis. */
describe('client metadata cache with Redis invalidation', () => {
  let redis: Redis;
  let busA: InvalidationBus;
  let busB: InvalidationBus;
  let reads: number;
  let nodeA: Adapter;
  let nodeB: Adapter;

  beforeEach(async () => {
    redis = await connectTestRedis();
    const prefix = testKeyPrefix('invalidate');
    busA = createRedisInvalidationBus(redis, prefix);
    busB = createRedisInvalidationBus(redis, prefix);
    const shared = createMemoryBackend().adapterFor('Client');
    reads = 0;
    const counted: Adapter = { ...shared, find: (id) => { reads += 1; return shared.find(id); } };
    nodeA = withClientCache(counted, { bus: busA });
    nodeB = withClientCache(counted, { bus: busB });
    await Promise.all([busA.ready(), busB.ready()]);
  });
  afterEach(async () => {
    await Promise.all([busA.close(), busB.close()]);
    redis.disconnect();
  });

  /** Resolves when node A has received the next invalidation for `id`. */
  const nextInvalidationAtA = (id: string) => new Promise<void>((resolve) => {
    busA.subscribe('Client', (changed) => { if (changed === id) resolve(); });
  });

  test('reads hit the store once per client, unknown ids included, and callers get their own copies', async () => {
    await nodeA.upsert('web', { client_id: 'web', client_name: 'Web' } as never);
    const first = await nodeA.find('web');
    (first as Record<string, unknown>).client_name = 'mutated by a caller';
    expect(await nodeA.find('web')).toMatchObject({ client_name: 'Web' });
    expect(await nodeA.find('nobody')).toBeUndefined();
    expect(await nodeA.find('nobody')).toBeUndefined();
    expect(reads).toBe(2);
  });

  test('a change on one node drops the entry on every node', async () => {
    await nodeA.upsert('svc', { client_id: 'svc', client_name: 'v1' } as never);
    expect(await nodeA.find('svc')).toMatchObject({ client_name: 'v1' });

    const seen = nextInvalidationAtA('svc');
    await nodeB.upsert('svc', { client_id: 'svc', client_name: 'v2' } as never);
    await seen;
    expect(await nodeA.find('svc')).toMatchObject({ client_name: 'v2' });

    const gone = nextInvalidationAtA('svc');
    await nodeB.destroy('svc');
    await gone;
    expect(await nodeA.find('svc')).toBeUndefined();
  });
});
