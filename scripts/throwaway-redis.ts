import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

/**
 * Development tooling shared by the tests (test/support/global-setup.ts) and the
 * benchmarks (bench/lib/redis.ts): a free loopback port, and a throwaway `redis-server`
 * without persistence, so neither ever writes into someone's real Redis.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** One raw RESP PING, over TCP or a Unix socket; true on +PONG. */
function pong(where: { port: number } | { path: string }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection('path' in where ? where : { host: '127.0.0.1', port: where.port }, () => socket.write('PING\r\n'));
    socket.setTimeout(500, () => { socket.destroy(); resolve(false); });
    socket.once('data', (data) => { socket.destroy(); resolve(data.toString().startsWith('+PONG')); });
    socket.once('error', () => resolve(false));
  });
}

export interface ThrowawayRedis {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `redis-server` on a free port and waits (up to 5 s) until it answers PING.
 * `who` names the caller in the error that says how to install Redis. With `socket`
 * (a path), it listens on that Unix socket only, and `url` is a `unix:` one.
 */
export async function startThrowawayRedis(who: string, options: { socket?: string } = {}): Promise<ThrowawayRedis> {
  const port = options.socket ? 0 : await freePort();
  const listen = options.socket ? ['--unixsocket', options.socket, '--unixsocketperm', '700'] : ['--bind', '127.0.0.1'];
  const where = options.socket ? { path: options.socket } : { port };
  const url = options.socket ? `unix://${options.socket}` : `redis://127.0.0.1:${port}`;
  const child = spawn('redis-server', [
    '--port', String(port), ...listen, '--save', '', '--appendonly', 'no', '--daemonize', 'no',
  ], { stdio: 'ignore' });
  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once('error', resolve);
    child.once('spawn', () => resolve(undefined));
  });
  if (spawned) {
    throw new Error(`${who} need Redis: set REDIS_URL, or install redis-server (apt-get install -y redis-server). (${spawned.message})`);
  }
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  for (let i = 0; i < 100; i++) {
    if (await pong(where)) return { url, child, stop };
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode} on ${url}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server on ${url} did not answer PING within 5 s`);
}
