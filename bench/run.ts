import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { PROFILES, runBench } from './lib/harness.ts';
import { describeMachine, machineLine } from './lib/machine.ts';
import { halfPeakTable, markdownReport, markdownTable } from './lib/report.ts';
import { soak, soakMarkdown } from './lib/soak.ts';
import { ratioChart } from './lib/svg.ts';
import { findScenario, SCENARIOS } from './scenarios/index.ts';

const USAGE = `npm run bench -- [--quick] [--scenario NAME[,NAME…]] [--rounds N] [--duration SECONDS] [--soak [--soak-seconds N]]

  (default)    full run: every scenario, 5 rounds, baseline and Gatehouse alternating (< 15 min)
  --quick      2 rounds of short runs (< 2 min)
  --scenario   only these: ${SCENARIOS.map((s) => s.name).join(', ')}
  --soak       3 minutes of cc-opaque against Gatehouse: RSS growth (≤ 10 %) and peak (< 200 MB)

Writes bench/results/latest.{md,json,svg} (soak: bench/results/soak.{md,json}). Load only
ever targets 127.0.0.1. Numbers are reported, never asserted.`;

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    scenario: { type: 'string', multiple: true },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    soak: { type: 'boolean', default: false },
    'soak-seconds': { type: 'string', default: '180' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const log = (line: string) => process.stderr.write(`  ${line}\n`);

async function main(): Promise<number> {
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  process.stdout.write(`Machine: ${machineLine(describeMachine())}\n`);
  await mkdir(RESULTS, { recursive: true });

  if (values.soak) {
    const result = await soak(Number(values['soak-seconds']), PROFILES.full.concurrency, log);
    const md = soakMarkdown(result);
    process.stdout.write(`\n${md}`);
    await writeFile(`${RESULTS}soak.md`, md);
    await writeFile(`${RESULTS}soak.json`, `${JSON.stringify(result, null, 2)}\n`);
    return 0;
  }

  const profile = { ...(values.quick ? PROFILES.quick : PROFILES.full) };
  if (values.rounds) profile.rounds = positive('--rounds', values.rounds);
  if (values.duration) profile.durationMs = positive('--duration', values.duration) * 1000;
  const names = (values.scenario ?? []).flatMap((s) => s.split(',')).filter(Boolean);
  const scenarios = names.length ? names.map((n) => findScenario(n) ?? usage(`unknown scenario "${n}"`)) : SCENARIOS;
  log(`profile ${profile.name}: ${profile.scenarioWarmupMs / 1000} s warm-up per side, then ${profile.rounds} rounds × (${profile.warmupMs / 1000} s warm-up + ${profile.durationMs / 1000} s), concurrency ${profile.concurrency}`);

  const report = await runBench(scenarios, profile, log);
  process.stdout.write(`\n${markdownTable(report.scenarios)}\n\n`);
  const latency = halfPeakTable(report.scenarios);
  if (latency) process.stdout.write(`Gatehouse at half of its peak rate:\n\n${latency}\n\n`);
  await writeFile(`${RESULTS}latest.md`, markdownReport(report));
  await writeFile(`${RESULTS}latest.json`, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(`${RESULTS}latest.svg`, ratioChart(report.scenarios));
  process.stdout.write('Written: bench/results/latest.md, latest.json, latest.svg\n');
  // A scenario whose set-up broke is a bug (in a server or the bench), unlike a slow one.
  return report.scenarios.some((s) => s.failed !== undefined) ? 1 : 0;
}

function positive(flag: string, value: string): number {
  const n = Number(value);
  if (!(n > 0)) usage(`${flag} must be a positive number (got "${value}")`);
  return n;
}

function usage(problem: string): never {
  process.stderr.write(`bench: ${problem}\n\n${USAGE}\n`);
  process.exit(64); // EX_USAGE
}

process.exitCode = await main();
