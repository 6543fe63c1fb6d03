import type { Context, Next } from 'koa';

import { GatehouseError } from '../errors.ts';

declare module 'koa' {
  interface Request {
    json?: unknown;
  }
}

/**
 * Reads an `application/json` body into `ctx.request.json` (undefined when there is no
 * body). Bad JSON and other media types are a 400/415 with a plain reason; oversized
 * bodies a 413 — never a 500.
 */
export function jsonBody(options: { limit: number } = { limit: 64 * 1024 }) {
  return async function readJsonBody(ctx: Context, next: Next) {
    const length = Number(ctx.get('Content-Length') || 0);
    const chunked = ctx.get('Transfer-Encoding') !== '';
    if (!length && !chunked) return next();
    if (!ctx.is('application/json')) {
      throw new GatehouseError(415, 'invalid_request', 'the request body must be application/json');
    }
    if (length > options.limit) throw new GatehouseError(413, 'invalid_request', `the request body is larger than ${options.limit} bytes`);
    let size = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > options.limit) throw new GatehouseError(413, 'invalid_request', `the request body is larger than ${options.limit} bytes`);
      chunks.push(chunk);
    }
    try {
      ctx.request.json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)));
    } catch {
      throw new GatehouseError(400, 'invalid_request', 'the request body is not valid JSON');
    }
    return next();
  };
}
