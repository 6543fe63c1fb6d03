import { createHash } from 'node:crypto';

import type { Context, Next } from 'koa';
import type { Adapter, AdapterPayload, KoaContextWithOIDC } from 'oidc-provider';

import type { AdapterFactory } from './adapter-guard.ts';
import type { RateLimiter } from '../security/rate-limit/gcra.ts';

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/**
 * How long an expired device code is kept after it expires. node-oidc-provider answers
 * `expired_token` (RFC 8628 §3.5) only for a code it can still find; a code the store has
 * already dropped would get `invalid_grant`, which tells the device nothing useful.
 */
export const EXPIRED_DEVICE_CODE_GRACE_SECONDS = 600;

/**
 * Keeps DeviceCode entries in the store for a while after they expire (the provider still
 * checks the expiry itself): the device then learns `expired_token`, and a person who
 * types an old code is told it expired rather than that it is wrong.
 */
export function keepExpiredDeviceCodes(factory: AdapterFactory): AdapterFactory {
  let deviceCodes: Adapter | undefined;
  return function deviceCodeGrace(model: string) {
    if (model !== 'DeviceCode') return factory(model);
    if (deviceCodes) return deviceCodes;
    const adapter = factory(model);
    deviceCodes = Object.assign(Object.create(adapter) as Adapter, {
      upsert: (id: string, payload: AdapterPayload, expiresIn: number) =>
        adapter.upsert(id, payload, expiresIn + EXPIRED_DEVICE_CODE_GRACE_SECONDS),
    });
    return deviceCodes;
  };
}

export interface DevicePollingOptions {
  /** RFC 8628 §3.2 `interval`, in seconds. */
  intervalSeconds: number;
  /** The request limiter (Redis-backed when REDIS_URL is set); none: polls are not paced. */
  limiter: RateLimiter | undefined;
  /** The limiter failed: the poll goes through (fail open, like every rate limit). */
  onFailure?: (err: unknown) => void;
}

/**
 * The device side of RFC 8628's pacing, which node-oidc-provider leaves to the deployment:
 * - the device authorization response (§3.2) names the `interval` to poll at;
 * - a device that polls a still-pending code again sooner than that is answered
 *   `slow_down` (§3.5). A poll counts in a one-request bucket per device code that refills
 *   after 80% of the interval: a client that waits the interval after each answer, as
 *   §3.4 asks, is never refused for network jitter. Codes that are no longer pending
 *   (approved, denied, expired, unknown) get the provider's answer.
 *
 * The provider answers first, and only its `authorization_pending` is turned into
 * `slow_down` when the poll came too soon. So no other token request pays for the pacing:
 * its body is not read twice, and a device code is not looked up twice.
 */
export function devicePolling(options: DevicePollingOptions) {
  const { intervalSeconds, limiter } = options;
  const tier = { name: 'device_poll', rate: 1, periodMs: Math.round(intervalSeconds * 800), burst: 1 };

  /** The device code of a poll the provider answered `authorization_pending`. */
  function pendingPoll(ctx: KoaContextWithOIDC): string | undefined {
    if (ctx.oidc?.route !== 'token' || ctx.status !== 400) return undefined;
    if ((ctx.body as { error?: unknown } | undefined)?.error !== 'authorization_pending') return undefined;
    const params = ctx.oidc.params as { grant_type?: unknown; device_code?: unknown } | undefined;
    return params?.grant_type === DEVICE_CODE_GRANT && typeof params.device_code === 'string' ? params.device_code : undefined;
  }

  return async function paceDevicePolling(ctx: Context, next: Next) {
    await next();
    const oidcCtx = ctx as unknown as KoaContextWithOIDC;
    const body = ctx.body as Record<string, unknown> | undefined;
    if (oidcCtx.oidc?.route === 'device_authorization' && ctx.status === 200 && typeof body?.['device_code'] === 'string') {
      body['interval'] = intervalSeconds;
      return;
    }
    const deviceCode = limiter ? pendingPoll(oidcCtx) : undefined;
    if (!deviceCode) return;
    try {
      // The device code is a bearer secret: only its hash names the bucket.
      const key = `device_poll:${createHash('sha256').update(deviceCode).digest('base64url')}`;
      const [state] = await limiter!.take([{ key, tier }]);
      if (state && !state.allowed) {
        ctx.body = { error: 'slow_down', error_description: `poll at most every ${intervalSeconds} seconds, and 5 seconds more after each slow_down` };
        ctx.set('Cache-Control', 'no-store');
      }
    } catch (err) {
      options.onFailure?.(err);
    }
  };
}
