import { DuplicateApiKeyIdError, type ApiKeyOwner, type ApiKeyRecord, type ApiKeyStore } from '../stores/api-keys.ts';
import { API_KEY_ENV, apiKeyPrefix, checkApiKey, generateApiKey } from './api-key-format.ts';
import { createApiKeyHasher } from './api-key-hash.ts';
import { importApiKey, type ApiKeyImport } from './api-key-import.ts';
import {
  ApiKeyInputError, checkIpAllowList, checkName, checkRateLimitTier, checkScopes, DAY_MS, resolveExpiry, type ApiKeyRequest,
} from './api-key-input.ts';
import { createTouchCoalescer, type TouchErrorReporter } from './api-key-touch.ts';
import { createAllowListCache } from './ip-allow-list.ts';

export { ApiKeyInputError, type ApiKeyRequest } from './api-key-input.ts';
export type { ApiKeyImport, ApiKeyImportAction } from './api-key-import.ts';

export interface ApiKeyServiceOptions {
  store: ApiKeyStore;
  /** The server pepper (config.secretPepper); API keys use a subkey derived from it. */
  pepper: string | Buffer;
  /** Environment tag written into every key: "live", "test", ... ([a-z0-9]{1,8}). */
  env: string;
  now?: () => Date;
  maxExpiresInDays?: number;
  defaultExpiresInDays?: number;
  /** At most one `lastUsedAt` write per key per interval, per process. */
  touchIntervalMs?: number;
  /** When set, `rate_limit_tier` must be one of these. */
  rateLimitTiers?: readonly string[];
  /** Failures of fire-and-forget work (the `lastUsedAt` write); they never fail a request. */
  onError?: TouchErrorReporter;
}

/** Decided by the server, never by the request body. */
export interface IssueContext {
  owner: ApiKeyOwner;
  orgId?: string;
  /** The owner's scopes: the key gets a non-empty subset of these. */
  allowedScopes: readonly string[];
}

export type VerifyFailureReason = 'malformed' | 'checksum' | 'unknown' | 'revoked' | 'expired' | 'ip_not_allowed';
export type VerifyResult = { ok: true; record: ApiKeyRecord } | { ok: false; reason: VerifyFailureReason };
export type RotateResult =
  | { ok: true; key: string; record: ApiKeyRecord; previous: ApiKeyRecord }
  | { ok: false; reason: 'unknown' | 'revoked' | 'expired' };

/** What lists and the admin API show: never the hash, never the key. */
export interface PublicApiKey {
  id: string;
  name: string;
  prefix: string;
  last4: string;
  status: 'active' | 'expired' | 'revoked';
  scopes: string[];
  owner: ApiKeyOwner;
  org_id?: string;
  created_at: string;
  expires_at: string;
  last_used_at?: string;
  revoked_at?: string;
  ip_allow_list: string[];
  rate_limit_tier?: string;
  rotated_from?: string;
}

/** RFC 7662 §2.2, answered exactly as for access tokens; times are NumericDate seconds. */
export type ApiKeyIntrospection =
  | { active: false }
  | {
    active: true; scope: string; sub: string; client_id?: string; org_id?: string; exp: number; iat: number;
    token_type: 'api_key'; key_id: string; ip_allow_list?: string[];
  };

export interface ApiKeyService {
  /** `key` is shown to the caller once; only `record` (with the hash) is kept. */
  issue(input: ApiKeyRequest, context: IssueContext): Promise<{ key: string; record: ApiKeyRecord }>;
  verify(presented: string, context?: { ip?: string }): Promise<VerifyResult>;
  /** A new key with the same metadata; the old one is revoked, or kept until now + overlap. */
  rotate(id: string, options?: { overlapSeconds?: number }): Promise<RotateResult>;
  /** Idempotent; the record as it is now, undefined for an unknown id. */
  revoke(id: string): Promise<ApiKeyRecord | undefined>;
  toPublic(record: ApiKeyRecord): PublicApiKey;
  /**
   * For a resource server that was handed the key. The key's IP allow-list is not checked
   * against the resource server's own address (which says nothing about who holds the
   * key): it is returned as `ip_allow_list`, for the resource server to hold its caller to.
   */
  introspect(presented: string): Promise<ApiKeyIntrospection>;
  /**
   * Stores a key given in full (a seed; see api-key-import.ts): checked like `issue`'s
   * input, matched by id, only its keyed hash kept. `dryRun` checks and writes nothing.
   */
  importKey(key: string, input: ApiKeyRequest, context: IssueContext, options?: { dryRun?: boolean }): Promise<ApiKeyImport>;
}

export const MAX_ROTATION_OVERLAP_SECONDS = 7 * 86_400;
const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

export function createApiKeyService(options: ApiKeyServiceOptions): ApiKeyService {
  const { store, env, now = () => new Date(), maxExpiresInDays = 365, defaultExpiresInDays = 90 } = options;
  if (!API_KEY_ENV.test(env)) throw new TypeError(`API key environment tag must match [a-z0-9]{1,8} (got "${env}")`);
  if (!Number.isInteger(maxExpiresInDays) || maxExpiresInDays < 1) throw new TypeError('maxExpiresInDays must be a positive integer');
  if (!Number.isInteger(defaultExpiresInDays) || defaultExpiresInDays < 1 || defaultExpiresInDays > maxExpiresInDays) {
    throw new TypeError('defaultExpiresInDays must be a positive integer no greater than maxExpiresInDays');
  }
  const hasher = createApiKeyHasher(options.pepper);
  const touch = createTouchCoalescer(store, options.touchIntervalMs ?? 60_000, options.onError);
  const allowList = createAllowListCache();

  /** Generates the key and stores its record; a (71-bit) id collision just draws again. */
  async function insertNew(base: Omit<ApiKeyRecord, 'id' | 'env' | 'hash' | 'last4'>) {
    for (let attempt = 1; ; attempt++) {
      const { key, id, secret } = generateApiKey(env);
      const record: ApiKeyRecord = { ...base, id, env, hash: hasher.hash(secret), last4: key.slice(-4) };
      try {
        await store.insert(record);
        return { key, record };
      } catch (err) {
        if (!(err instanceof DuplicateApiKeyIdError) || attempt >= 3) throw err;
      }
    }
  }

  const statusOf = (r: ApiKeyRecord, at: Date) => (r.revokedAt ? 'revoked' : r.expiresAt <= at ? 'expired' : 'active');

  async function verify(presented: string, context: { ip?: string; anyAddress?: boolean } = {}): Promise<VerifyResult> {
    const parsed = checkApiKey(presented);
    if (!parsed.ok) return parsed;
    const { env: keyEnv, id, secret } = parsed.parts;
    const record = await store.findById(id);
    // The secret is checked before anything else about the record: the id is public
    // (lists show it), so revoked/expired must not be observable without the secret.
    if (!record || record.env !== keyEnv || !hasher.verify(record.hash, secret)) return { ok: false, reason: 'unknown' };
    const at = now();
    const status = statusOf(record, at);
    if (status !== 'active') return { ok: false, reason: status };
    if (!context.anyAddress && !allowList(record.ipAllowList).allows(context.ip)) return { ok: false, reason: 'ip_not_allowed' };
    touch(record, at);
    return { ok: true, record };
  }

  return {
    async issue(input, context) {
      const at = now();
      const base = {
        name: checkName(input.name),
        scopes: checkScopes(input.scopes, context.allowedScopes),
        expiresAt: resolveExpiry(input, { now: at, maxExpiresInDays, defaultExpiresInDays }),
        ipAllowList: checkIpAllowList(input.ip_allow_list),
        owner: { type: context.owner.type, id: context.owner.id },
        createdAt: at,
      };
      const tier = checkRateLimitTier(input.rate_limit_tier, options.rateLimitTiers);
      return insertNew({
        ...base, ...(context.orgId !== undefined && { orgId: context.orgId }), ...(tier !== undefined && { rateLimitTier: tier }),
      });
    },

    verify,

    async rotate(id, { overlapSeconds = 0 } = {}) {
      if (!Number.isInteger(overlapSeconds) || overlapSeconds < 0 || overlapSeconds > MAX_ROTATION_OVERLAP_SECONDS) {
        throw new ApiKeyInputError('overlap_seconds', `overlap_seconds must be an integer from 0 to ${MAX_ROTATION_OVERLAP_SECONDS}`);
      }
      const previous = await store.findById(id);
      if (!previous) return { ok: false, reason: 'unknown' };
      const at = now();
      const status = statusOf(previous, at);
      if (status !== 'active') return { ok: false, reason: status };
      // The new key lives as long as the old one was meant to, within today's maximum.
      const lifetime = Math.min(previous.expiresAt.getTime() - previous.createdAt.getTime(), maxExpiresInDays * DAY_MS);
      const { name, owner, orgId, scopes, ipAllowList, rateLimitTier } = previous;
      // Insert first, retire second: a failure in between leaves two valid keys, never none.
      const issued = await insertNew({
        name, owner, scopes, ipAllowList, createdAt: at, expiresAt: new Date(at.getTime() + lifetime), rotatedFrom: id,
        ...(orgId !== undefined && { orgId }), ...(rateLimitTier !== undefined && { rateLimitTier }),
      });
      if (overlapSeconds === 0) await store.revoke(id, at);
      else await store.shortenExpiry(id, new Date(at.getTime() + overlapSeconds * 1000));
      return { ok: true, ...issued, previous: (await store.findById(id)) ?? previous };
    },

    async revoke(id) {
      await store.revoke(id, now());
      return store.findById(id);
    },

    toPublic(r) {
      return {
        id: r.id, name: r.name, prefix: apiKeyPrefix(r.env, r.id), last4: r.last4, status: statusOf(r, now()),
        scopes: [...r.scopes], owner: { ...r.owner }, ...(r.orgId !== undefined && { org_id: r.orgId }),
        created_at: r.createdAt.toISOString(), expires_at: r.expiresAt.toISOString(),
        ...(r.lastUsedAt && { last_used_at: r.lastUsedAt.toISOString() }),
        ...(r.revokedAt && { revoked_at: r.revokedAt.toISOString() }),
        ip_allow_list: [...r.ipAllowList],
        ...(r.rateLimitTier !== undefined && { rate_limit_tier: r.rateLimitTier }),
        ...(r.rotatedFrom !== undefined && { rotated_from: r.rotatedFrom }),
      };
    },

    importKey(key, input, context, importOptions) {
      return importApiKey({
        store, hasher, env, now: now(), maxExpiresInDays, defaultExpiresInDays, rateLimitTiers: options.rateLimitTiers,
      }, key, input, context, importOptions);
    },

    async introspect(presented) {
      const result = await verify(presented, { anyAddress: true });
      if (!result.ok) return { active: false };
      const r = result.record;
      return {
        active: true, scope: r.scopes.join(' '), sub: r.owner.id,
        ...(r.owner.type === 'service_account' && { client_id: r.owner.id }),
        ...(r.orgId !== undefined && { org_id: r.orgId }),
        exp: seconds(r.expiresAt), iat: seconds(r.createdAt), token_type: 'api_key', key_id: r.id,
        ...(r.ipAllowList.length > 0 && { ip_allow_list: [...r.ipAllowList] }),
      };
    },
  };
}
