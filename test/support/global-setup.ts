import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

/**
 * Tests get their own Redis: REDIS_URL if set, else a throwaway `redis-server` on a free
 * port (no persistence), else a failure that says how to get one. Workers inherit
 * process.env.REDIS_URL; global-teardown.ts stops the server started here.
 */
export interface TestRedisGlobal {
  __gatehouseTestRedis?: ChildProcess;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
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

export default async function globalSetup(): Promise<void> {
  if (process.env.REDIS_URL) return;
  const port = await freePort();
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no',
  ], { stdio: 'ignore' });
  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once('error', resolve);
    child.once('spawn', () => resolve(undefined));
  });
  if (spawned) {
    throw new Error(
      `Tests need Redis: set REDIS_URL, or install redis-server (apt-get install -y redis-server). (${spawned.message})`,
    );
  }
  for (let i = 0; i < 100 && !(await pong(port)); i++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode} on port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!(await pong(port))) {
    child.kill('SIGKILL');
    throw new Error(`redis-server on port ${port} did not answer PING within 5 s`);
  }
  (globalThis as TestRedisGlobal).__gatehouseTestRedis = child;
  process.env.REDIS_URL = `redis://127.0.0.1:${port}`;
}
