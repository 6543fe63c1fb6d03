import type { Context, Next } from 'koa';

/**
 * Headers for every response Gatehouse serves: pages cannot be framed (clickjacking on
 * the login and consent forms), nothing is sniffed, and no URL with codes or state leaks
 * through the Referer header (RFC 9700 §4.2.4).
 */
export function securityHeaders(options: { https: boolean }) {
  return async function setSecurityHeaders(ctx: Context, next: Next) {
    await next();
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    if (ctx.response.is('html')) {
      ctx.set('X-Frame-Options', 'DENY');
      // node-oidc-provider sets its own CSP on pages it renders with inline scripts (the
      // form_post and logout auto-submit forms); keep that one.
      if (!ctx.response.get('Content-Security-Policy')) {
        ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self' *; frame-ancestors 'none'; base-uri 'none'");
      }
    }
    if (options.https) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  };
}
