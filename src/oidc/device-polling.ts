import { createHash } from 'node:crypto';

import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import type { Adapter, AdapterPayload, KoaContextWithOIDC } from 'oidc-provider';
import { routedPath } from '../http/path-gate.ts';

import type { AdapterFactory } from './adapter-guard.ts';
import type { RateLimiter } from '../security/rate-limit/gcra.ts';
import { peekForm } from '../security/rate-limit/peek-form.ts';

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** Token requests are small; a longer body is left to the provider unpeeked. */
const PEEK_LIMIT = 8 * 1024;
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
  provider: Provider;
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
 *   (approved, denied, expired, unknown) pass straight to the provider, which answers.
 */
export function devicePolling(options: DevicePollingOptions) {
  const { provider, intervalSeconds, limiter } = options;
  const tier = { name: 'device_poll', rate: 1, periodMs: Math.round(intervalSeconds * 800), burst: 1 };

  async function pendingDeviceCode(ctx: Context): Promise<string | undefined> {
    if (ctx.method !== 'POST' || routedPath(ctx.path) !== '/token' || !ctx.is('application/x-www-form-urlencoded')) return undefined;
    const length = Number(ctx.get('Content-Length'));
    if (!Number.isSafeInteger(length) || length <= 0 || length > PEEK_LIMIT) return undefined;
    const form = await peekForm(ctx.req, length);
    const value = form?.get('device_code');
    if (form?.get('grant_type') !== DEVICE_CODE_GRANT || !value) return undefined;
    const code = await provider.DeviceCode.find(value, { ignoreExpiration: true });
    if (!code || code.isExpired || code.accountId || code.error) return undefined;
    return value;
  }

  return async function paceDevicePolling(ctx: Context, next: Next) {
    let deviceCode: string | undefined;
    try {
      deviceCode = limiter ? await pendingDeviceCode(ctx) : undefined;
      if (deviceCode) {
        // The device code is a bearer secret: only its hash names the bucket.
        const key = `device_poll:${createHash('sha256').update(deviceCode).digest('base64url')}`;
        const [state] = await limiter!.take([{ key, tier }]);
        if (state && !state.allowed) {
          ctx.status = 400;
          ctx.set('Cache-Control', 'no-store');
          ctx.body = { error: 'slow_down', error_description: `poll at most every ${intervalSeconds} seconds, and 5 seconds more after each slow_down` };
          return;
        }
      }
    } catch (err) {
      options.onFailure?.(err);
    }
    await next();
    const body = ctx.body as Record<string, unknown> | undefined;
    if ((ctx as unknown as Partial<KoaContextWithOIDC>).oidc?.route === 'device_authorization' && ctx.status === 200 && typeof body?.['device_code'] === 'string') {
      body['interval'] = intervalSeconds;
    }
  };
}
