import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { FixedRequest } from './autocannon.ts';
import type { LoadResult, Window } from './types.ts';

/**
 * wrk (C, one event loop per thread) spends a fraction of the CPU per request that
 * autocannon (Node.js) does. Where the load generator competes for the cores with what is
 * measured, as when two Gatehouse workers share two cores with it, that difference is the
 * result: the bench uses wrk there when it is installed (Debian: `apt-get install wrk`).
 */
export function wrkInstalled(): boolean {
  const probe = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  return probe.error === undefined && /wrk/.test(`${probe.stdout}${probe.stderr}`);
}

/** A Lua string literal: JSON's escapes are Lua's for ASCII text, which is all a bench request holds. */
function luaString(value: string): string {
  if (/[^\x20-\x7e]/.test(value)) throw new Error('wrk requests are built from printable ASCII only');
  return JSON.stringify(value);
}

/** The script: the fixed request, and a summary line wrk prints at the end. */
function script(request: FixedRequest): string {
  return [
    `wrk.method = ${luaString(request.method)}`,
    ...(request.body !== undefined ? [`wrk.body = ${luaString(request.body)}`] : []),
    ...Object.entries(request.headers).map(([name, value]) => `wrk.headers[${luaString(name)}] = ${luaString(value)}`),
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    '  io.write(string.format("GATEHOUSE-BENCH %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,',
    '    e.status, e.connect + e.read + e.write, e.timeout, latency:percentile(50), latency:percentile(99)))',
    'end',
  ].join('\n');
}

/**
 * Like runAutocannon: a warm-up whose numbers are thrown away, then the measured run, with
 * `window.concurrency` keep-alive connections from one wrk thread. Whole seconds only
 * (wrk's -d). Responses of 400 and above, socket errors and timeouts count as errors (wrk
 * counts a 3xx as done; no request the bench sends this way gets one).
 */
export async function runWrk(request: FixedRequest, window: Window): Promise<LoadResult> {
  if (window.rate !== undefined) throw new Error('runWrk offers no paced load: use runAutocannon');
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-wrk-'));
  try {
    const file = join(dir, 'request.lua');
    await writeFile(file, script(request));
    if (window.warmupMs > 0) await once(request.url, file, window.concurrency, window.warmupMs);
    return await once(request.url, file, window.concurrency, window.durationMs);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function once(url: string, scriptFile: string, connections: number, durationMs: number): Promise<LoadResult> {
  const seconds = Math.max(1, Math.round(durationMs / 1000));
  const args = ['-t', '1', '-c', String(connections), '-d', `${seconds}s`, '--timeout', '10s', '-s', scriptFile, url];
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`wrk failed: ${stderr.trim() || err.message}`));
      const m = /GATEHOUSE-BENCH (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)/.exec(stdout);
      if (!m) return reject(new Error(`wrk printed no summary: ${stdout.trim().slice(-300)}`));
      const [requests, durationUs, status, socket, timeouts, p50Us, p99Us] = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
      const errors = status + socket + timeouts;
      const ops = requests - status;
      const measured = durationUs / 1e6;
      resolve({
        ops, errors, seconds: measured, rate: ops / measured, p50Ms: p50Us / 1000, p99Ms: p99Us / 1000,
        ...(errors > 0 ? { firstError: status > 0 ? `${status} responses of HTTP 400 or above` : `${socket + timeouts} socket errors or timeouts` } : {}),
      });
    });
  });
}
