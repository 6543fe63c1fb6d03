import type { Context } from 'koa';

/**
 * Sets header values that are strings already straight on Node's response. Koa's
 * `ctx.set(object)` builds two arrays and normalizes every value on each call; the
 * security and rate-limit headers go out on every request.
 */
export function setHeaders(ctx: Context, headers: Readonly<Record<string, string>>): void {
  if (ctx.headerSent) return;
  for (const name in headers) ctx.res.setHeader(name, headers[name]!);
}
