import type { Context, Next } from 'koa';

import { GatehouseError } from '../errors.ts';

declare module 'koa' {
  interface Request {
    form?: URLSearchParams;
  }
}

/**
 * Reads an `application/x-www-form-urlencoded` body (the interaction pages' forms) into
 * `ctx.request.form`. Small limit: these forms carry an email, a password and a token.
 */
export function formBody(options: { limit: number } = { limit: 16 * 1024 }) {
  return async function readFormBody(ctx: Context, next: Next) {
    if (!ctx.is('application/x-www-form-urlencoded')) {
      throw new GatehouseError(415, 'invalid_request', 'expected an application/x-www-form-urlencoded form');
    }
    let size = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > options.limit) throw new GatehouseError(413, 'invalid_request', 'the form is too large');
      chunks.push(chunk);
    }
    ctx.request.form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    return next();
  };
}
