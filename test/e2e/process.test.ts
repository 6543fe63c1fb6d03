import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as oidc from 'openid-client';

import { threadPoolSize } from '../../src/process-tuning.ts';
import { freePort } from '../support/gatehouse.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

interface Exit { code: number | null; stdout: string; stderr: string; pid: number | undefined }

/** Runs `node src/main.ts` as `npm start` does, with only the given environment. */
function run(env: Record<string, string>, until?: (stdout: string) => boolean | Promise<boolean>): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH!, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    let done = false;
    child.stdout.on('data', async (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!done && until && await until(stdout)) {
        done = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, pid: child.pid });
    });
  });
}

describe('the gatehouse process', () => {
  test('starts with no configuration, prints what it seeded and warns, then stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const exit = await run({ PORT: String(port) }, (out) => out.includes('signing keys are lost'));
    expect(exit.stdout).toContain(`Issuer: http://localhost:${port}`);
    expect(exit.stdout).toContain('client   demo-app (Gatehouse Demo App)');
    expect(exit.stdout).toContain('client   demo-service (Gatehouse Demo Service)');
    expect(exit.stdout).toContain('account  demo@gatehouse.local');
    expect(exit.stdout).toContain('WARNING: memory storage keeps nothing across restarts');
    expect(exit.stdout).not.toContain('demo-service-secret');
    expect(exit.stdout).not.toContain('gatehouse-demo');
    expect(exit.code).toBe(0);
  });

  /** The "gatehouse is ready" log line (LOG_LEVEL=info). */
  const readyLine = (stdout: string) => JSON.parse(stdout.split('\n').find((l) => l.includes('gatehouse is ready'))!) as { pid: number; async_context: string };
  const nodeMajor = Number(process.versions.node.split('.')[0]);

  test('runs AsyncLocalStorage on async context frames (restarted in place on Node 22), and serves tokens there', async () => {
    const port = await freePort();
    let introspected: oidc.IntrospectionResponse | undefined;
    let commandLine: string[] | undefined;
    let asked = false;
    const exit = await run({ PORT: String(port), LOG_LEVEL: 'info' }, async (out) => {
      // Output that arrives while the requests below are under way must not start them again.
      if (asked || !out.includes('signing keys are lost')) return false;
      asked = true;
      if (existsSync('/proc/self/cmdline')) commandLine = readFileSync(`/proc/${readyLine(out).pid}/cmdline`, 'utf8').split('\0');
      // node-oidc-provider reads the current request from its AsyncLocalStorage while it issues and looks up tokens.
      const service = await oidc.discovery(new URL(`http://localhost:${port}`), 'demo-service',
        'demo-service-secret-DEMO-ONLY-do-not-use-in-production', undefined, { execute: [oidc.allowInsecureRequests] });
      const tokens = await oidc.clientCredentialsGrant(service, { scope: 'api:read' });
      introspected = await oidc.tokenIntrospection(service, tokens.access_token);
      return true;
    });
    expect(exit.code).toBe(0);
    expect(introspected).toMatchObject({ active: true, client_id: 'demo-service', scope: 'api:read' });
    const ready = readyLine(exit.stdout);
    expect(ready.async_context).toBe('frames');
    expect(ready.pid).toBe(exit.pid); // the same process: execve, not a child
    if (commandLine && nodeMajor < 24) expect(commandLine).toContain('--experimental-async-context-frame');
    expect(exit.stdout).not.toContain('runs on promise hooks');
  });

  test('ASYNC_CONTEXT_FRAME=off leaves Node\'s default (promise hooks on Node 22)', async () => {
    const port = await freePort();
    const exit = await run({ PORT: String(port), LOG_LEVEL: 'info', ASYNC_CONTEXT_FRAME: 'off' }, (out) => out.includes('signing keys are lost'));
    expect(exit.code).toBe(0);
    expect(readyLine(exit.stdout).async_context).toBe(nodeMajor >= 24 ? 'frames' : 'promise hooks');
    expect(exit.stdout).not.toContain('runs on promise hooks'); // asked for: no warning
  });

  /** How many threads libuv's pool runs in `pid` (each is named after libuv), once it has run work. */
  const poolThreads = (pid: number) => readdirSync(`/proc/${pid}/task`).filter((task) => {
    try {
      return readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').startsWith('libuv');
    } catch {
      return false; // a thread that ended since the listing
    }
  }).length;

  (existsSync('/proc/self/task') ? test : test.skip)('runs libuv\'s thread pool with a thread per core and one more, unless UV_THREADPOOL_SIZE says otherwise', async () => {
    const counts: number[] = [];
    for (const env of [{}, { UV_THREADPOOL_SIZE: '3' }] as Record<string, string>[]) {
      // The demo account's password and the dummy hash are hashed on the pool before the banner.
      const exit = await run({ PORT: String(await freePort()), LOG_LEVEL: 'info', ...env }, (out) => {
        if (!out.includes('signing keys are lost')) return false;
        counts.push(poolThreads(readyLine(out).pid));
        return true;
      });
      expect(exit.code).toBe(0);
    }
    expect(counts).toEqual([threadPoolSize(availableParallelism(), 1), 3]);
  });

  test('an https issuer without TRUST_PROXY is warned about (behind a proxy, browsers would drop the session cookies)', async () => {
    const port = await freePort();
    const https = await run({ PORT: String(port), ISSUER: 'https://id.example.test' }, (out) => out.includes('signing keys are lost'));
    expect(https.stdout).toContain('WARNING: ISSUER is https but TRUST_PROXY is 0');
    const proxied = await run({ PORT: String(await freePort()), ISSUER: 'https://id.example.test', TRUST_PROXY: '1' }, (out) => out.includes('signing keys are lost'));
    expect(proxied.stdout).not.toContain('TRUST_PROXY is 0');
  });

  test('a bad variable stops the start with a message naming it', async () => {
    const exit = await run({ ACCESS_TOKEN_TTL: '-1' });
    expect(exit.code).toBe(78);
    expect(exit.stderr).toContain('ACCESS_TOKEN_TTL must be a positive whole number of seconds');
  });

  test('an unreachable Redis is retried for a bounded time, then the start fails naming it', async () => {
    const port = await freePort();
    const exit = await run({ PORT: String(port), REDIS_URL: `redis://127.0.0.1:${await freePort()}`, STARTUP_TIMEOUT_SECONDS: '1' });
    expect(exit.code).toBe(1);
    expect(exit.stdout + exit.stderr).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+\/? did not answer within 1 s/);
  });

  test('an invalid seed stops the start naming the file, the entry and the field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-seed-'));
    const seed = join(dir, 'seed.json');
    await writeFile(seed, JSON.stringify({
      clients: [{ client_id: 'web', client_secret: 'a-secret-that-is-long-enough-0123456789', redirect_uris: ['not a url'] }],
    }));
    const exit = await run({ PORT: String(await freePort()), GATEHOUSE_SEED: seed });
    expect(exit.code).toBe(1);
    const output = exit.stdout + exit.stderr;
    expect(output).toContain(seed);
    expect(output).toContain('clients[0]');
    expect(output).toContain('redirect_uris');
    expect(output).not.toContain('a-secret-that-is-long-enough');
  });

  test('GATEHOUSE_WORKERS above 1 without Redis is refused', async () => {
    const exit = await run({ GATEHOUSE_WORKERS: '2' });
    expect(exit.code).toBe(78);
    expect(exit.stderr).toContain('GATEHOUSE_WORKERS above 1 needs REDIS_URL');
  });

  test('GATEHOUSE_WORKERS=2 serves from two worker processes sharing Redis, and stops on SIGTERM', async () => {
    const port = await freePort();
    const pids = new Set<number>();
    let checked = false;
    const exit = await run({ PORT: String(port), GATEHOUSE_WORKERS: '2', REDIS_URL: process.env.REDIS_URL!, LOG_LEVEL: 'info' }, async (out) => {
      if (checked || !out.includes('all workers ready')) return false;
      checked = true;
      // Fresh connections, so the cluster can hand them to either worker.
      for (let i = 0; i < 20 && pids.size < 2; i += 1) {
        await new Promise<void>((resolve, reject) => {
          request({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => { res.resume(); res.on('end', resolve); })
            .on('error', reject).end();
        });
        for (const line of out.split('\n')) {
          if (line.includes('"route":"/healthz"')) pids.add((JSON.parse(line) as { pid: number }).pid);
        }
      }
      return true;
    });
    const served = new Set(exit.stdout.split('\n').filter((l) => l.includes('"route":"/healthz"')).map((l) => (JSON.parse(l) as { pid: number }).pid));
    expect(served.size).toBe(2);
    expect(exit.stdout).toContain('Workers:    2 (node:cluster)');
    // Workers are forked with the primary's Node options, so they run on frames from the start.
    expect(readyLine(exit.stdout).async_context).toBe('frames');
    expect(exit.code).toBe(0);
  });
});
