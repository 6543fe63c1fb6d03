import { StartError } from './processes.ts';
import { median } from './stats.ts';
import { LATENCY_TARGET_MS, type BenchContext, type HalfPeak, type LoadResult, type Row, type Scenario, type ScenarioResult, type Side } from './types.ts';

export type Log = (line: string) => void;

/**
 * Runs one scenario: setup (untimed), then `rounds` rounds of reference, subject (and
 * extras) in turn — A B A B … — after one untimed warm-up of each, so that drift (thermal, noisy neighbours, a growing
 * store) hits both sides alike. The reported ratio is the median of the per-round ratios.
 */
export async function runScenario(
  scenario: Scenario, ctx: BenchContext, plan: { rounds: number; scenarioWarmupMs: number }, log: Log,
): Promise<ScenarioResult> {
  const { rounds } = plan;
  const base = { name: scenario.name, what: scenario.what, targetText: scenario.targetText, targetRatio: scenario.targetRatio };
  let sides;
  try {
    const reason = await scenario.available?.(ctx);
    if (reason !== undefined) {
      log(`${scenario.name}: not yet available in Gatehouse (${reason})`);
      return { ...base, unavailable: reason, rows: [], ratios: [] };
    }
    sides = await scenario.setup(ctx);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    // A variant that refuses its seed or environment is a feature not there yet, not a bug.
    if (err instanceof StartError && err.variant && err.variant !== 'default') {
      const unavailable = `Gatehouse (${err.variant}) did not start: ${firstLine(err.detail || err.message)}`;
      log(`${scenario.name}: not yet available in Gatehouse (${unavailable})`);
      return { ...base, unavailable, rows: [], ratios: [] };
    }
    log(`${scenario.name}: set-up failed: ${reason}`);
    return { ...base, failed: reason, rows: [], ratios: [] };
  }

  const all: Side[] = [sides.reference, sides.subject, ...(sides.extras ?? [])];
  const runs = all.map(() => [] as { result: LoadResult; rssMb: number | undefined; processRssMb: number | undefined }[]);
  const ratios: number[] = [];
  let halfPeak: HalfPeak | undefined;
  try {
    // Each side's code path gets hot once before the first round (JIT, allocator, pools);
    // the per-run warm-up then only has to re-establish connections.
    for (const side of all) if (plan.scenarioWarmupMs > 0) await side.run({ ...ctx.window, warmupMs: 0, durationMs: plan.scenarioWarmupMs });
    for (let round = 1; round <= rounds; round++) {
      for (const [i, side] of all.entries()) {
        const from = Date.now();
        const result = await side.run(ctx.window);
        const to = Date.now();
        runs[i]!.push({ result, rssMb: side.target?.peakRssMb(from, to), processRssMb: side.target?.peakProcessRssMb(from, to) });
      }
      const ratio = runs[1]!.at(-1)!.result.rate / runs[0]!.at(-1)!.result.rate;
      ratios.push(ratio);
      log(`${scenario.name} round ${round}/${rounds}: ${all.map((s, i) => `${s.label} ${runs[i]!.at(-1)!.result.rate.toFixed(0)}/s`).join(', ')} → ratio ${ratio.toFixed(2)}`);
    }
    if (scenario.latencyAtHalfPeak) {
      halfPeak = await atHalfPeak(sides.subject, median(runs[1]!.map((r) => r.result.rate)), ctx);
      log(`${scenario.name}: ${sides.subject.label} at ${halfPeak.offeredRate.toFixed(0)}/s (half its peak): p99 ${halfPeak.p99Ms.toFixed(2)} ms`);
    }
  } finally {
    for (const side of all) await side.close?.();
  }

  const rows = all.map((side, i) => toRow(side.label, runs[i]!));
  const ratio = median(ratios);
  return {
    ...base, rows, ratios, ratio,
    ...(scenario.targetRatio !== undefined ? { meets: ratio >= scenario.targetRatio } : {}),
    ...(halfPeak ? { halfPeak } : {}),
  };
}

/** One run of `side` at a steady half of `peakRate` (requests spread over the connections). */
async function atHalfPeak(side: Side, peakRate: number, ctx: BenchContext): Promise<HalfPeak> {
  const offeredRate = Math.max(1, Math.round(peakRate / 2));
  const result = await side.run({ ...ctx.window, rate: offeredRate });
  return {
    offeredRate, rate: result.rate, p99Ms: result.p99Ms, errors: result.errors,
    targetMs: LATENCY_TARGET_MS, meets: result.errors === 0 && result.p99Ms < LATENCY_TARGET_MS,
  };
}

function toRow(label: string, runs: { result: LoadResult; rssMb: number | undefined; processRssMb: number | undefined }[]): Row {
  const peaks = runs.map((r) => r.rssMb).filter((x): x is number => x !== undefined);
  const processPeaks = runs.map((r) => r.processRssMb).filter((x): x is number => x !== undefined);
  const peakRssMb = peaks.length ? Math.max(...peaks) : undefined;
  const peakProcessRssMb = processPeaks.length ? Math.max(...processPeaks) : undefined;
  const firstError = runs.find((r) => r.result.firstError)?.result.firstError;
  return {
    label,
    rate: median(runs.map((r) => r.result.rate)),
    p50Ms: median(runs.map((r) => r.result.p50Ms)),
    p99Ms: median(runs.map((r) => r.result.p99Ms)),
    peakRssMb,
    ...(peakProcessRssMb !== undefined && peakProcessRssMb !== peakRssMb ? { peakProcessRssMb } : {}),
    errors: runs.reduce((n, r) => n + r.result.errors, 0),
    ...(firstError ? { firstError } : {}),
  };
}

/** The line of a start-up failure that says why (Gatehouse prints "gatehouse: ...: reason"). */
function firstLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const said = lines.find((l) => l.startsWith('gatehouse:'))
    ?? lines.find((l) => !l.startsWith('{') && /error|invalid|refus|must|unknown|unrecognized/i.test(l));
  return (said ?? lines[0] ?? '').slice(0, 300);
}
