import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { runScenario } from '../../bench/lib/compare.ts';
import { describeMachine } from '../../bench/lib/machine.ts';
import { runPaced } from '../../bench/lib/paced.ts';
import { markdownReport, markdownTable, type BenchReport } from '../../bench/lib/report.ts';
import { descendants, treeRss } from '../../bench/lib/rss.ts';
import { ratioChart } from '../../bench/lib/svg.ts';
import { fixture, startBaseline, startGatehouse } from '../../bench/lib/targets.ts';
import type { BenchContext, Scenario, ScenarioResult, Target } from '../../bench/lib/types.ts';
import { runWrk, wrkInstalled } from '../../bench/lib/wrk.ts';
import { ccOpaque } from '../../bench/scenarios/cc-opaque.ts';
import { clientCredentialsRequest } from '../../bench/scenarios/sides.ts';

/**
 * Benchmarks are not tests: nothing here asserts a speed. This proves that the harness
 * works end to end — both servers start as child processes, one scenario runs one short
 * round against each, and the result renders as a table row, Markdown and SVG — so that
 * `npm run bench` cannot rot unnoticed.
 */
describe('bench harness', () => {
  let baseline: Target;
  let gatehouse: Target;

  beforeAll(async () => {
    [baseline, gatehouse] = await Promise.all([
      startBaseline(),
      startGatehouse({ redisUrl: process.env.REDIS_URL!, seed: fixture('seed.json') }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([baseline?.stop(), gatehouse?.stop()]);
  });

  test('measures cc-opaque against the baseline and Gatehouse and reports it', async () => {
    const ctx: BenchContext = {
      baseline,
      gatehouse: async () => gatehouse,
      window: { warmupMs: 200, durationMs: 1000, concurrency: 4 },
    };
    const notYet: Scenario = {
      name: 'not-yet', what: 'a feature Gatehouse lacks', variants: [], targetRatio: 0.9, targetText: '≥ 0.9 × baseline',
      available: async () => 'the feature is missing',
      setup: async () => { throw new Error('setup must not run when unavailable'); },
    };

    const result = await runScenario(ccOpaque, ctx, { rounds: 1, scenarioWarmupMs: 0 }, () => {});
    const unavailable = await runScenario(notYet, ctx, { rounds: 1, scenarioWarmupMs: 0 }, () => {});

    expect(result.failed).toBeUndefined();
    expect(result.rows.map((r) => r.label)).toEqual(['baseline', 'gatehouse']);
    for (const row of result.rows) {
      expect(row.rate).toBeGreaterThan(0);
      expect(row.errors).toBe(0);
      expect(row.p99Ms).toBeGreaterThanOrEqual(row.p50Ms);
      expect(row.peakRssMb).toBeGreaterThan(10);
    }
    expect(result.ratios).toHaveLength(1);
    expect(result.ratio).toBeGreaterThan(0);
    expect(typeof result.meets).toBe('boolean');
    // Token and introspection scenarios also run Gatehouse at a steady half of its peak.
    expect(result.halfPeak).toMatchObject({ offeredRate: Math.round(result.rows[1]!.rate / 2), errors: 0, targetMs: 25 });
    expect(result.halfPeak!.rate).toBeGreaterThan(0);
    expect(result.halfPeak!.p99Ms).toBeGreaterThan(0);
    expect(result.halfPeak!.meets).toBe(result.halfPeak!.p99Ms < 25);
    expect(unavailable).toMatchObject({ unavailable: 'the feature is missing', rows: [] });

    const report: BenchReport = {
      machine: describeMachine(),
      profile: { name: 'test', rounds: 1, scenarioWarmupMs: 0, warmupMs: 200, durationMs: 1000, concurrency: 4 },
      storage: { redis: 'REDIS_URL', mongodb: false },
      startedAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
      scenarios: [result, unavailable],
    };
    const table = markdownTable(report.scenarios).split('\n');
    expect(table[0]).toBe('| scenario | target | req/s | p50 ms | p99 ms | peak RSS MB | ratio | target ratio | met |');
    expect(table[2]).toMatch(/^\| cc-opaque \| baseline \| \d+ \| [\d.]+ \| [\d.]+ \| \d+ \|  \|  \|  \|$/);
    expect(table[3]).toMatch(/^\| cc-opaque \| gatehouse \| \d+ \| [\d.]+ \| [\d.]+ \| \d+ \| [\d.]+ \| ≥ 0\.9 × baseline \| (✅ yes|❌ no) \|$/);
    expect(table[4]).toBe('| not-yet | not yet available in Gatehouse | | | | | | ≥ 0.9 × baseline | |');
    expect(markdownReport(report)).toContain('Not yet available in Gatehouse: the feature is missing.');
    expect(markdownReport(report)).toMatch(/## Latency at half of peak\n\n\| scenario \| offered req\/s \(half of peak\) \| served req\/s \| p99 ms \| target \| met \|\n\| --- \| ---: \| ---: \| ---: \| --- \| --- \|\n\| cc-opaque \| \d+ \| \d+ \| [\d.]+ \| < 25 ms \| (✅ yes|❌ no) \|\n/);

    const svg = ratioChart(report.scenarios);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>/);
    expect(svg).toContain('>cc-opaque</text>');
    expect(svg).toContain('not yet available');
    expect(svg.trim().endsWith('</svg>')).toBe(true);
  });
});

const withWrk = wrkInstalled();
if (!withWrk) process.stdout.write('bench-harness: wrk is not installed; its runner test is SKIPPED (apt-get install wrk)\n');

describe('the wrk runner (the workers scenario\'s load when wrk is installed)', () => {
  let gatehouse: Target;
  beforeAll(async () => {
    if (withWrk) gatehouse = await startGatehouse({ redisUrl: process.env.REDIS_URL!, seed: fixture('seed.json') });
  });
  afterAll(async () => { await gatehouse?.stop(); });

  (withWrk ? test : test.skip)('counts 2xx answers as done and 4xx answers as errors, with their latency', async () => {
    const window = { warmupMs: 0, durationMs: 1000, concurrency: 4 };
    const ok = await runWrk(clientCredentialsRequest(gatehouse), window);
    expect(ok).toMatchObject({ errors: 0 });
    expect(ok.ops).toBeGreaterThan(10);
    expect(ok.rate).toBeCloseTo(ok.ops / ok.seconds, 5);
    expect(ok.p99Ms).toBeGreaterThanOrEqual(ok.p50Ms);
    expect(ok.p50Ms).toBeGreaterThan(0);

    const request = clientCredentialsRequest(gatehouse);
    const refused = await runWrk({ ...request, headers: { ...request.headers, authorization: 'Basic YmVuY2gtc2VydmljZTp3cm9uZw==' } }, window);
    expect(refused.ops).toBe(0);
    expect(refused.errors).toBeGreaterThan(10);
    expect(refused.firstError).toMatch(/responses of HTTP 400 or above/);
  });
});

describe('RSS of a process tree (node:cluster workers)', () => {
  test('counts every process and names the largest one, which the table shows for a multi-process side', async () => {
    // A parent that forks one child, as a cluster primary forks its workers.
    const parent = spawn(process.execPath, ['-e', `
      require('node:child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
      setTimeout(() => {}, 60000);`], { stdio: 'ignore' });
    try {
      let tree = await treeRss(parent.pid!);
      for (let i = 0; i < 100 && (tree?.processes ?? 0) < 2; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        tree = await treeRss(parent.pid!);
      }
      expect(tree?.processes).toBe(2);
      expect(tree!.maxKb).toBeGreaterThan(0);
      expect(tree!.maxKb).toBeLessThan(tree!.kb);
    } finally {
      for (const pid of await descendants(parent.pid!)) process.kill(pid);
      parent.kill();
    }

    const scenario: ScenarioResult = {
      name: 'workers', what: '', targetText: '≥ 1.3 × workers=1', targetRatio: 1.3, ratios: [1.2], ratio: 1.2, meets: false,
      rows: [
        { label: 'workers-1', rate: 800, p50Ms: 1, p99Ms: 2, peakRssMb: 200, errors: 0 },
        { label: 'workers-auto', rate: 960, p50Ms: 1, p99Ms: 2, peakRssMb: 480, peakProcessRssMb: 190, errors: 0 },
      ],
    };
    const [, , one, auto] = markdownTable([scenario]).split('\n');
    expect(one).toContain('| 200 |');
    expect(auto).toContain('| 480 (largest process 190) |');
  });
});

describe('paced load (latency at half of peak)', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    // Answers each request 20 ms after it arrives.
    server = createServer((_req, res) => { setTimeout(() => res.end('ok'), 20); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  test('sends exactly rate × duration requests, and a server that falls behind is charged for the queue', async () => {
    // Enough connections: every request is answered about 20 ms after it was due.
    const steady = await runPaced({ url, method: 'GET', headers: {} }, { connections: 8, durationMs: 500, rate: 100 });
    expect(steady).toMatchObject({ ops: 50, errors: 0 });
    expect(steady.p50Ms).toBeGreaterThanOrEqual(20);
    expect(steady.p99Ms).toBeLessThan(200);
    // One connection serves at most 50 requests a second; 100 are due each second, so the
    // last of the 50 waits about half a second behind. A closed loop would report 20 ms.
    const behind = await runPaced({ url, method: 'GET', headers: {} }, { connections: 1, durationMs: 500, rate: 100 });
    expect(behind).toMatchObject({ ops: 50, errors: 0 });
    expect(behind.p99Ms).toBeGreaterThan(300);
  });
});

