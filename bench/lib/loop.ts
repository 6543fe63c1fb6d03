import { performance } from 'node:perf_hooks';

import { percentile, Samples } from './stats.ts';
import type { LoadResult, Window } from './types.ts';

/**
 * One operation of one chain (a refresh rotation, a whole sign-in, a login). Throws on
 * failure. May return the milliseconds it spent on untimed bookkeeping (replacing a
 * grant), which are taken out of that operation's latency.
 */
export type Step = () => Promise<void | number>;

/**
 * Runs each chain's step back to back (a closed loop: a chain starts its next operation
 * when the previous one ends), for the scenarios autocannon cannot drive because each
 * request depends on the previous answer. Operations that started during the warm-up or
 * ended after the window are not counted; latency is measured here, per operation.
 */
export async function runLoop(chains: readonly Step[], window: Window): Promise<LoadResult> {
  const latencies = new Samples();
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now() + window.warmupMs;
  const end = start + window.durationMs;

  async function chain(step: Step) {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        const untimedMs = (await step()) ?? 0;
        const t1 = performance.now();
        if (t0 >= start && t1 <= end) latencies.push(t1 - t0 - untimedMs);
      } catch (err) {
        const t1 = performance.now();
        if (t0 >= start && t1 <= end) {
          errors += 1;
          firstError ??= err instanceof Error ? err.message : String(err);
        }
        // A failing server answers fast; do not turn the bench into a busy loop.
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  }

  await Promise.all(chains.map(chain));
  const seconds = window.durationMs / 1000;
  const values = latencies.values();
  return {
    ops: values.length, errors, seconds, rate: values.length / seconds,
    p50Ms: percentile(values, 50), p99Ms: percentile(values, 99),
    ...(firstError ? { firstError } : {}),
  };
}
