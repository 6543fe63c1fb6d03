import type { Context, Next } from 'koa';
import { errors } from 'oidc-provider';

import { GatehouseError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Render } from '../interactions/views.ts';

/**
 * The one place where an error thrown by Gatehouse's own routes becomes a response:
 * the error page for browsers, `{ error, error_description }` JSON otherwise. Unknown
 * errors are logged and answered as a generic 500: a stack trace never reaches a client.
 * (node-oidc-provider answers errors on its own endpoints in the RFC 6749 shapes.)
 */
export function errorHandler(options: { render: Render; logger: Logger }) {
  return async function handleErrors(ctx: Context, next: Next) {
    try {
      await next();
    } catch (err) {
      const { status, code, description, details } = classify(err);
      // The route pattern, not the path: paths can carry secrets (an invitation token).
      const route = (ctx as Context & { _matchedRoute?: unknown })._matchedRoute;
      if (status >= 500) options.logger.error({ err, req_id: ctx.state.requestId, route }, 'request failed');
      ctx.status = status;
      if (ctx.accepts('json', 'html') === 'html') {
        await options.render(ctx, 'error', { error: code, description });
        ctx.status = status;
      } else {
        ctx.body = { error: code, error_description: description, ...details };
      }
    }
  };
}

function classify(err: unknown) {
  if (err instanceof GatehouseError) {
    return {
      status: err.status, code: err.code, details: err.details,
      description: err.expose ? err.message : 'the server could not complete the request',
    };
  }
  if (err instanceof errors.OIDCProviderError) {
    // e.g. SessionNotFound when an interaction cookie has expired.
    const status = err.status ?? 400;
    return {
      status, code: err.error, details: undefined,
      description: err.expose ? err.error_description ?? err.message : 'the server could not complete the request',
    };
  }
  return { status: 500, code: 'server_error', description: 'the server could not complete the request', details: undefined };
}
