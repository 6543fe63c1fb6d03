import type { Context } from 'koa';

/**
 * 503 with RFC 6749's `temporarily_unavailable` (§4.1.2.1: the registered code for "the
 * server cannot handle the request now"), in the JSON shape of the OAuth endpoints.
 * RFC 7662 has no code of its own for it; RFC 7009 §2.2.1 gives 503 its meaning for
 * revocation: the token was not revoked, retry later.
 */
export function answerUnavailable(ctx: Context, description: string): void {
  ctx.status = 503;
  ctx.set('Retry-After', '1');
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error: 'temporarily_unavailable', error_description: description };
}
