import { STATUS_CODES } from 'node:http';

import type { Context, Next } from 'koa';
import { errors } from 'oidc-provider';

import { GatehouseError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Render } from '../interactions/views.ts';

/** What a client is told of a refused request; `details` only for Gatehouse's own errors. */
export interface ErrorReply {
  status: number;
  code: string;
  description: string;
  details?: Readonly<Record<string, unknown>> | undefined;
}

/** The error page for browsers, `{ error, error_description }` JSON otherwise. */
export async function sendError(ctx: Context, render: Render, reply: ErrorReply): Promise<void> {
  ctx.status = reply.status;
  if (ctx.accepts('json', 'html') === 'html') {
    await render(ctx, 'error', { error: reply.code, description: reply.description });
    ctx.status = reply.status;
  } else {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { error: reply.code, error_description: reply.description, ...reply.details };
  }
}

/**
 * The one place where an error thrown by Gatehouse's own routes becomes a response (see
 * sendError). Unknown errors are logged and answered as a generic 500: a stack trace
 * never reaches a client. A 4xx that nothing answered (no route, a method the route does
 * not take) gets the same shape instead of Koa's bare text, so every refusal a client
 * sees is an error it can parse. (node-oidc-provider answers errors on its own
 * endpoints in the RFC 6749 shapes.)
 */
export function errorHandler(options: { render: Render; logger: Logger }) {
  return async function handleErrors(ctx: Context, next: Next) {
    try {
      await next();
    } catch (err) {
      const reply = classify(err);
      // The route pattern, not the path: paths can carry secrets (an invitation token).
      const route = (ctx as Context & { _matchedRoute?: unknown })._matchedRoute;
      if (reply.status >= 500) options.logger.error({ err, req_id: ctx.state.requestId, route }, 'request failed');
      await sendError(ctx, options.render, reply);
      return;
    }
    if (ctx.status >= 400 && ctx.body == null && ctx.method !== 'HEAD') {
      await sendError(ctx, options.render, unanswered(ctx.status));
    }
  };
}

function unanswered(status: number): ErrorReply {
  if (status === 404) return { status, code: 'not_found', description: 'there is nothing at this address' };
  if (status === 405) return { status, code: 'method_not_allowed', description: 'this address does not take this method' };
  return { status, code: 'invalid_request', description: STATUS_CODES[status]?.toLowerCase() ?? 'the request was refused' };
}

function classify(err: unknown): ErrorReply {
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
      status, code: err.error,
      description: err.expose ? err.error_description ?? err.message : 'the server could not complete the request',
    };
  }
  // decodeURIComponent of a broken %-escape the client sent, wherever it was left uncaught.
  if (err instanceof URIError) {
    return { status: 400, code: 'invalid_request', description: 'the request contains a broken %-escape' };
  }
  // A request-shaped failure from Koa or a body reader that was not wrapped (http-errors
  // with a 4xx status and expose): the client's fault, said without internals.
  const status = (err as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500 && (err as { expose?: unknown }).expose === true) {
    return { status, code: 'invalid_request', description: STATUS_CODES[status]?.toLowerCase() ?? 'the request was refused' };
  }
  return { status: 500, code: 'server_error', description: 'the server could not complete the request' };
}
