import type { MaybePromise } from './identity.ts';

/**
 * Which tier a client or API key is on, remembered per process for a short while so the
 * hot path (token, introspection) asks no store: a client's `rate_limit_tier` or a key's
 * `rateLimitTier` changes take effect within `ttlMs`. `null` means "no such client/key":
 * the request is then limited as an anonymous one.
 */
export type TierLookup = (id: string) => MaybePromise<string | null>;

/** Loads a tier from the store (the client or the API key). */
export type TierLoader = (id: string) => Promise<string | null>;

export interface TierCacheOptions {
  ttlMs?: number;
  /** Most ids remembered (unknown ids are remembered too, so a spray of them is bounded). */
  maxEntries?: number;
  now?: () => number;
}

export function cachedTierLookup(load: TierLoader, options: TierCacheOptions = {}): TierLookup {
  const ttlMs = options.ttlMs ?? 30_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  // `tier` while the load is under way; `known` once it has answered.
  const entries = new Map<string, { tier: Promise<string | null>; known?: { value: string | null }; expires: number }>();

  return function tierOf(id: string): MaybePromise<string | null> {
    const at = now();
    const cached = entries.get(id);
    if (cached && cached.expires > at) return cached.known ? cached.known.value : cached.tier;
    // One load per id at a time; a failed load is not remembered.
    const tier = load(id);
    const entry: { tier: Promise<string | null>; known?: { value: string | null }; expires: number } = { tier, expires: at + ttlMs };
    tier.then((value) => { entry.known = { value }; }, () => entries.delete(id));
    entries.delete(id);
    entries.set(id, entry);
    if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    return tier;
  };
}
