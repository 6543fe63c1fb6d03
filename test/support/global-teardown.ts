import type { TestRedisGlobal } from './global-setup.ts';

/** Stops the throwaway redis-server that global-setup.ts started, if it started one. */
export default async function globalTeardown(): Promise<void> {
  const state = globalThis as TestRedisGlobal;
  const child = state.__gatehouseTestRedis;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
  delete state.__gatehouseTestRedis;
}
