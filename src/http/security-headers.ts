import type { Context, Next } from 'koa';

import { setHeaders } from './set-headers.ts';

/**
 * A strict Content-Security-Policy: no external assets (but a themed logo's origin, when
 * GATEHOUSE_THEME_LOGO_URL names one), no inline script or style, and pages cannot be
 * framed, which stops clickjacking on the login and consent forms. The policy is set
 * before the request is handled, because node-oidc-provider adds the hash of its own
 * inline script (the form_post auto-submit) to `script-src`.
 */
function contentSecurityPolicy(imageSources: readonly string[]): string {
  return [
    "default-src 'none'", "script-src 'self'", "style-src 'self'", ["img-src 'self' data:", ...imageSources].join(' '),
    "frame-ancestors 'none'", "base-uri 'none'",
  ].join('; ');
}

/**
 * Headers for every response Gatehouse serves: nothing is sniffed, and no URL with codes
 * or state leaks through the Referer header (RFC 9700 §4.2.4).
 */
export function securityHeaders(options: { https: boolean; imageSources?: readonly string[] }) {
  // Made once, set in one call on every response.
  const headers: Record<string, string> = {
    'Content-Security-Policy': contentSecurityPolicy(options.imageSources ?? []),
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    ...(options.https ? { 'Strict-Transport-Security': 'max-age=31536000; includeSubDomains' } : {}),
  };
  return function setSecurityHeaders(ctx: Context, next: Next) {
    setHeaders(ctx, headers);
    return next();
  };
}

/**
 * Lets this one response load images from `origin` too (an app's logo on the login page:
 * interactions/client-presentation.ts), by adding it to the `img-src` that
 * setSecurityHeaders set. Only an origin (scheme, host, port) is ever added.
 */
export function allowImageSource(ctx: Context, origin: string): void {
  const policy = ctx.response.get('Content-Security-Policy');
  if (typeof policy !== 'string' || !policy) return;
  ctx.set('Content-Security-Policy', policy.replace(/(^|; )img-src ([^;]*)/, (_all, lead: string, sources: string) => `${lead}img-src ${sources} ${origin}`));
}
