import { runAutocannon } from './autocannon.ts';
import { FORM, form } from './http.ts';
import { describeMachine, machineLine } from './machine.ts';
import { SERVICE } from './oauth.ts';
import { openRedis } from './redis.ts';
import { fixture, startGatehouse } from './targets.ts';

export interface SoakResult {
  seconds: number;
  rate: number;
  errors: number;
  startMb: number;
  endMb: number;
  peakMb: number;
  growthPct: number;
}

/** Targets from the issue: RSS growth over the soak ≤ 10 %, peak < 200 MB. */
export const SOAK_TARGETS = { growthPct: 10, peakMb: 200 };

/**
 * cc-opaque against Gatehouse for `seconds` after a warm-up, sampling RSS every 250 ms.
 * Growth compares the mean RSS of the first and last 10 % of the measured window (means,
 * not single samples, so one GC cycle does not decide it).
 */
export async function soak(seconds: number, concurrency: number, log: (l: string) => void): Promise<SoakResult> {
  const redis = await openRedis();
  const gatehouse = await startGatehouse({ redisUrl: redis.url, seed: fixture('seed.json') }).catch(async (e) => { await redis.stop(); throw e; });
  try {
    const request = {
      url: `${gatehouse.url}/token`, method: 'POST' as const,
      headers: { authorization: SERVICE.auth, 'content-type': FORM },
      body: form({ grant_type: 'client_credentials', scope: 'api:read' }),
    };
    log(`soak: warm-up 10 s, then ${seconds} s of cc-opaque`);
    await runAutocannon(request, { warmupMs: 0, durationMs: 10_000, concurrency });
    const from = Date.now();
    const result = await runAutocannon(request, { warmupMs: 0, durationMs: seconds * 1000, concurrency });
    const samples = gatehouse.samples().filter((s) => s.at >= from);
    const tenth = Math.max(1, Math.floor(samples.length / 10));
    const mean = (xs: readonly { kb: number }[]) => xs.reduce((n, s) => n + s.kb, 0) / xs.length / 1024;
    const startMb = mean(samples.slice(0, tenth));
    const endMb = mean(samples.slice(-tenth));
    return {
      seconds: result.seconds, rate: result.rate, errors: result.errors, startMb, endMb,
      peakMb: gatehouse.peakRssMb(from, Date.now()) ?? Number.NaN,
      growthPct: ((endMb - startMb) / startMb) * 100,
    };
  } finally {
    await gatehouse.stop();
    await redis.stop();
  }
}

export function soakMarkdown(r: SoakResult): string {
  const ok = (b: boolean) => (b ? '✅ yes' : '❌ no');
  return [
    `# Gatehouse soak (${new Date().toISOString()})`,
    '',
    `- Machine: ${machineLine(describeMachine())}`,
    `- cc-opaque for ${r.seconds.toFixed(0)} s: ${r.rate.toFixed(0)} req/s, ${r.errors} errors`,
    '',
    '| measure | value | target | met |',
    '| --- | ---: | --- | --- |',
    `| RSS first 10 % (MB) | ${r.startMb.toFixed(1)} | | |`,
    `| RSS last 10 % (MB) | ${r.endMb.toFixed(1)} | | |`,
    `| growth | ${r.growthPct.toFixed(1)} % | ≤ ${SOAK_TARGETS.growthPct} % | ${ok(r.growthPct <= SOAK_TARGETS.growthPct)} |`,
    `| peak RSS (MB) | ${r.peakMb.toFixed(1)} | < ${SOAK_TARGETS.peakMb} | ${ok(r.peakMb < SOAK_TARGETS.peakMb)} |`,
    '',
  ].join('\n');
}
