import { createServer } from 'node:http';

import { interactions } from './interactions.ts';
import { createBaselineProvider } from './provider.ts';
import { loadSeed } from './seed.ts';

/**
 * Entry of the baseline process (started by bench/lib/targets.ts): PORT and BENCH_SEED
 * in, "listening" out. Its own process, so its RSS is sampled apart from the bench's.
 */
const port = Number(process.env.PORT ?? 0);
const seedPath = process.env.BENCH_SEED;
if (!seedPath) throw new Error('BENCH_SEED must name the bench seed file');

const issuer = `http://127.0.0.1:${port}`;
const seed = await loadSeed(seedPath);
const provider = createBaselineProvider(issuer, seed);
provider.use(interactions(provider, seed.accounts));

const server = createServer(provider.callback());
server.listen(port, '127.0.0.1', () => process.stdout.write(`baseline listening on ${issuer}\n`));

const stop = () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
