import cluster, { type Worker } from 'node:cluster';

import { AggregatorRegistry } from 'prom-client';

import type { Config } from './config/index.ts';
import type { Logger } from './observability/logger.ts';
import { listenForMetrics } from './observability/metrics-endpoint.ts';

export const READY_MESSAGE = 'gatehouse:ready';

/**
 * The primary of `GATEHOUSE_WORKERS`: forks the workers (they share the listening port
 * through node:cluster and all state through Redis/MongoDB), replaces a worker that dies
 * after it was ready, stops everything on SIGTERM/SIGINT, and serves the workers'
 * aggregated metrics on METRICS_PORT. A worker that fails before it is ready (bad seed,
 * unreachable backend) fails the whole start: retrying it would only fail again.
 */
export async function runPrimary(config: Config, logger: Logger): Promise<void> {
  // Workers must agree on cookie keys, the pepper and the DPoP nonce secret, even generated ones.
  const env = {
    COOKIE_KEYS: config.cookieKeys.join(','), SECRET_PEPPER: config.secretPepper,
    DPOP_NONCE_SECRET: config.dpop.nonceSecret.toString('base64url'),
  };
  const ready = new Set<number>();
  let stopping = false;

  const fork = (index: number): Worker => {
    const worker = cluster.fork({ ...env, GATEHOUSE_WORKER_INDEX: String(index) });
    worker.on('message', (message: unknown) => {
      if (message !== READY_MESSAGE) return;
      ready.add(worker.id);
      if (ready.size === config.workers) logger.info({ workers: config.workers }, 'all workers ready');
    });
    worker.on('exit', (code, signal) => {
      const wasReady = ready.delete(worker.id);
      if (stopping) return;
      if (!wasReady) {
        logger.fatal({ worker: index, code }, 'a worker failed to start; stopping');
        stop(1);
        return;
      }
      logger.error({ worker: index, code, signal }, 'worker died; starting a replacement');
      setTimeout(() => fork(index), 1000).unref();
    });
    return worker;
  };

  const stop = (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    if (workers.length === 0) process.exit(exitCode);
    let alive = workers.length;
    for (const worker of workers) {
      worker.once('exit', () => { alive -= 1; if (alive === 0) process.exit(exitCode); });
      worker.process.kill('SIGTERM');
    }
  };
  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => stop(0));

  for (let index = 1; index <= config.workers; index += 1) fork(index);
  logger.info({ workers: config.workers }, 'started workers');

  if (config.metrics.port !== undefined) {
    const aggregator = new AggregatorRegistry();
    await listenForMetrics({
      contentType: aggregator.contentType,
      body: async () => (await aggregator.clusterMetrics()) as string,
    }, { port: config.metrics.port, host: config.metrics.host });
  }
}
