import type { ZodType } from 'zod';

import { GatehouseError } from '../errors.ts';
import { ApiKeyInputError } from '../security/api-key-input.ts';
import { InvalidCursorError } from '../stores/api-keys.ts';

/**
 * Parses admin API input with its schema. A failure is one 400 listing every problem as
 * `{ path, message }`, where path is dotted (`scopes.1`, `ip_allow_list.0`).
 */
export function validate<T>(schema: ZodType<T>, input: unknown, where: 'body' | 'query'): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields = result.error.issues.map((issue) => ({
    path: issue.path.length ? issue.path.map(String).join('.') : where,
    message: issue.message,
  }));
  const summary = fields.map((f) => `${f.path}: ${f.message}`).join('; ');
  throw new GatehouseError(400, 'invalid_request', `invalid ${where}: ${summary}`, { fields });
}

/**
 * Input errors raised below the routes (the API-key service's checks, a foreign or
 * damaged list cursor) are the caller's mistake: 400, mapped here once for every route.
 */
export function asInputError(err: unknown): unknown {
  if (err instanceof ApiKeyInputError) {
    return new GatehouseError(400, 'invalid_request', err.message, { fields: [{ path: err.field, message: err.message }] });
  }
  if (err instanceof InvalidCursorError) return new GatehouseError(400, 'invalid_request', 'cursor is not valid');
  return err;
}
