import { StartError } from './processes.ts';
import { fixture, startGatehouse } from './targets.ts';
import type { Target, VariantName } from './types.ts';

/** How each Gatehouse variant is started: the seed it is given and the extra environment. */
const VARIANTS: Record<VariantName, { seed: string; env?: Record<string, string>; label: string }> = {
  default: { seed: 'seed.json', label: 'gatehouse' },
  // A second seed, tried only when a JWT scenario runs: a Gatehouse that does not know
  // `resource_servers` refuses it, and that scenario is then "not yet available".
  jwt: { seed: 'seed-jwt.json', label: 'gatehouse' },
  'workers-1': { seed: 'seed.json', env: { GATEHOUSE_WORKERS: '1' }, label: 'gatehouse workers=1' },
  'workers-auto': { seed: 'seed.json', env: { GATEHOUSE_WORKERS: 'auto' }, label: 'gatehouse workers=auto' },
};

/**
 * Starts each variant at most once and stops it when no remaining scenario needs it,
 * so that at most the baseline and the variants of the current scenario are running
 * (idle servers still take memory and the odd timer tick from two shared cores).
 */
export class Variants {
  #redisUrl: string;
  #started = new Map<VariantName, Promise<Target>>();

  constructor(redisUrl: string) {
    this.#redisUrl = redisUrl;
  }

  get(name: VariantName): Promise<Target> {
    let target = this.#started.get(name);
    if (!target) {
      const v = VARIANTS[name];
      target = startGatehouse({ redisUrl: this.#redisUrl, seed: fixture(v.seed), name: v.label, ...(v.env ? { env: v.env } : {}) })
        .catch((err: unknown) => {
          if (err instanceof StartError) err.variant = name;
          throw err;
        });
      target.catch(() => {}); // the scenario that asked reports it
      this.#started.set(name, target);
    }
    return target;
  }

  /** Stops every started variant not in `keep`. */
  async release(keep: ReadonlySet<VariantName>): Promise<void> {
    for (const [name, target] of [...this.#started]) {
      if (keep.has(name)) continue;
      this.#started.delete(name);
      await target.then((t) => t.stop(), () => {});
    }
  }

  stopAll(): Promise<void> {
    return this.release(new Set());
  }
}
