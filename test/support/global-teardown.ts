import type { TestRedisGlobal } from './global-setup.ts';

/** Stops the throwaway redis-server that global-setup.ts started, if it started one. */
export default async function globalTeardown(): Promise<void> {
  const state = globalThis as TestRedisGlobal;
  await state.__gatehouseTestRedis?.stop();
  delete state.__gatehouseTestRedis;
}
