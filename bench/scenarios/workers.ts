import { availableParallelism } from 'node:os';

import { treeRss } from '../lib/rss.ts';
import type { Scenario, Target } from '../lib/types.ts';
import { sanityCheck } from './cc-opaque.ts';
import { clientCredentialsSide } from './sides.ts';

/**
 * cc-opaque against Gatehouse with GATEHOUSE_WORKERS=1 and =auto (node:cluster): does a
 * second core buy throughput? On this machine the load generator shares the cores, which
 * this ratio cannot hide; it is still the honest number for a two-core box.
 */
export const workers: Scenario = {
  name: 'workers',
  what: 'cc-opaque against GATEHOUSE_WORKERS=auto (subject) vs GATEHOUSE_WORKERS=1 (reference)',
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
    return { reference: clientCredentialsSide(one), subject: clientCredentialsSide(auto) };
  },
};

async function processes(target: Target): Promise<number> {
  return (await treeRss(target.pid))?.processes ?? 0;
}
