import autocannon from 'autocannon';

import { runPaced } from './paced.ts';
import { percentile, Samples } from './stats.ts';
import type { LoadResult, Window } from './types.ts';

/** One fixed request, repeated: the stateless scenarios (client credentials, introspection). */
export interface FixedRequest {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

/**
 * A warm-up run whose numbers are thrown away (JIT, connection set-up, caches), then the
 * measured run, both with keep-alive connections. Only 2xx responses count as done. With
 * `window.rate`, the load is a steady one of that many requests per second (paced.ts),
 * after at least 2 s of it: the pacing client's own first second has tails of tens of ms.
 */
export async function runAutocannon(request: FixedRequest, window: Window): Promise<LoadResult> {
  const { rate } = window;
  if (rate !== undefined) {
    await runPaced(request, { connections: window.concurrency, durationMs: Math.max(window.warmupMs, 2000), rate });
    return runPaced(request, { connections: window.concurrency, durationMs: window.durationMs, rate });
  }
  if (window.warmupMs > 0) await once(request, window.concurrency, window.warmupMs);
  return once(request, window.concurrency, window.durationMs);
}

function once(request: FixedRequest, connections: number, durationMs: number): Promise<LoadResult> {
  const latencies = new Samples();
  let firstError: string | undefined;
  return new Promise((resolve, reject) => {
    const instance = autocannon({
      url: request.url,
      method: request.method,
      headers: request.headers,
      ...(request.body !== undefined ? { body: request.body } : {}),
      connections,
      pipelining: 1,
      duration: durationMs / 1000,
      // autocannon stops on its sampling tick; 100 ms keeps short runs close to their length.
      sampleInt: 100,
      timeout: 10,
    }, (err, result) => {
      if (err) return reject(err);
      const ops = result['2xx'];
      const errors = result.non2xx + result.errors + result.timeouts;
      const values = latencies.values();
      resolve({
        ops, errors, seconds: result.duration, rate: ops / result.duration,
        p50Ms: percentile(values, 50), p99Ms: percentile(values, 99),
        ...(firstError ? { firstError } : {}),
      });
    });
    // Our own latency record: autocannon's histogram keeps whole milliseconds, too coarse
    // for endpoints that answer in one or two.
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) latencies.push(ms);
      else firstError ??= `HTTP ${status} from ${request.method} ${new URL(request.url).pathname}`;
    });
    instance.on('reqError', (err: Error) => { firstError ??= err.message; });
  });
}
