import { createHmac, timingSafeEqual } from 'node:crypto';

import type { Context, Next } from 'koa';

import { GatehouseError } from '../errors.ts';

/**
 * CSRF defence for Gatehouse's HTML forms (sign-in interactions, invitations), in two
 * layers:
 * - a token bound to the thing the form acts on (HMAC of its id under the cookie key,
 *   separated by `purpose`), which a cross-site page cannot read, and
 * - an Origin check: a browser's POST from another site names that site
 *   (Fetch Standard; OWASP CSRF Cheat Sheet, "Verifying Origin").
 * The interaction itself is also bound to a SameSite=Lax cookie by node-oidc-provider.
 */
export function createCsrf(options: { key: string; issuer: string; purpose: string }) {
  const expectedOrigin = new URL(options.issuer).origin;

  function tokenFor(subject: string): string {
    return createHmac('sha256', options.key).update(`${options.purpose}:${subject}`).digest('base64url');
  }

  function checkOrigin(ctx: Context, next: Next) {
    const origin = ctx.get('Origin');
    if (origin && origin !== 'null' && origin !== expectedOrigin) {
      throw new GatehouseError(403, 'invalid_request', 'cross-site form submission refused');
    }
    return next();
  }

  /** Throws unless the form's `csrf` field is the token for `subject`. */
  function verifyToken(ctx: Context, subject: string): void {
    const presented = Buffer.from(ctx.request.form?.get('csrf') ?? '');
    const expected = Buffer.from(tokenFor(subject));
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      throw new GatehouseError(403, 'invalid_request', 'the form has expired or was not sent from this site; go back and try again');
    }
  }

  /** Both layers, for routes whose subject is the `:uid` path parameter. */
  function verifyCsrf(ctx: Context & { params: Record<string, string> }, next: Next) {
    return checkOrigin(ctx, () => {
      verifyToken(ctx, ctx.params.uid ?? '');
      return next();
    });
  }

  return { tokenFor, checkOrigin, verifyToken, verifyCsrf };
}
