import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { createMemoryBackend, createMongoBackend, createRedisBackend } from '../../src/stores/adapters/index.ts';
import { describeAdapterContract } from '../support/adapter-contract.ts';
import { connectTestRedis, deleteKeysWithPrefix, testKeyPrefix } from '../support/redis.ts';

/** A clock tests move forward instead of sleeping. */
function fakeClock() {
  let offsetMs = 0;
  return { now: () => Date.now() + offsetMs, advance: async (s: number) => { offsetMs += s * 1000; } };
}

describeAdapterContract('memory adapter contract', async () => {
  const clock = fakeClock();
  return { backend: createMemoryBackend({ now: clock.now }), advance: clock.advance };
});

describe('redis', () => {
  let redis: Redis;
  beforeAll(async () => { redis = await connectTestRedis(); });
  afterAll(async () => { await redis.quit(); });

  describeAdapterContract('redis adapter contract', async () => {
    const prefix = testKeyPrefix('contract');
    return {
      backend: createRedisBackend(redis, { prefix }),
      // Redis expires keys itself, so this one test waits for real (1.1 s).
      advance: (s) => new Promise((resolve) => setTimeout(resolve, s * 1000)),
      cleanup: () => deleteKeysWithPrefix(redis, prefix),
    };
  });
});

const mongoUri = process.env.MONGODB_URI;
if (!mongoUri) {
  console.warn('MongoDB adapter contract SKIPPED: set MONGODB_URI (e.g. mongodb://127.0.0.1:27017) to run it.');
}
describe(mongoUri ? 'mongo' : 'MongoDB adapter contract — SKIPPED: set MONGODB_URI to run', () => {
  let client: MongoClient | undefined;
  const dbName = `gatehouse_test_${randomBytes(4).toString('hex')}`;
  beforeAll(async () => { if (mongoUri) client = await new MongoClient(mongoUri).connect(); });
  afterAll(async () => {
    await client?.db(dbName).dropDatabase();
    await client?.close();
  });

  describeAdapterContract('mongo adapter contract', async () => {
    const clock = fakeClock();
    const collectionPrefix = `t${randomBytes(4).toString('hex')}_`;
    const backend = createMongoBackend(client!.db(dbName), { now: clock.now, collectionPrefix });
    await backend.prepare();
    return { backend, advance: clock.advance };
  }, mongoUri ? describe : describe.skip);
});
