import { fileURLToPath } from 'node:url';

import { freePort, spawnServer, waitUntilReady, type Spawned } from './processes.ts';
import { RssSampler } from './rss.ts';
import type { Target } from './types.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

/**
 * Variables Gatehouse reads that the bench decides itself, so that a developer's shell
 * (NODE_ENV=production, a TTL override, a different seed) cannot skew one side of the
 * comparison. MONGODB_URI is deliberately passed through: when it is set, Gatehouse is
 * measured with its production storage.
 */
const CONTROLLED = /^(PORT|HOST|ISSUER|NODE_ENV|REDIS_URL|GATEHOUSE_\w+|LOG_LEVEL|TRUST_PROXY|API_SCOPES|\w+_TTL|ARGON2_\w+|COOKIE_KEYS|SECRET_PEPPER|RATE_LIMIT\w*|LOGIN_\w+|HEAP_\w+|UV_THREADPOOL_SIZE)$/;

/**
 * Every load comes from one address with a handful of clients, which the default tiers
 * would throttle within seconds. The limiter stays on (its Redis round trip is part of
 * what is measured) with tiers no scenario can reach.
 */
const UNREACHABLE_TIERS = ['default', 'authenticated', 'premium'].map((t) => `${t}:1000000/s:1000000`).join(',');

// Fixed, bench-only secrets: Gatehouse would otherwise make random ones and say so.
const COOKIE_KEY = 'bench-cookie-key-not-a-secret-0123456789abcdef';
const PEPPER = 'bench-pepper-not-a-secret-0123456789abcdefgh';

export interface GatehouseOptions {
  redisUrl: string;
  seed: string;
  /** Extra environment, e.g. GATEHOUSE_WORKERS. */
  env?: Record<string, string>;
  name?: string;
  /** Runs the server under this command (e.g. valgrind and its options: bench/instructions.ts). */
  wrap?: readonly string[];
}

/** The command line of a server process, under `wrap` if one is given. */
function commandOf(script: string, wrap: readonly string[] = []): [string, string[]] {
  return wrap.length ? [wrap[0]!, [...wrap.slice(1), process.execPath, script]] : [process.execPath, [script]];
}

/** A server under valgrind starts some fifty times slower. */
const readyTimeout = (wrap?: readonly string[]) => (wrap?.length ? 300_000 : 30_000);

/** Gatehouse exactly as users run it: `node src/main.ts` in its own process, on a free port. */
export async function startGatehouse(options: GatehouseOptions): Promise<Target> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!CONTROLLED.test(k)) env[k] = v;
  Object.assign(env, {
    PORT: String(port), HOST: '127.0.0.1', ISSUER: url, REDIS_URL: options.redisUrl,
    GATEHOUSE_SEED: options.seed, LOG_LEVEL: 'warn', COOKIE_KEYS: COOKIE_KEY, SECRET_PEPPER: PEPPER, RATE_LIMIT_TIERS: UNREACHABLE_TIERS,
    ...(process.env.MONGODB_URI && !process.env.MONGODB_DATABASE ? { MONGODB_DATABASE: 'gatehouse_bench' } : {}),
    ...options.env,
  });
  const spawned = spawnServer(...commandOf('src/main.ts', options.wrap), { cwd: REPO_ROOT, env });
  return ready(options.name ?? 'gatehouse', spawned, url, readyTimeout(options.wrap));
}

/** The bare node-oidc-provider (bench/baseline/server.ts) with the same seed. */
export async function startBaseline(seed = fixture('seed-jwt.json'), wrap?: readonly string[]): Promise<Target> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, PORT: String(port), BENCH_SEED: seed };
  const spawned = spawnServer(...commandOf('bench/baseline/server.ts', wrap), { cwd: REPO_ROOT, env });
  return ready('baseline', spawned, url, readyTimeout(wrap));
}

async function ready(name: string, spawned: Spawned, url: string, timeoutMs: number): Promise<Target> {
  await waitUntilReady(spawned, `${url}/.well-known/openid-configuration`, timeoutMs);
  const pid = spawned.child.pid!;
  const sampler = new RssSampler(pid).start();
  return {
    name,
    url,
    pid,
    peakRssMb: (from, to) => sampler.peakMb(from, to),
    peakProcessRssMb: (from, to) => sampler.peakMb(from, to, 'process'),
    samples: () => sampler.samples,
    async stop() {
      sampler.stop();
      await spawned.stop();
    },
  };
}
