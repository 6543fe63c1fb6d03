/**
 * Which tier a client or API key is on, remembered per process for a short while so the
 * hot path (token, introspection) asks no store: a client's `rate_limit_tier` or a key's
 * `rateLimitTier` changes take effect within `ttlMs`. `null` means "no such client/key":
 * the request is then limited as an anonymous one.
 */
export interface TierLookup {
  (id: string): Promise<string | null>;
  /** The tier if it is remembered and loaded, without waiting; undefined otherwise. */
  known?(id: string): string | null | undefined;
}

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
  const entries = new Map<string, Entry>();

  function tierOf(id: string): Promise<string | null> {
    const at = now();
    const cached = entries.get(id);
    if (cached && cached.expires > at) return cached.tier;
    // One load per id at a time; a failed load is not remembered.
    const tier = load(id);
    const entry: Entry = { tier, expires: at + ttlMs };
    tier.then((loaded) => { entry.loaded = loaded; }, () => entries.delete(id));
    entries.delete(id);
    entries.set(id, entry);
    if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    return tier;
  }
  tierOf.known = (id: string): string | null | undefined => {
    const cached = entries.get(id);
    return cached && cached.expires > now() ? cached.loaded : undefined;
  };
  return tierOf;
}

interface Entry {
  tier: Promise<string | null>;
  /** Set once the load has answered. */
  loaded?: string | null;
  expires: number;
}
