import type { Context, Next } from 'koa';

import type { Render } from '../interactions/views.ts';
import { discardRest } from './discard-body.ts';
import { sendError } from './error-handler.ts';

/**
 * Refuses, before a byte of it is read, a request whose declared body is larger than
 * `maxBytes` (RFC 9110 §15.5.14, 413 Content Too Large), on every route: the OAuth
 * endpoints, the pages' forms and the admin API alike. The body is then thrown away as
 * it arrives (discard-body.ts), so the answer is not lost. A chunked body declares no
 * length; each body reader stops at its own cap instead (form-body.ts, json-body.ts,
 * node-oidc-provider's 56 KiB).
 *
 * It answers itself rather than throwing: it runs in front of the error handler, so that
 * nothing behind it (introspection, health, the provider) ever waits for such a body.
 */
export function bodyLimit(options: { maxBytes: number; render: Render }) {
  const { maxBytes, render } = options;
  return function limitBodySize(ctx: Context, next: Next) {
    // Node's parser has already refused a malformed Content-Length (400).
    const declared = Number(ctx.get('Content-Length') || 0);
    if (declared <= maxBytes) return next();
    discardRest(ctx);
    return sendError(ctx, render, {
      status: 413, code: 'invalid_request', description: `the request body is larger than ${maxBytes} bytes`,
    });
  };
}
