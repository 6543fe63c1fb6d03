import { AsyncLocalStorage } from 'node:async_hooks';
import { setFlagsFromString } from 'node:v8';

/**
 * V8's old generation grows to several times its live size before a full collection (the
 * factor adapts to how fast the collector runs, up to 4). Where short-lived request state
 * gets promoted, a worker's memory climbs far above its live heap for garbage alone; a
 * fixed, lower growth factor makes full collections come sooner. Under token load that
 * once took a worker to 290 MB; since the dependency patches and with pretenuring off
 * (below) hardly anything is promoted there, and 60 and 0 measure alike (README, "Memory"),
 * so this stays as a bound for workloads that do promote. Unlike a heap cap
 * (--max-old-space-size) it never makes a process run out of memory: a heap that really
 * holds more just grows. 0 leaves V8's own heuristic.
 */
export function heapGrowthFlag(percent: number): string | undefined {
  return percent > 0 ? `--heap-growing-percent=${percent}` : undefined;
}

/**
 * V8 watches, per allocation site, how many of its objects survive a young-generation
 * collection, and once most do, allocates that site's objects straight into the old
 * generation ("pretenuring"). Under full load many requests are in flight at every
 * collection, so the sites of per-request objects (response headers, the response itself)
 * get pretenured, and stay so when the load drops: every request then leaves its headers
 * to the next full collection, which comes every few seconds and pauses the event loop for
 * 10–20 ms. Without pretenuring those objects die young (measured: promotion per
 * collection 0.3 MB → none, full collections 5 → 2 in the same run, CPU per request under
 * full load unchanged or lower).
 */
export function pretenuringFlag(enabled: boolean): string | undefined {
  return enabled ? undefined : '--no-allocation-site-pretenuring';
}

/**
 * The flags cannot be given in NODE_OPTIONS, so each process sets them for itself before it
 * does any work (cluster workers run main.ts too).
 */
export function tuneHeap(
  options: { growthPercent: number; pretenuring: boolean },
  setFlags: (flags: string) => void = setFlagsFromString,
): void {
  for (const flag of [heapGrowthFlag(options.growthPercent), pretenuringFlag(options.pretenuring)]) {
    if (flag) setFlags(flag);
  }
}

/** The cores a process has to itself: all of them, or its share among cluster workers. */
export function coreShare(cores: number, workers: number): number {
  return Math.max(1, Math.ceil(cores / Math.max(1, workers)));
}

/**
 * The size of libuv's thread pool unless UV_THREADPOOL_SIZE says otherwise: a thread per
 * core of the process's share for password hashing, and one more that hashing never takes
 * (hashingSlots), for the pool's short work: ES256/RS256 signing, DNS look-ups, file reads.
 * Node's default is 4 threads whatever the machine. Each thread that hashes keeps its
 * argon2id work area (19 MiB) afterwards, as glibc holds it for that thread, and hashes
 * beyond the cores only share them: on two cores, 3 threads hold about 112 MB where 4 hold
 * 131, for the same hashes a second within the VM's noise.
 */
export function threadPoolSize(cores: number, workers: number): number {
  return coreShare(cores, workers) + 1;
}

/** How many argon2id hashes may run at once: the process's cores, leaving a pool thread free. */
export function hashingSlots(poolSize: number, cores: number, workers: number): number {
  return Math.max(1, Math.min(coreShare(cores, workers), poolSize - 1));
}

/** libuv's pool size for a UV_THREADPOOL_SIZE value, read as libuv reads it (atoi; 0 is 1; at most 1024). */
export function poolSizeOf(value: string | undefined): number {
  if (value === undefined) return 4;
  const n = Number.parseInt(value, 10) || 0;
  if (n === 0) return 1;
  return n < 0 ? 1024 : Math.min(n, 1024);
}

export const CONTEXT_FRAME_FLAG = '--experimental-async-context-frame';

/**
 * node-oidc-provider keeps the current request in an AsyncLocalStorage. On Node 22 that
 * store is carried by promise hooks by default: every promise created, resolved or awaited
 * calls into JavaScript to copy the store and number the promise. A token request creates
 * about a hundred promises, and the hooks cost about a fifth of its instructions (measured
 * with `npm run bench:instructions`). With async context frames (Node 24's default, behind
 * CONTEXT_FRAME_FLAG on Node 22) V8 carries the store itself and no hook runs.
 */
export function contextFramesActive(): boolean {
  // Node's hook-based AsyncLocalStorage has a `_propagate` method (the promise hook's
  // work); the frame-based one has none.
  return !('_propagate' in AsyncLocalStorage.prototype);
}

export interface RuntimeFacts {
  nodeMajor: number;
  /** The Node options this process was started with (process.execArgv). */
  execArgv: readonly string[];
  framesActive: boolean;
  /** process.execve exists (Node 22.15 and later). */
  canExec: boolean;
}

export const runtimeFacts = (): RuntimeFacts => ({
  nodeMajor: Number(process.versions.node.split('.')[0]), execArgv: process.execArgv,
  framesActive: contextFramesActive(), canExec: typeof process.execve === 'function',
});

/**
 * The Node options to start this process again with, so that AsyncLocalStorage runs on
 * context frames, or undefined when there is nothing to do: frames are already on, the
 * operator turned them off (ASYNC_CONTEXT_FRAME=off), Node 24 or later (where the flag no
 * longer exists and frames are the default unless turned off there), or no execve. The flag
 * being present already means the restart happened, so this never loops.
 */
export function contextFrameRestart(enabled: boolean, facts: RuntimeFacts): string[] | undefined {
  if (!enabled || facts.framesActive || facts.nodeMajor >= 24 || !facts.canExec || facts.execArgv.includes(CONTEXT_FRAME_FLAG)) {
    return undefined;
  }
  return [CONTEXT_FRAME_FLAG, ...facts.execArgv];
}
