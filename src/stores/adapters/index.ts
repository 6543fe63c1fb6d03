export { createMemoryBackend } from './memory.ts';
export type { MemoryBackendOptions } from './memory.ts';
export { createRedisBackend } from './redis.ts';
export type { RedisBackendOptions } from './redis.ts';
export { createMongoBackend } from './mongo.ts';
export type { MongoBackendOptions } from './mongo.ts';
