import type { Context, Next } from 'koa';

import { GatehouseError } from '../errors.ts';
import { discardRest } from './discard-body.ts';

declare module 'koa' {
  interface Request {
    json?: unknown;
  }
}

export interface JsonBodyOptions {
  /** Largest body read, in bytes. */
  limit: number;
  /** Deepest nesting of arrays and objects accepted. */
  maxDepth: number;
}

/** A UTF-16 surrogate without its pair (String.prototype.isWellFormed, before ES2024 typings). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const refuse = (description: string) => new GatehouseError(400, 'invalid_request', description);

/**
 * Reads an `application/json` body into `ctx.request.json` (undefined when there is no
 * body). Bad JSON and other media types are a 400/415 with a plain reason; oversized
 * bodies a 413 — never a 500. Beyond RFC 8259 it refuses what no admin API body needs
 * and what would hurt further in: text that is not UTF-8 (RFC 8259 §8.1), nesting deeper
 * than `maxDepth` (recursion in validation and serialisation), a NUL character in any
 * name or string (BSON field names cannot hold one, and C libraries stop at it), and a
 * `\ud800`-style escape of a lone surrogate, which no UTF-8 store can keep (§8.2).
 */
export function jsonBody(overrides: Partial<JsonBodyOptions> = {}) {
  const options: JsonBodyOptions = { limit: 64 * 1024, maxDepth: 32, ...overrides };
  return async function readJsonBody(ctx: Context, next: Next) {
    const length = Number(ctx.get('Content-Length') || 0);
    const chunked = ctx.get('Transfer-Encoding') !== '';
    if (!length && !chunked) return next();
    if (!ctx.is('application/json')) {
      throw new GatehouseError(415, 'invalid_request', 'the request body must be application/json');
    }
    const tooLarge = () => new GatehouseError(413, 'invalid_request', `the request body is larger than ${options.limit} bytes`);
    if (length > options.limit) {
      discardRest(ctx);
      throw tooLarge();
    }
    let size = 0;
    const chunks: Buffer[] = [];
    // Not destroyed on the way out: the refusal must still be answered (discard-body.ts).
    for await (const chunk of ctx.req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > options.limit) {
        discardRest(ctx);
        throw tooLarge();
      }
      chunks.push(chunk);
    }
    ctx.request.json = parseJson(Buffer.concat(chunks), options.maxDepth);
    return next();
  };
}

export function parseJson(body: Buffer, maxDepth: number): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw refuse('the request body is not valid UTF-8');
  }
  if (depthOf(text) > maxDepth) throw refuse(`the request body is nested deeper than ${maxDepth} levels`);
  let hasNul = false;
  let illFormed = false;
  const check = (text: string) => {
    if (text.includes('\0')) hasNul = true;
    if (LONE_SURROGATE.test(text)) illFormed = true;
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, (key, value: unknown) => {
      check(key);
      if (typeof value === 'string') check(value);
      return value;
    });
  } catch {
    throw refuse('the request body is not valid JSON');
  }
  if (hasNul) throw refuse('the request body contains a NUL character');
  if (illFormed) throw refuse('the request body contains text that is not well-formed Unicode');
  return parsed;
}

/** The deepest nesting of `[` and `{` outside strings: counted before parsing, so cheaply. */
function depthOf(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > deepest) deepest = depth;
    } else if (c === 0x5d || c === 0x7d) {
      depth -= 1;
    }
  }
  return deepest;
}
