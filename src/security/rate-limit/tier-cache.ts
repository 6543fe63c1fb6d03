/**
 * Which tier a client or API key is on, remembered per process for a short while so the
 * hot path (token, introspection) asks no store: a client's `rate_limit_tier` or a key's
 * `rateLimitTier` changes take effect within `ttlMs`. `null` means "no such client/key":
 * the request is then limited as an anonymous one.
 */
export type TierLookup = (id: string) => Promise<string | null>;

export interface TierCacheOptions {
  ttlMs?: number;
  /** Most ids remembered (unknown ids are remembered too, so a spray of them is bounded). */
  maxEntries?: number;
  now?: () => number;
}

export function cachedTierLookup(load: TierLookup, options: TierCacheOptions = {}): TierLookup {
  const ttlMs = options.ttlMs ?? 30_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { tier: Promise<string | null>; expires: number }>();

  return function tierOf(id: string): Promise<string | null> {
    const at = now();
    const cached = entries.get(id);
    if (cached && cached.expires > at) return cached.tier;
    // One load per id at a time; a failed load is not remembered.
    const tier = load(id);
    tier.catch(() => entries.delete(id));
    entries.delete(id);
    entries.set(id, { tier, expires: at + ttlMs });
    if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    return tier;
  };
}
