import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

import * as argon2 from 'argon2';

import { runLoop, type Step } from './loop.ts';
import type { Side } from './types.ts';

/** Gatehouse's argon2id defaults (ARGON2_MEMORY_KIB / _TIME_COST / _PARALLELISM). */
export const GATEHOUSE_ARGON2 = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/**
 * What argon2id verification alone allows on this machine: one worker thread per
 * available core, each verifying back to back. No HTTP, no server: the ceiling that a
 * password login can at best reach, and the yardstick of the password-login scenario.
 */
export async function argon2AloneSide(password: string): Promise<Side> {
  const hash = await argon2.hash(password, GATEHOUSE_ARGON2);
  const workers = Array.from({ length: availableParallelism() }, () =>
    new Worker(new URL('./argon2-worker.ts', import.meta.url), { workerData: { hash, password } }));
  const steps: Step[] = workers.map((worker) => {
    let next = 0;
    return () => new Promise<void>((resolve, reject) => {
      const id = next++;
      const onMessage = (m: { id: number; ok: boolean; error?: string }) => {
        if (m.id !== id) return;
        worker.off('message', onMessage);
        if (m.ok) resolve();
        else reject(new Error(m.error ?? 'argon2.verify answered false'));
      };
      worker.on('message', onMessage);
      worker.postMessage(id);
    });
  });
  // Untimed warm-up: the first 19 MiB allocations page-fault until the allocator keeps
  // such blocks around; Gatehouse's process has paid that by the time it is measured.
  for (let i = 0; i < 4; i++) await Promise.all(steps.map((step) => step()));
  return {
    label: `argon2id alone (${workers.length} threads)`,
    run: (window) => runLoop(steps, window),
    close: async () => { await Promise.all(workers.map((w) => w.terminate())); },
  };
}
