import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One sample: when, the resident set of the whole process tree, and of its largest process. */
export interface RssSample {
  at: number;
  kb: number;
  /** The largest single process (a node:cluster worker, say); equals `kb` for one process. */
  maxKb: number;
  processes: number;
}

/**
 * Resident set size of a process and all its descendants (node:cluster workers are
 * children of the primary, and a multi-process Gatehouse must be charged for all of
 * them). Linux: walks /proc/<pid>/task/<tid>/children and reads only the tree's own
 * status files, synchronously — a scan of all of /proc costs ~14 ms of CPU, which the
 * load generator would lose four times a second. Elsewhere: one `ps` call per sample.
 */
export async function treeRss(pid: number): Promise<{ kb: number; maxKb: number; processes: number } | undefined> {
  const tree = existsSync('/proc/self/status') ? linuxTree(pid) : await psTree(pid);
  if (!tree.length) return undefined;
  return { kb: tree.reduce((n, p) => n + p.rssKb, 0), maxKb: Math.max(...tree.map((p) => p.rssKb)), processes: tree.length };
}

/** Pids of the descendants of `pid` (to stop stragglers of a cluster). */
export async function descendants(pid: number): Promise<number[]> {
  const tree = existsSync('/proc/self/status') ? linuxTree(pid) : await psTree(pid);
  return tree.map((p) => p.pid).filter((p) => p !== pid);
}

interface Proc { pid: number; rssKb: number }

function linuxTree(root: number): Proc[] {
  const out: Proc[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.pop()!;
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      out.push({ pid, rssKb: Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0) });
      // A child is listed under the thread that forked it, so every thread is read.
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const children = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
        if (children) queue.push(...children.split(/\s+/).map(Number));
      }
    } catch { /* exited while we looked: it has no RSS any more */ }
  }
  return out;
}

async function psTree(root: number): Promise<Proc[]> {
  const { stdout } = await run('ps', ['-A', '-o', 'pid=,ppid=,rss=']);
  const rows = stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  const out: Proc[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.pop()!;
    const row = rows.find((r) => r[0] === pid);
    if (!row) continue;
    out.push({ pid, rssKb: row[2] ?? 0 });
    for (const r of rows) if (r[1] === pid && r[0] !== undefined) queue.push(r[0]);
  }
  return out;
}

/** Samples a process tree every `intervalMs` until stopped; answers peaks over time ranges. */
export class RssSampler {
  readonly samples: RssSample[] = [];
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  readonly pid: number;
  readonly intervalMs: number;

  constructor(pid: number, intervalMs = 250) {
    this.pid = pid;
    this.intervalMs = intervalMs;
  }

  start(): this {
    const tick = async () => {
      if (this.#busy) return; // a slow /proc scan must not pile up
      this.#busy = true;
      try {
        const rss = await treeRss(this.pid);
        if (rss) this.samples.push({ at: Date.now(), ...rss });
      } finally {
        this.#busy = false;
      }
    };
    void tick();
    this.#timer = setInterval(() => void tick(), this.intervalMs);
    this.#timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /**
   * Highest sample (MB) with fromMs ≤ at ≤ toMs, of the whole tree or of its largest
   * single process; undefined when none fell inside.
   */
  peakMb(fromMs: number, toMs: number, of: 'tree' | 'process' = 'tree'): number | undefined {
    let peak = -1;
    for (const s of this.samples) {
      const kb = of === 'tree' ? s.kb : s.maxKb;
      if (s.at >= fromMs && s.at <= toMs && kb > peak) peak = kb;
    }
    return peak < 0 ? undefined : peak / 1024;
  }
}
