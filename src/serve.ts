import cluster from 'node:cluster';

import { AggregatorRegistry } from 'prom-client';

import { READY_MESSAGE, runPrimary } from './cluster.ts';
import { describeStorage, type Config } from './config/index.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { unpatchedDependencies } from './dependency-patches.ts';
import { contextFramesActive, tuneHeap } from './process-tuning.ts';
import { startGatehouse, type Running } from './server.ts';

/**
 * The process once main.ts has its configuration: stores → app → listen; graceful shutdown
 * on SIGTERM/SIGINT. With GATEHOUSE_WORKERS above 1 this process becomes the cluster
 * primary instead.
 */
export async function serve(config: Config): Promise<void> {
  tuneHeap({ growthPercent: config.heapGrowthPercent, pretenuring: config.heapPretenuring });
  const logger = createLogger(config.logLevel, { format: config.logFormat });
  if (config.workers > 1 && cluster.isPrimary) return runPrimary(config, logger);

  let running: Running;
  try {
    running = await startGatehouse(config, logger, { metricsListener: !cluster.isWorker });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    logger.fatal({ err: reason }, 'gatehouse could not start');
    process.stderr.write(`gatehouse: could not start: ${reason}\n`);
    process.exit(1);
  }
  if (cluster.isWorker) {
    // The primary answers /metrics for all workers: constructing an AggregatorRegistry is
    // what makes prom-client answer its metric requests here, from these registries.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([running.metrics.registry]);
    process.send?.(READY_MESSAGE);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    running.close().then(
      () => { logger.info('stopped'); process.exit(0); },
      (err: unknown) => { logger.error({ err }, 'shutdown failed'); process.exit(1); },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Last: whoever reads the banner may signal at once, and the handlers are in place.
  if (!cluster.isWorker || process.env.GATEHOUSE_WORKER_INDEX === '1') printBanner(config, running, logger);
}

function printBanner(config: Config, running: Running, logger: Logger): void {
  const storage = describeStorage(config);
  const asyncContext = contextFramesActive() ? 'frames' : 'promise hooks';
  logger.info({ issuer: config.issuer, listening: running.url, storage, workers: config.workers, async_context: asyncContext }, 'gatehouse is ready');
  const lines = [
    '',
    `  Gatehouse is running. Issuer: ${config.issuer}`,
    `  Discovery:  ${config.issuer}/.well-known/openid-configuration`,
    `  Storage:    durable data in ${storage.durable}; sessions and tokens in ${storage.ephemeral}`,
  ];
  if (config.workers > 1) lines.push(`  Workers:    ${config.workers} (node:cluster)`);
  if (running.seeded) {
    lines.push(`  Seeded from ${config.seedPath}:`);
    for (const c of running.seeded.clients) lines.push(`    client   ${c.client_id}${c.client_name ? ` (${c.client_name})` : ''}`);
    for (const r of running.seeded.resource_servers) lines.push(`    resource ${r.identifier} (${r.access_token_format} access tokens)`);
    for (const a of running.seeded.accounts) lines.push(`    account  ${a.email}${config.seedPath?.endsWith('dev-seed.json') ? ' (demo password in config/dev-seed.json)' : ''}`);
  }
  if (running.stores.durable === 'memory' || running.stores.ephemeral === 'memory') {
    lines.push('', '  WARNING: memory storage keeps nothing across restarts (accounts, clients, sessions,',
      '  tokens and signing keys are lost on exit). Set MONGODB_URI and REDIS_URL for real use.');
  }
  if (config.workers > 1 && running.stores.durable === 'memory') {
    lines.push('  WARNING: without MONGODB_URI every worker keeps its own clients, grants, refresh tokens,',
      '  accounts and signing keys: sign-in, refresh and JWTs do not work across workers.');
  }
  const unpatched = unpatchedDependencies(running.provider.context);
  if (unpatched.length > 0) {
    logger.warn({ unpatched }, 'dependency patches are missing (installed with --ignore-scripts?)');
    lines.push(`  WARNING: the dependency patches are missing (${unpatched.join(', ')}): was npm ci run with`,
      '  --ignore-scripts? Gatehouse works, but collects garbage more often (scripts/patch-dependencies.ts).');
  }
  if (config.asyncContextFrame && asyncContext !== 'frames') {
    logger.warn({ node: process.versions.node }, 'AsyncLocalStorage runs on promise hooks: async context frames were asked for but are not available');
    lines.push(`  WARNING: AsyncLocalStorage runs on promise hooks (Node ${process.versions.node} could not be restarted with`,
      '  async context frames): each request costs about a fifth more instructions. See ASYNC_CONTEXT_FRAME in the README.');
  }
  if (config.mongodbUri && config.keys.encryptionKeys.length === 0) {
    lines.push('  WARNING: KEY_ENCRYPTION_KEYS is not set: signing keys are stored in MongoDB unencrypted.');
  }
  // Behind a TLS-terminating proxy the requests arrive as http: without TRUST_PROXY the
  // session cookies go out without Secure, and browsers drop the __Host- / __Secure- ones.
  if (config.issuer.startsWith('https:') && config.trustProxy === 0 && !config.mtls.tls) {
    lines.push('  WARNING: ISSUER is https but TRUST_PROXY is 0: if TLS ends at a proxy in front, set TRUST_PROXY',
      '  to the number of proxies, or browsers drop the session cookies and nobody can sign in.');
  }
  if (config.ephemeralSecrets) {
    lines.push('  WARNING: COOKIE_KEYS / SECRET_PEPPER are not set: random ones were made for this process.');
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
}

