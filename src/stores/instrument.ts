import type { Adapter } from 'oidc-provider';

import type { AdapterBackend } from './types.ts';

/** Called once per storage operation with its latency; the observability layer records it. */
export type StoreObserver = (backend: string, operation: string, seconds: number) => void;

const OPERATIONS = ['upsert', 'find', 'findByUid', 'findByUserCode', 'consume', 'destroy', 'revokeByGrantId'] as const;

/**
 * Wraps a backend so every adapter call reports its latency (successful or not). The
 * wrapper adds two clock reads and one callback per call to the hot path.
 */
export function instrumentBackend(backend: AdapterBackend, observe: StoreObserver): AdapterBackend {
  return {
    name: backend.name,
    ping: () => backend.ping(),
    prepare: () => backend.prepare(),
    close: () => backend.close(),
    adapterFor(model) {
      const inner = backend.adapterFor(model);
      const timed = {} as Adapter;
      for (const operation of OPERATIONS) {
        const call = inner[operation].bind(inner) as (...args: unknown[]) => Promise<unknown>;
        // Not an async function: the caller gets the backend's own promise, timed on the side.
        (timed as unknown as Record<string, unknown>)[operation] = (...args: unknown[]) => {
          const started = process.hrtime.bigint();
          const done = () => observe(backend.name, operation, Number(process.hrtime.bigint() - started) / 1e9);
          let result: Promise<unknown>;
          try {
            result = call(...args);
          } catch (err) {
            done();
            return Promise.reject(err);
          }
          result.then(done, done);
          return result;
        };
      }
      return timed;
    },
  };
}
