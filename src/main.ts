import { availableParallelism } from 'node:os';

import { ConfigError, loadConfig, type Config } from './config/index.ts';
import { contextFrameRestart, runtimeFacts, threadPoolSize } from './process-tuning.ts';

/**
 * Process entry: reads the configuration, then starts serving (serve.ts). On Node 22 it
 * first starts itself again in place with async context frames (process-tuning.ts), before
 * any of the application is loaded: same process id, arguments and environment, so a
 * supervisor, a container runtime or a cluster primary sees one process.
 */
function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`gatehouse: configuration error: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

const config = configOrExit();
// Read by libuv when the pool first runs work, which nothing has done yet; cluster workers
// and the restart below inherit it.
process.env.UV_THREADPOOL_SIZE ??= String(threadPoolSize(availableParallelism(), config.workers));
const restart = contextFrameRestart(config.asyncContextFrame, runtimeFacts());
if (restart) {
  try {
    process.execve?.(process.execPath, [process.execPath, ...restart, ...process.argv.slice(1)], process.env);
  } catch (err) {
    // Not fatal: this process goes on with promise hooks, and its banner says so.
    process.stderr.write(`gatehouse: could not restart with async context frames: ${err instanceof Error ? err.message : String(err)}\n`);
  }
}
const { serve } = await import('./serve.ts');
await serve(config);
