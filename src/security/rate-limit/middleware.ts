import type { Context, Next } from 'koa';

import type { AuditSink } from '../../audit/events.ts';
import { routedPath } from '../../http/path-gate.ts';
import { sendError } from '../../http/error-handler.ts';
import type { Render } from '../../interactions/views.ts';
import type { BucketRequest, BucketState, RateLimiter } from './gcra.ts';
import { retryAfterSeconds, setRateLimitHeaders } from './headers.ts';
import { addressKey, claimedIdentity, endpointOf, headerIdentity, IN_BODY, type ClaimedIdentity, type LimitedEndpoint } from './identity.ts';
import type { TierLookup } from './tier-cache.ts';
import { AUTHENTICATED_TIER, DEFAULT_TIER, type RateLimitTier } from './tiers.ts';

export interface RateLimitOptions {
  limiter: RateLimiter;
  tiers: Readonly<Record<string, RateLimitTier>>;
  /** The tier of a registered client, null for an unknown client id (tier-cache.ts). */
  clientTier: TierLookup;
  /** The tier of an existing, usable API key, null otherwise. */
  apiKeyTier: TierLookup;
  audit: AuditSink;
  /** For the error page a browser is shown (sendError). */
  render: Render;
  onRefused?: (endpoint: LimitedEndpoint) => void;
  /** The limiter failed (Redis unreachable): the request is let through (fail open). */
  onFailure?: (err: unknown) => void;
}

/**
 * Rate limits on the endpoints endpointOf() names, one atomic limiter call per request:
 * - a request that claims a known client or API key is counted in that credential's bucket
 *   at its tier (the client's `rate_limit_tier` or the key's, else `authenticated`), and
 *   in its source address's bucket at the same tier — so one address cannot go faster by
 *   naming many clients than one client may;
 * - any other request is counted in its address's bucket at the `default` tier.
 * Buckets are per endpoint. Over the limit: 429 `rate_limited` with Retry-After and an
 * audit event. The middleware answers that itself, in front of everything else that would
 * work on the request (the error page for a browser, `{ error, error_description }`
 * otherwise). If the limiter fails, the request goes through (fail open): rate limiting
 * protects capacity, and an outage of Redis must not become an outage of sign-in.
 */
export function rateLimit(options: RateLimitOptions) {
  const { limiter, tiers } = options;
  const tierNamed = (name: string) => tiers[name] ?? tiers[AUTHENTICATED_TIER]!;
  const lookupFor = (who: ClaimedIdentity) => (who.scope === 'client' ? options.clientTier : options.apiKeyTier);

  /** The buckets a request is counted in: its credential's (if any) and its address's. */
  function bucketsFor(ctx: Context, endpoint: LimitedEndpoint, who: ClaimedIdentity | undefined, tierName: string | null): Decision {
    if (tierName === null) who = undefined;
    const tier = tierName === null ? tiers[DEFAULT_TIER]! : tierNamed(tierName);
    const buckets: BucketRequest[] = [{ key: `${endpoint}:ip:${tier.name}:${addressKey(ctx.ip)}`, tier }];
    if (who) buckets.unshift({ key: `${endpoint}:${who.scope}:${who.id}`, tier });
    return { who, buckets };
  }

  /**
   * The usual request (a client named in the headers, its tier remembered, a live lease)
   * is decided without waiting, and so without a promise; undefined when something must
   * be waited for, and then nothing was charged.
   */
  function decideAtOnce(ctx: Context, endpoint: LimitedEndpoint): Counted | undefined {
    const who = headerIdentity(ctx, endpoint);
    if (who === IN_BODY) return undefined;
    const tierName = who ? lookupFor(who).known?.(who.id) : null;
    if (tierName === undefined) return undefined;
    const decision = bucketsFor(ctx, endpoint, who, tierName);
    const states = limiter.takeAtOnce?.(decision.buckets);
    return states && { ...decision, states };
  }

  async function decide(ctx: Context, endpoint: LimitedEndpoint): Promise<Counted> {
    const who = await claimedIdentity(ctx, endpoint);
    const decision = bucketsFor(ctx, endpoint, who, who ? await lookupFor(who)(who.id) : null);
    return { ...decision, states: await limiter.take(decision.buckets) };
  }

  function answer(ctx: Context, next: Next, endpoint: LimitedEndpoint, { who, buckets, states }: Counted) {
    const refused = states.findIndex((s) => !s.allowed);
    // Tell the client about the bucket that refused it, else the one closest to refusing.
    const shown = refused >= 0 ? refused : states.reduce((lo, s, i) => (s.remaining < states[lo]!.remaining ? i : lo), 0);
    setRateLimitHeaders(ctx, buckets[shown]!.tier, states[shown]!);
    if (refused < 0) return next();

    const retryAfter = retryAfterSeconds(states[refused]!);
    ctx.set('Retry-After', String(retryAfter));
    options.onRefused?.(endpoint);
    options.audit.record({
      type: 'rate_limit.refused', ip: ctx.ip, reason: 'rate_limited', target: `endpoint:${endpoint}`,
      clientId: who?.scope === 'client' ? who.id : undefined,
      actor: who?.scope === 'api_key' ? `api_key:${who.id}` : who?.id,
      details: { endpoint, bucket: buckets[refused]!.key.split(':')[1], tier: buckets[refused]!.tier.name, retry_after: retryAfter },
    });
    return sendError(ctx, options.render, {
      status: 429, code: 'rate_limited', description: `too many requests: try again in ${retryAfter} second${retryAfter === 1 ? '' : 's'}`,
    });
  }

  // Not an async function: the fast path hands the request on without a promise of its own.
  return function limitRequests(ctx: Context, next: Next): Promise<unknown> {
    const endpoint = endpointOf(ctx.method, routedPath(ctx.path));
    if (!endpoint) return next();
    const failOpen = (err: unknown) => {
      options.onFailure?.(err);
      return next();
    };
    let counted: Counted | undefined;
    try {
      counted = decideAtOnce(ctx, endpoint);
    } catch (err) {
      return failOpen(err);
    }
    if (counted) return answer(ctx, next, endpoint, counted);
    // next() runs outside the limiter's failure handling: an error behind it is not the limiter's.
    return decide(ctx, endpoint).then((c) => answer(ctx, next, endpoint, c), failOpen);
  };
}

interface Decision {
  who: ClaimedIdentity | undefined;
  buckets: BucketRequest[];
}

interface Counted extends Decision {
  states: BucketState[];
}
