import type { Context } from 'koa';

import { setHeaders } from '../../http/set-headers.ts';
import type { BucketState } from './gcra.ts';
import { emissionIntervalMs, type RateLimitTier } from './tiers.ts';

const seconds = (ms: number) => Math.ceil(ms / 1000);

/**
 * Tells the client where it stands, on every limited response, allowed or not:
 * - `RateLimit-Policy: "<tier>";q=<burst>;w=<seconds>` and `RateLimit: "<tier>";r=<remaining>;t=<seconds>`
 *   (draft-ietf-httpapi-ratelimit-headers-11 §3 and §4: Lists of String items with Integer
 *   parameters). The bucket holds q requests and refills completely in w seconds. `t` is
 *   the effective window (§4.1.2): the seconds within which no more than r requests will
 *   fit; on a refusal that is the Retry-After, as §6 asks (Retry-After not earlier than t).
 * - the older de-facto fields: `X-RateLimit-Limit` (= q), `X-RateLimit-Remaining` (= r)
 *   and `X-RateLimit-Reset`, the seconds until the bucket is full again (a delta, not a
 *   timestamp, for the draft's reason: no dependence on the client's clock).
 */
export function setRateLimitHeaders(ctx: Context, tier: RateLimitTier, state: BucketState): void {
  // This runs on every limited request: past Koa's set() (http/set-headers.ts).
  setHeaders(ctx, {
    'RateLimit-Policy': policyOf(tier),
    RateLimit: `"${tier.name}";r=${state.remaining};t=${seconds(state.nextMs)}`,
    'X-RateLimit-Limit': String(state.limit),
    'X-RateLimit-Remaining': String(state.remaining),
    'X-RateLimit-Reset': String(seconds(state.resetMs)),
  });
}

/** A tier's policy never changes: its header value is made once (tiers live as long as the process). */
const policies = new WeakMap<RateLimitTier, string>();
function policyOf(tier: RateLimitTier): string {
  let policy = policies.get(tier);
  if (policy === undefined) {
    policy = `"${tier.name}";q=${tier.burst};w=${seconds(tier.burst * emissionIntervalMs(tier))}`;
    policies.set(tier, policy);
  }
  return policy;
}

/** RFC 9110 §10.2.3 delay-seconds; at least 1, so a client never retries at once. */
export function retryAfterSeconds(state: BucketState): number {
  return Math.max(1, seconds(state.nextMs));
}
