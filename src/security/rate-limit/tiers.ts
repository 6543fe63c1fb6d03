/**
 * Rate-limit tiers: named (rate, period, burst) triples. A caller's bucket holds up to
 * `burst` requests and refills at `rate` per `periodMs` (a token bucket, computed as GCRA:
 * gcra.ts). `RATE_LIMIT_TIERS` overrides or adds tiers by name:
 *
 *   RATE_LIMIT_TIERS = tier *( "," tier )
 *   tier             = name ":" rate "/" unit [ ":" burst ]   ; burst defaults to rate
 *   unit             = "s" / "min" / "h"
 *   name             = 1*64( ALPHA / DIGIT / "_" / "." / "-" )   ; as API keys' rate_limit_tier
 *
 * e.g. `default:60/min:120,authenticated:1000/min:3000,premium:10000/min:30000` (the defaults).
 */
export interface RateLimitTier {
  readonly name: string;
  /** Requests added to the bucket per period. */
  readonly rate: number;
  readonly periodMs: number;
  /** Bucket size: the most requests allowed at once. */
  readonly burst: number;
}

/** Unauthenticated callers, per source address. */
export const DEFAULT_TIER = 'default';
/** Callers presenting a client id or an API key, unless their metadata names another tier. */
export const AUTHENTICATED_TIER = 'authenticated';

export const TIER_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

const UNITS: Readonly<Record<string, number>> = { s: 1000, min: 60_000, h: 3_600_000 };
const TIER = /^([A-Za-z0-9_.-]{1,64}):(\d{1,10})\/(s|min|h)(?::(\d{1,10}))?$/;

export const DEFAULT_TIERS: Readonly<Record<string, RateLimitTier>> = Object.freeze({
  default: { name: 'default', rate: 60, periodMs: 60_000, burst: 120 },
  authenticated: { name: 'authenticated', rate: 1000, periodMs: 60_000, burst: 3000 },
  premium: { name: 'premium', rate: 10_000, periodMs: 60_000, burst: 30_000 },
});

/**
 * The default tiers with `spec`'s tiers laid over them. Throws an Error whose message
 * says what is wrong with which entry (the config module prefixes the variable's name).
 */
export function parseTiers(spec: string | undefined): Record<string, RateLimitTier> {
  const tiers: Record<string, RateLimitTier> = { ...DEFAULT_TIERS };
  if (spec === undefined) return tiers;
  const seen = new Set<string>();
  for (const entry of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = TIER.exec(entry);
    if (!m) throw new Error(`"${entry}" is not name:rate/unit[:burst] with unit s, min or h (e.g. default:60/min:120)`);
    const [, name, rate, unit, burst] = m as unknown as [string, string, string, string, string | undefined];
    if (seen.has(name)) throw new Error(`tier "${name}" is given twice`);
    seen.add(name);
    const tier = { name, rate: Number(rate), periodMs: UNITS[unit]!, burst: Number(burst ?? rate) };
    if (tier.rate < 1 || tier.burst < 1) throw new Error(`tier "${name}" needs a rate and a burst of at least 1`);
    tiers[name] = tier;
  }
  return tiers;
}

/** The time one request "costs": the bucket gains one request back every emission interval. */
export const emissionIntervalMs = (tier: RateLimitTier): number => tier.periodMs / tier.rate;

