import { machineLine, type Machine } from './machine.ts';
import type { Row, ScenarioResult } from './types.ts';

export interface Profile {
  name: string;
  rounds: number;
  /** Once per side, before a scenario's first round. */
  scenarioWarmupMs: number;
  /** Before every measured run. */
  warmupMs: number;
  durationMs: number;
  concurrency: number;
}

/** Everything one `npm run bench` measured; latest.json is this object. */
export interface BenchReport {
  machine: Machine;
  profile: Profile;
  storage: { redis: string; mongodb: boolean };
  startedAt: string;
  finishedAt: string;
  scenarios: ScenarioResult[];
}

const HEADER = '| scenario | target | req/s | p50 ms | p99 ms | peak RSS MB | ratio | target ratio | met |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |';

const num = (n: number | undefined, digits: number) => (n === undefined || !Number.isFinite(n) ? '—' : n.toFixed(digits));

/** "✅ yes" / "❌ no" / "—" (report only). */
export function verdict(s: ScenarioResult): string {
  return s.meets === undefined ? '—' : s.meets ? '✅ yes' : '❌ no';
}

function row(s: ScenarioResult, r: Row, subject: boolean): string {
  const rate = `${num(r.rate, 0)}${r.errors ? ` (${r.errors} errors)` : ''}`;
  const ratio = subject ? num(s.ratio, 2) : '';
  const rss = `${num(r.peakRssMb, 0)}${r.peakProcessRssMb === undefined ? '' : ` (largest process ${num(r.peakProcessRssMb, 0)})`}`;
  return `| ${s.name} | ${r.label} | ${rate} | ${num(r.p50Ms, 2)} | ${num(r.p99Ms, 2)} | ${rss} | ${ratio} | ${subject ? s.targetText : ''} | ${subject ? verdict(s) : ''} |`;
}

/** The table alone (stdout and latest.md). The subject is the second row of a scenario. */
export function markdownTable(scenarios: readonly ScenarioResult[]): string {
  const lines = [HEADER];
  for (const s of scenarios) {
    if (s.unavailable !== undefined) lines.push(`| ${s.name} | not yet available in Gatehouse | | | | | | ${s.targetText} | |`);
    else if (s.failed !== undefined) lines.push(`| ${s.name} | FAILED (see notes) | | | | | | ${s.targetText} | ❌ no |`);
    else s.rows.forEach((r, i) => lines.push(row(s, r, i === 1)));
  }
  return lines.join('\n');
}

/** Gatehouse's p99 at half of its peak rate, for the scenarios that measure it; empty if none did. */
export function halfPeakTable(scenarios: readonly ScenarioResult[]): string {
  const measured = scenarios.filter((s) => s.halfPeak);
  if (!measured.length) return '';
  const lines = ['| scenario | offered req/s (half of peak) | served req/s | p99 ms | target | met |', '| --- | ---: | ---: | ---: | --- | --- |'];
  for (const s of measured) {
    const h = s.halfPeak!;
    lines.push(`| ${s.name} | ${num(h.offeredRate, 0)} | ${num(h.rate, 0)}${h.errors ? ` (${h.errors} errors)` : ''} | ${num(h.p99Ms, 2)} | < ${h.targetMs} ms | ${h.meets ? '✅ yes' : '❌ no'} |`);
  }
  return lines.join('\n');
}

/** latest.md: the machine, the table, and what each row means and why some are missing. */
export function markdownReport(report: BenchReport): string {
  const p = report.profile;
  const out = [
    `# Gatehouse bench (${report.startedAt})`,
    '',
    `- Machine: ${machineLine(report.machine)}`,
    `- Profile: ${p.name}: ${p.rounds} rounds (A B A B …), ${p.scenarioWarmupMs / 1000} s warm-up per side and scenario, then each run ${p.warmupMs / 1000} s warm-up + ${p.durationMs / 1000} s measured, concurrency ${p.concurrency}`,
    `- Storage: Gatehouse with Redis (${report.storage.redis})${report.storage.mongodb ? ' and MongoDB (MONGODB_URI)' : ', durable data in memory (MONGODB_URI not set)'}; baseline: node-oidc-provider's in-memory adapter`,
    '- req/s, p50, p99: medians over the rounds; peak RSS: highest sample of the server process tree; ratio: median of per-round subject/reference ratios',
    '',
    markdownTable(report.scenarios),
    '',
    ...(halfPeakTable(report.scenarios) ? ['## Latency at half of peak', '', halfPeakTable(report.scenarios), ''] : []),
    '## Notes',
    '',
  ];
  for (const s of report.scenarios) {
    let note = `- **${s.name}**: ${s.what}.`;
    if (s.unavailable !== undefined) note += ` Not yet available in Gatehouse: ${s.unavailable}.`;
    if (s.failed !== undefined) note += ` Set-up failed: ${s.failed}`;
    if (s.ratios.length) note += ` Per-round ratios: ${s.ratios.map((r) => r.toFixed(2)).join(', ')}.`;
    for (const r of s.rows) if (r.errors) note += ` ${r.label}: ${r.errors} errors, first: ${r.firstError ?? 'unknown'}.`;
    if (s.name === 'password-login' && s.rows[0]) note += ` argon2id verification alone allows ${s.rows[0].rate.toFixed(1)} verifications/s on ${report.machine.cores} cores (m=19456 KiB, t=2, p=1).`;
    out.push(note);
  }
  return `${out.join('\n')}\n`;
}
