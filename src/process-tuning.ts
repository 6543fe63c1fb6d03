import { setFlagsFromString } from 'node:v8';

/**
 * V8's old generation grows to several times its live size before a full collection (the
 * factor adapts to how fast the collector runs, up to 4). Under token load the live heap
 * stays small while short-lived request state keeps being promoted, so a worker's memory
 * climbs to about 1.5× the baseline's for garbage alone. A fixed, lower growth factor makes
 * full collections come sooner. Unlike a heap cap (--max-old-space-size) it never makes a
 * process run out of memory: a heap that really holds more just grows.
 *
 * The flag cannot be given in NODE_OPTIONS, so each process sets it for itself before it
 * does any work (cluster workers run main.ts too). 0 leaves V8's own heuristic.
 */
export function heapGrowthFlag(percent: number): string | undefined {
  return percent > 0 ? `--heap-growing-percent=${percent}` : undefined;
}

export function tuneHeapGrowth(percent: number, setFlags: (flags: string) => void = setFlagsFromString): void {
  const flag = heapGrowthFlag(percent);
  if (flag) setFlags(flag);
}
