import type { Context, Next } from 'koa';

import { GatehouseError } from '../errors.ts';
import { discardRest } from './discard-body.ts';

declare module 'koa' {
  interface Request {
    form?: URLSearchParams;
  }
}

export interface FormBodyOptions {
  /** Largest body read, in bytes. */
  limit: number;
  /** Most fields a form may carry. */
  maxFields: number;
}

const refuse = (description: string) => new GatehouseError(400, 'invalid_request', description);

/**
 * Reads an `application/x-www-form-urlencoded` body (the interaction and invitation
 * pages' forms) into `ctx.request.form`. These forms carry an email, a password and a
 * token, so the limits are small, and the parsing is strict where URLSearchParams is
 * lenient: a body that is not UTF-8, a broken %-escape, a NUL character, or a field
 * sent twice is refused (400) rather than guessed at. A field sent twice is ambiguous
 * (which `csrf`, which `decision`?); RFC 6749 §3.1 refuses the same for OAuth requests.
 */
export function formBody(overrides: Partial<FormBodyOptions> = {}) {
  const options: FormBodyOptions = { limit: 16 * 1024, maxFields: 32, ...overrides };
  return async function readFormBody(ctx: Context, next: Next) {
    if (!ctx.is('application/x-www-form-urlencoded')) {
      throw new GatehouseError(415, 'invalid_request', 'expected an application/x-www-form-urlencoded form');
    }
    const tooLarge = () => new GatehouseError(413, 'invalid_request', 'the form is too large');
    if (Number(ctx.get('Content-Length') || 0) > options.limit) {
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
    ctx.request.form = parseForm(Buffer.concat(chunks), options.maxFields);
    return next();
  };
}

/** Strict application/x-www-form-urlencoded (WHATWG URL §5.1, without its error recovery). */
export function parseForm(body: Buffer, maxFields: number): URLSearchParams {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw refuse('the form is not valid UTF-8');
  }
  const form = new URLSearchParams();
  const pairs = text.split('&').filter((pair) => pair !== '');
  if (pairs.length > maxFields) throw refuse(`the form has more than ${maxFields} fields`);
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = decode(eq === -1 ? pair : pair.slice(0, eq));
    const value = decode(eq === -1 ? '' : pair.slice(eq + 1));
    if (name.includes('\0') || value.includes('\0')) throw refuse('the form contains a NUL character');
    if (form.has(name)) throw refuse(`the form field "${printable(name)}" is sent more than once`);
    form.append(name, value);
  }
  return form;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    throw refuse('the form contains a broken %-escape or one that is not UTF-8');
  }
}

/** A field name fit to echo in a message: short, and without control characters. */
export function printable(name: string): string {
  return name.replace(/[^\x20-\x7E]/g, '?').slice(0, 40);
}
