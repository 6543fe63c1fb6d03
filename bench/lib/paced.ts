import { performance } from 'node:perf_hooks';

import type { FixedRequest } from './autocannon.ts';
import { httpClient } from './http.ts';
import { percentile, Samples } from './stats.ts';
import type { LoadResult } from './types.ts';

/**
 * A steady offered load: request i is due at start + i / rate, whatever the server does,
 * over a pool of keep-alive connections (a request finding them all busy waits for one).
 * Latency counts from when a request was due, not from when it went out, so a server that
 * falls behind is charged for the queue it builds (no coordinated omission).
 *
 * autocannon's own rate option lets each connection send its whole second's share at full
 * speed and then wait for the next second: at "half of peak" the server sees full load half
 * of the time, and the p99 is that of full load.
 */
export async function runPaced(request: FixedRequest, options: { connections: number; durationMs: number; rate: number }): Promise<LoadResult> {
  const { connections, durationMs, rate } = options;
  const url = new URL(request.url);
  const http = httpClient(url.origin, connections);
  const path = `${url.pathname}${url.search}`;
  const latencies = new Samples();
  let ops = 0;
  let errors = 0;
  let firstError: string | undefined;
  const inFlight = new Set<Promise<void>>();

  const send = (dueAt: number) => {
    const done = http.send(request.method, path, request.headers, request.body).then((res) => {
      if (res.status >= 200 && res.status < 300) {
        ops += 1;
        latencies.push(performance.now() - dueAt);
      } else {
        errors += 1;
        firstError ??= `HTTP ${res.status} from ${request.method} ${url.pathname}`;
      }
    }, (err: Error) => {
      errors += 1;
      firstError ??= err.message;
    }).finally(() => inFlight.delete(done));
    inFlight.add(done);
  };

  const intervalMs = 1000 / rate;
  const start = performance.now();
  const total = Math.floor((durationMs / 1000) * rate);
  let sent = 0;
  try {
    while (sent < total) {
      const now = performance.now();
      // Everything due by now goes out; then sleep until the next one is due.
      while (sent < total && start + sent * intervalMs <= now) {
        send(start + sent * intervalMs);
        sent += 1;
      }
      // Never less than a timer tick: spinning would take a core from the server under test,
      // and a request sent up to a millisecond late is charged for it anyway.
      const wait = start + sent * intervalMs - performance.now();
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.floor(wait))));
    }
    await Promise.all(inFlight);
  } finally {
    http.close();
  }
  const seconds = (performance.now() - start) / 1000;
  const values = latencies.values();
  return {
    ops, errors, seconds, rate: ops / seconds, p50Ms: percentile(values, 50), p99Ms: percentile(values, 99),
    ...(firstError ? { firstError } : {}),
  };
}
