import type { Context, Next } from 'koa';

import type { AuditSink } from '../audit/events.ts';
import type { RateLimiter } from '../security/rate-limit/gcra.ts';
import { retryAfterSeconds, setRateLimitHeaders } from '../security/rate-limit/headers.ts';
import { addressKey } from '../security/rate-limit/identity.ts';
import type { RateLimitTier } from '../security/rate-limit/tiers.ts';
import type { Render } from './views.ts';
import { routedPath } from '../http/path-gate.ts';

/**
 * User-code entries per source address, unless RATE_LIMIT_TIERS names a `user_code` tier:
 * a person types a code once or twice (and confirms once); a burst of 10 and 5 a minute
 * after it leave room for typos and stop guessing. RFC 8628 §5.1: a user code has far less
 * entropy than a device code (base-20, 8 characters: about 2^34.6), so the rate at which
 * it can be guessed must be limited.
 */
export const USER_CODE_TIER: RateLimitTier = Object.freeze({ name: 'user_code', rate: 5, periodMs: 60_000, burst: 10 });

export interface UserCodeLimitOptions {
  limiter: RateLimiter;
  tier: RateLimitTier;
  render: Render;
  audit: AuditSink;
  /** The limiter failed (Redis unreachable): the entry goes through (fail open). */
  onFailure?: (err: unknown) => void;
}

/**
 * Counts every POST of the user-code page (`/device`: entering a code, confirming,
 * denying) in the address's bucket, in the shared request limiter (Redis when configured,
 * so every Gatehouse process counts together). Over the limit the page says so with 429
 * and Retry-After, before node-oidc-provider looks the code up.
 */
export function limitUserCodeEntry(options: UserCodeLimitOptions) {
  const { limiter, tier } = options;
  return async function limitUserCodes(ctx: Context, next: Next) {
    if (ctx.method !== 'POST' || routedPath(ctx.path) !== '/device') return next();
    const key = `user_code:ip:${addressKey(ctx.ip)}`;
    let state;
    try {
      [state] = await limiter.take([{ key, tier }]);
    } catch (err) {
      options.onFailure?.(err);
      return next();
    }
    if (!state) return next();
    setRateLimitHeaders(ctx, tier, state);
    if (state.allowed) return next();

    const retryAfter = retryAfterSeconds(state);
    ctx.set('Retry-After', String(retryAfter));
    options.audit.record({
      type: 'rate_limit.refused', ip: ctx.ip, reason: 'rate_limited', target: 'endpoint:user_code',
      details: { endpoint: 'user_code', bucket: 'ip', tier: tier.name, retry_after: retryAfter },
    });
    ctx.status = 429;
    await options.render(ctx, 'device-input', {
      action: '/device', xsrf: '', userCode: '',
      errorKey: 'device.error.tooMany', errorParams: { seconds: retryAfter },
    });
  };
}
