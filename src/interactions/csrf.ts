import { createHmac, timingSafeEqual } from 'node:crypto';

import type { Context, Next } from 'koa';

import { GatehouseError } from '../errors.ts';

/**
 * CSRF defence for the interaction forms, in two layers:
 * - a token bound to the interaction (HMAC of its uid under the cookie key), which a
 *   cross-site page cannot read, and
 * - an Origin check: a browser's POST from another site names that site
 *   (Fetch Standard; OWASP CSRF Cheat Sheet, "Verifying Origin").
 * The interaction itself is bound to a SameSite=Lax cookie by node-oidc-provider.
 */
export function createCsrf(options: { key: string; issuer: string }) {
  const expectedOrigin = new URL(options.issuer).origin;

  function tokenFor(uid: string): string {
    return createHmac('sha256', options.key).update(`interaction-csrf:${uid}`).digest('base64url');
  }

  function verifyCsrf(ctx: Context & { params: Record<string, string> }, next: Next) {
    const origin = ctx.get('Origin');
    if (origin && origin !== 'null' && origin !== expectedOrigin) {
      throw new GatehouseError(403, 'invalid_request', 'cross-site form submission refused');
    }
    const presented = Buffer.from(ctx.request.form?.get('csrf') ?? '');
    const expected = Buffer.from(tokenFor(ctx.params.uid ?? ''));
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      throw new GatehouseError(403, 'invalid_request', 'the form has expired or was not sent from this site; go back and try again');
    }
    return next();
  }

  return { tokenFor, verifyCsrf };
}
