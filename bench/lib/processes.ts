import { spawn, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';

import { descendants } from './rss.ts';

/** A server that did not come up; `detail` is the tail of what it printed. */
export class StartError extends Error {
  readonly detail: string;
  /** Which Gatehouse variant (variants.ts) refused to start, when it was one. */
  variant?: string;
  constructor(message: string, detail: string) {
    super(detail ? `${message}: ${detail}` : message);
    this.name = 'StartError';
    this.detail = detail;
  }
}

export { freePort } from '../../scripts/throwaway-redis.ts';

export interface Spawned {
  child: ChildProcess;
  /** Last few KB of stdout+stderr: why it failed, when it does. */
  output(): string;
  stop(): Promise<void>;
}

/** Every child the bench started, so an interrupted run still stops them (by pid). */
const live = new Set<ChildProcess>();
process.once('exit', () => { for (const c of live) c.kill('SIGKILL'); });

/** Starts `command args` with its output kept in a small ring (never inherited: it would garble the table). */
export function spawnServer(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Spawned {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let tail = '';
  const keep = (chunk: Buffer) => { tail = (tail + chunk.toString('utf8')).slice(-4096); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);

  return {
    child,
    output: () => tail.trim(),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // node:cluster workers: note them first so none outlives its primary.
      const workers = child.pid ? await descendants(child.pid).catch(() => []) : [];
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM'); // Gatehouse's graceful shutdown
      const force = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(force);
      for (const pid of workers) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* already gone, as it should be */ }
      }
    },
  };
}

/** Polls `url` until it answers 200, the process exits, or `timeoutMs` passes. */
export async function waitUntilReady(spawned: Spawned, url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const { child } = spawned;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      // Let the last of its output arrive: that is where it says why.
      await new Promise((r) => setTimeout(r, 50));
      throw new StartError(`exited with ${child.exitCode ?? child.signalCode}`, spawned.output());
    }
    if (await answers200(url)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  await spawned.stop();
  throw new StartError(`did not answer ${url} within ${timeoutMs / 1000} s`, spawned.output());
}

function answers200(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.setTimeout(1000, () => req.destroy());
    req.once('error', () => resolve(false));
  });
}
