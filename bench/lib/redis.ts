import { startThrowawayRedis } from '../../scripts/throwaway-redis.ts';

export interface BenchRedis {
  url: string;
  /** True when the bench started this redis-server (and so stops it). */
  owned: boolean;
  stop(): Promise<void>;
}

/**
 * Like the tests (test/support/global-setup.ts): REDIS_URL if set, else a throwaway
 * `redis-server` on a free port without persistence, stopped at the end. A throwaway
 * server keeps the bench's millions of tokens out of anyone's real Redis.
 */
export async function openRedis(env: NodeJS.ProcessEnv = process.env): Promise<BenchRedis> {
  if (env.REDIS_URL) return { url: env.REDIS_URL, owned: false, stop: async () => {} };
  const redis = await startThrowawayRedis('The bench');
  process.once('exit', () => redis.child.kill('SIGKILL'));
  return { url: redis.url, owned: true, stop: redis.stop };
}
