import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { httpClient, type HttpClient } from './lib/http.ts';
import { clientCredentials, introspect } from './lib/oauth.ts';
import { openRedis } from './lib/redis.ts';
import { fixture, startBaseline, startGatehouse } from './lib/targets.ts';
import type { Target } from './lib/types.ts';

const USAGE = `npm run bench:instructions -- [--scenario cc-opaque|introspect-opaque] [--requests N] [--warmup N] [--only gatehouse|baseline]

Counts the CPU instructions each server executes per request (valgrind's callgrind), for
the bare node-oidc-provider baseline and for Gatehouse, and prints the ratio. Unlike
req/s, the count barely moves with whatever else the machine is doing, so it shows a
change of a few per cent that a noisy two-core machine hides. It counts user-space
instructions only: not the kernel's share of a system call, not Redis, not time spent
waiting. Requests are sent one at a time over one keep-alive connection, after a warm-up
(the JIT compiles the hot path first: after 1,500 requests half of what callgrind counted
was still V8's compiler at work, after 6,000 5–7 %). Needs valgrind; takes about ten
minutes.

--only measures one side, to compare two versions of Gatehouse in half the time.`;

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'cc-opaque' },
    requests: { type: 'string', default: '4000' },
    warmup: { type: 'string', default: '6000' },
    only: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

type Operation = (http: HttpClient) => Promise<unknown>;

/** One request of the scenario, and what it needs first (a token to introspect). */
async function operationFor(scenario: string, http: HttpClient): Promise<Operation> {
  if (scenario === 'cc-opaque') return (h) => clientCredentials(h);
  if (scenario === 'introspect-opaque') {
    const { access_token: token } = await clientCredentials(http);
    return async (h) => {
      if (!(await introspect(h, token)).active) throw new Error('the token introspects as inactive');
    };
  }
  throw new Error(`unknown scenario "${scenario}" (cc-opaque or introspect-opaque)`);
}

/**
 * vgdb finds a valgrind process by a name made of USER and HOST from the environment, so
 * callgrind_control must run with the same values the server was started with.
 */
function control(target: Target, env: NodeJS.ProcessEnv, ...args: string[]): void {
  execFileSync('callgrind_control', [...args, String(target.pid)], { env, stdio: 'ignore' });
}

async function measure(
  name: string, start: (wrap: string[]) => Promise<Target>, controlEnv: NodeJS.ProcessEnv, scenario: string, requests: number, warmup: number,
): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-callgrind-'));
  // --trace-children: on Node 22 Gatehouse starts itself again in place (execve) with async
  // context frames (src/process-tuning.ts); callgrind must follow it into the new image.
  const wrap = ['valgrind', '--tool=callgrind', '--trace-children=yes', '--instr-atstart=no', '--smc-check=all-non-file', `--callgrind-out-file=${dir}/out.%p`];
  process.stderr.write(`  ${name}: starting under valgrind…\n`);
  const target = await start(wrap);
  const http = httpClient(target.url, 1);
  try {
    const operation = await operationFor(scenario, http);
    process.stderr.write(`  ${name}: ${warmup} warm-up requests…\n`);
    for (let i = 0; i < warmup; i += 1) await operation(http);
    control(target, controlEnv, '-i', 'on');
    for (let i = 0; i < requests; i += 1) await operation(http);
    control(target, controlEnv, '-i', 'off');
    control(target, controlEnv, '-d');
  } finally {
    http.close();
    await target.stop();
  }
  const totals = readdirSync(dir).flatMap((file) => readFileSync(join(dir, file), 'utf8').split('\n'))
    .filter((line) => /^(summary|totals):/.test(line)).map((line) => Number(line.split(/\s+/)[1]));
  rmSync(dir, { recursive: true, force: true });
  const perRequest = totals.reduce((a, b) => a + b, 0) / requests;
  process.stderr.write(`  ${name}: ${Math.round(perRequest).toLocaleString('en')} instructions per request\n`);
  return perRequest;
}

async function main(): Promise<number> {
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const scenario = values.scenario!;
  if (values.only !== undefined && values.only !== 'gatehouse' && values.only !== 'baseline') {
    process.stderr.write(`--only takes gatehouse or baseline, not "${values.only}"\n`);
    return 2;
  }
  const requests = Number(values.requests);
  const warmup = Number(values.warmup);
  const redis = await openRedis();
  try {
    // The baseline gets only PATH, PORT and BENCH_SEED (targets.ts); Gatehouse the shell's environment and HOST.
    const baseline = values.only === 'gatehouse' ? undefined
      : await measure('baseline', (wrap) => startBaseline(fixture('seed.json'), wrap), { PATH: process.env.PATH }, scenario, requests, warmup);
    const gatehouse = values.only === 'baseline' ? undefined
      : await measure('gatehouse', (wrap) => startGatehouse({ redisUrl: redis.url, seed: fixture('seed.json'), wrap }),
        { ...process.env, HOST: '127.0.0.1' }, scenario, requests, warmup);
    const count = (n: number | undefined) => (n === undefined ? '—' : Math.round(n).toLocaleString('en'));
    const ratio = baseline !== undefined && gatehouse !== undefined ? (baseline / gatehouse).toFixed(2) : '—';
    process.stdout.write(`\n| scenario | baseline instructions/request | Gatehouse instructions/request | ratio (baseline / Gatehouse) |\n| --- | --- | --- | --- |\n`);
    process.stdout.write(`| ${scenario} | ${count(baseline)} | ${count(gatehouse)} | ${ratio} |\n`);
    return 0;
  } finally {
    await redis.stop();
  }
}

process.exitCode = await main();
