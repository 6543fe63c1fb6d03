import { IpAllowListError, parseIpAllowList } from './ip-allow-list.ts';

/**
 * A request to create an API key, as the admin API receives it (so snake_case: these
 * names are also the `field` of an `ApiKeyInputError`). Owner, org and the owner's
 * scopes are not here: the server decides those, not the caller.
 */
export interface ApiKeyRequest {
  name: string;
  scopes: readonly string[];
  /** RFC 3339 date-time with a time zone. Exclusive with `expires_in_days`. */
  expires_at?: string;
  expires_in_days?: number;
  /** CIDR ranges (v4 or v6) or single addresses; empty or absent = any address. */
  ip_allow_list?: readonly string[];
  rate_limit_tier?: string;
}

/** Invalid input; the admin API answers 400 with `fields: [{ path: field, message }]`. */
export class ApiKeyInputError extends Error {
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.name = 'ApiKeyInputError';
    this.field = field;
  }
}

export interface ExpiryPolicy {
  now: Date;
  maxExpiresInDays: number;
  defaultExpiresInDays: number;
}

export const DAY_MS = 86_400_000;

// RFC 3339 §5.6 date-time; the offset is required so "2030-01-01T00:00" cannot mean
// a different instant on every server (ECMA-262 reads a zone-less date-time as local).
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/i;

function parseDateTime(s: string): Date | undefined {
  const m = DATE_TIME.exec(s);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Date.parse rolls "02-30" over to March: check the calendar date really exists.
  if (mo < 1 || mo > 12 || d < 1 || new Date(Date.UTC(y, mo - 1, d)).getUTCDate() !== d) return undefined;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

export function resolveExpiry(req: Pick<ApiKeyRequest, 'expires_at' | 'expires_in_days'>, policy: ExpiryPolicy): Date {
  const { now, maxExpiresInDays: max } = policy;
  if (req.expires_at !== undefined && req.expires_in_days !== undefined) {
    throw new ApiKeyInputError('expires_in_days', 'give either expires_at or expires_in_days, not both');
  }
  if (req.expires_at !== undefined) {
    const at = typeof req.expires_at === 'string' ? parseDateTime(req.expires_at) : undefined;
    if (!at) throw new ApiKeyInputError('expires_at', 'expires_at must be an RFC 3339 date-time with a time zone, e.g. 2030-01-31T00:00:00Z');
    if (at <= now) throw new ApiKeyInputError('expires_at', 'expires_at must be in the future');
    if (at.getTime() > now.getTime() + max * DAY_MS) throw new ApiKeyInputError('expires_at', `expires_at must be at most ${max} days from now`);
    return at;
  }
  const days = req.expires_in_days ?? policy.defaultExpiresInDays;
  if (!Number.isInteger(days) || days < 1 || days > max) {
    throw new ApiKeyInputError('expires_in_days', `expires_in_days must be an integer from 1 to ${max}`);
  }
  return new Date(now.getTime() + days * DAY_MS);
}

export function checkName(name: unknown): string {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  const length = [...trimmed].length; // code points, not UTF-16 units
  if (length < 1 || length > 100) throw new ApiKeyInputError('name', 'name must be 1 to 100 characters long');
  if (/\p{Cc}/u.test(trimmed)) throw new ApiKeyInputError('name', 'name must not contain control characters');
  return trimmed;
}

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** A non-empty subset of the owner's scopes, duplicates dropped, order kept. */
export function checkScopes(scopes: unknown, allowed: readonly string[]): string[] {
  if (!Array.isArray(scopes) || scopes.length === 0) throw new ApiKeyInputError('scopes', 'at least one scope is required');
  const allowedSet = new Set(allowed);
  scopes.forEach((s: unknown, i) => {
    if (typeof s !== 'string' || !SCOPE_TOKEN.test(s)) throw new ApiKeyInputError(`scopes[${i}]`, 'a scope is a non-empty string of printable ASCII without spaces, quotes or backslashes (RFC 6749 §3.3)');
    if (!allowedSet.has(s)) throw new ApiKeyInputError(`scopes[${i}]`, `"${s}" is not one of the owner's scopes`);
  });
  return [...new Set(scopes as string[])];
}

export const MAX_IP_ALLOW_LIST_ENTRIES = 100;

export function checkIpAllowList(list: unknown): string[] {
  if (list === undefined) return [];
  if (!Array.isArray(list) || list.some((e) => typeof e !== 'string')) throw new ApiKeyInputError('ip_allow_list', 'ip_allow_list must be an array of strings');
  if (list.length > MAX_IP_ALLOW_LIST_ENTRIES) throw new ApiKeyInputError('ip_allow_list', `at most ${MAX_IP_ALLOW_LIST_ENTRIES} entries`);
  try {
    return [...parseIpAllowList(list as string[]).entries];
  } catch (err) {
    if (err instanceof IpAllowListError) throw new ApiKeyInputError(`ip_allow_list[${err.index}]`, err.message);
    throw err;
  }
}

export function checkRateLimitTier(tier: unknown, known: readonly string[] | undefined): string | undefined {
  if (tier === undefined) return undefined;
  if (typeof tier !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(tier)) {
    throw new ApiKeyInputError('rate_limit_tier', 'rate_limit_tier must be 1 to 64 characters from A-Z a-z 0-9 _ . -');
  }
  if (known && !known.includes(tier)) throw new ApiKeyInputError('rate_limit_tier', `unknown rate-limit tier "${tier}" (known: ${known.join(', ')})`);
  return tier;
}
