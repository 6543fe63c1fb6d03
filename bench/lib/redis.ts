import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';

import { freePort } from './processes.ts';

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
  const port = await freePort();
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no',
  ], { stdio: 'ignore' });
  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once('error', resolve);
    child.once('spawn', () => resolve(undefined));
  });
  if (spawned) {
    throw new Error(`The bench needs Redis: set REDIS_URL, or install redis-server (apt-get install -y redis-server). (${spawned.message})`);
  }
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  process.once('exit', () => child.kill('SIGKILL'));
  for (let i = 0; i < 100; i++) {
    if (await pong(port)) return { url: `redis://127.0.0.1:${port}`, owned: true, stop };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(`redis-server on port ${port} did not answer PING`);
}

/** One raw RESP PING; true on +PONG. */
function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => socket.write('PING\r\n'));
    socket.setTimeout(500, () => { socket.destroy(); resolve(false); });
    socket.once('data', (data) => { socket.destroy(); resolve(data.toString().startsWith('+PONG')); });
    socket.once('error', () => resolve(false));
  });
}
