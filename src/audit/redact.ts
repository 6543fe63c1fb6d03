import { API_KEY_PATTERN } from '../security/api-key-format.ts';

export const REDACTED = '[redacted]';

/**
 * Field names whose values are secrets, or carry one: a name containing "secret" or
 * "password", or whose last `_`-separated word is one of these (`client_secret`,
 * `refresh_token`, an API key's `key`, an invitation's `url`, whose path is the
 * invitation token). `token_endpoint_auth_method` or `access_token_ttl` stay readable.
 */
const ANYWHERE = /secret|passw/i;
const LAST_WORD = /(^|[_-])(token|tokens|key|keys|hash|url|code|verifier|jwk|d|pepper|cookie|cookies|authorization|credential|credentials)$/i;

export const isSecretName = (name: string): boolean => ANYWHERE.test(name) || LAST_WORD.test(name);

const MAX_DEPTH = 8;
const MAX_STRING = 2048;

/**
 * A copy of `value` fit for the audit log: secret-named fields and anything shaped like
 * an API key are replaced by `[redacted]`, dates become ISO strings, functions and
 * undefined members are dropped, and very deep or long values are cut short. Never throws.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (value === null || typeof value === 'boolean' || typeof value === 'number') return value;
  if (typeof value === 'string') {
    if (API_KEY_PATTERN.test(value)) return REDACTED;
    return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value !== 'object') return undefined;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1) ?? null);
  if (value instanceof Set) return [...value].map((v) => redactSecrets(v, depth + 1) ?? null);
  const out: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(value)) {
    if (member === undefined || typeof member === 'function') continue;
    out[name] = isSecretName(name) ? REDACTED : redactSecrets(member, depth + 1);
  }
  return out;
}
