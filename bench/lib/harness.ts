import { runScenario, type Log } from './compare.ts';
import { describeMachine } from './machine.ts';
import { openRedis } from './redis.ts';
import type { BenchReport, Profile } from './report.ts';
import { startBaseline } from './targets.ts';
import type { BenchContext, Scenario, ScenarioResult, VariantName } from './types.ts';
import { Variants } from './variants.ts';

/**
 * quick: under two minutes for everything; full: the numbers to quote (5 rounds).
 * The scenario warm-up is what lets V8 compile a side's hot path before the first measured
 * round: a freshly started Gatehouse runs far more JavaScript per request than the
 * baseline and needs about two seconds of load to get there (measured in 0.5 s steps;
 * with 0.6 s, quick runs mostly measured the JIT). Both sides get the same.
 */
export const PROFILES: Record<'quick' | 'full', Profile> = {
  quick: { name: 'quick', rounds: 2, scenarioWarmupMs: 2000, warmupMs: 200, durationMs: 1400, concurrency: 10 },
  full: { name: 'full', rounds: 5, scenarioWarmupMs: 3000, warmupMs: 1000, durationMs: 6000, concurrency: 10 },
};

/**
 * One bench invocation: Redis (REDIS_URL or a throwaway one), the baseline, then each
 * scenario in turn, starting Gatehouse variants as scenarios ask for them and stopping
 * each as soon as no later scenario needs it. Everything started is stopped, even on error.
 */
export async function runBench(scenarios: readonly Scenario[], profile: Profile, log: Log): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const redis = await openRedis();
  const variants = new Variants(redis.url);
  let baseline;
  try {
    baseline = await startBaseline();
    const ctx: BenchContext = {
      baseline,
      gatehouse: (variant) => variants.get(variant),
      window: { warmupMs: profile.warmupMs, durationMs: profile.durationMs, concurrency: profile.concurrency },
    };
    const results: ScenarioResult[] = [];
    for (const [i, scenario] of scenarios.entries()) {
      log(`${scenario.name}: ${scenario.what}`);
      results.push(await runScenario(scenario, ctx, profile, log));
      const later = new Set<VariantName>(scenarios.slice(i + 1).flatMap((s) => s.variants));
      await variants.release(later);
    }
    return {
      machine: describeMachine(),
      profile,
      storage: { redis: redis.owned ? 'throwaway redis-server' : 'REDIS_URL', mongodb: Boolean(process.env.MONGODB_URI) },
      startedAt,
      finishedAt: new Date().toISOString(),
      scenarios: results,
    };
  } finally {
    await variants.stopAll();
    await baseline?.stop();
    await redis.stop();
  }
}
