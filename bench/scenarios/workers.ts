import { availableParallelism } from 'node:os';

import { runAutocannon } from '../lib/autocannon.ts';
import { treeRss } from '../lib/rss.ts';
import type { Scenario, Side, Target } from '../lib/types.ts';
import { runWrk, wrkInstalled } from '../lib/wrk.ts';
import { sanityCheck } from './cc-opaque.ts';
import { clientCredentialsRequest } from './sides.ts';

/**
 * Enough connections to keep every worker busy while its other requests wait on Redis: at
 * the bench's usual 10, two workers get five each and both servers sit idle between
 * answers (measured with wrk: workers=1 about 4,400 tokens/s at 10 connections and
 * 5,000-6,000 at 32). Both sides get the same number.
 */
const CONNECTIONS_PER_CORE = 16;

/**
 * cc-opaque against Gatehouse with GATEHOUSE_WORKERS=1 and =auto (node:cluster): does a
 * second core buy throughput? On this machine the load generator shares the cores with the
 * workers, so it is wrk when installed: autocannon's own CPU per request would take most of
 * what a second worker could use (on two cores: 1.07-1.10 with autocannon against 1.31-1.41
 * with wrk, same servers, same connections).
 */
export const workers: Scenario = {
  name: 'workers',
  what: `cc-opaque against GATEHOUSE_WORKERS=auto (subject) vs GATEHOUSE_WORKERS=1 (reference), ${CONNECTIONS_PER_CORE} connections per core, from wrk when installed (else autocannon)`,
  variants: ['workers-1', 'workers-auto'],
  targetRatio: 1.3,
  targetText: '≥ 1.3 × workers=1',
  async available(ctx) {
    if (availableParallelism() < 2) return 'this machine has one core: nothing to scale to';
    const one = await ctx.gatehouse('workers-1');
    const auto = await ctx.gatehouse('workers-auto');
    const single = await processes(one);
    // Workers fork after the primary starts; give them a few seconds to appear.
    for (let i = 0; i < 50; i++) {
      if ((await processes(auto)) > single) return undefined;
      await new Promise((r) => setTimeout(r, 100));
    }
    return `GATEHOUSE_WORKERS=auto runs ${await processes(auto)} process(es), no more than GATEHOUSE_WORKERS=1 (${single})`;
  },
  async setup(ctx) {
    const one = await ctx.gatehouse('workers-1');
    const auto = await ctx.gatehouse('workers-auto');
    await Promise.all([sanityCheck(one), sanityCheck(auto)]);
    const wrk = wrkInstalled();
    const connections = CONNECTIONS_PER_CORE * availableParallelism();
    const side = (target: Target): Side => ({
      label: `${target.name} (${wrk ? 'wrk' : 'autocannon'}, ${connections} connections)`,
      target,
      run: (window) => (wrk ? runWrk : runAutocannon)(clientCredentialsRequest(target), { ...window, concurrency: connections }),
    });
    return { reference: side(one), subject: side(auto) };
  },
};

async function processes(target: Target): Promise<number> {
  return (await treeRss(target.pid))?.processes ?? 0;
}
