import { DuplicateApiKeyIdError, type ApiKeyOwner, type ApiKeyRecord, type ApiKeySettings, type ApiKeyStore } from '../stores/api-keys.ts';
import { checkApiKey } from './api-key-format.ts';
import type { ApiKeyHasher } from './api-key-hash.ts';
import {
  ApiKeyInputError, checkIpAllowList, checkName, checkRateLimitTier, checkScopes, resolveExpiry, type ApiKeyRequest,
} from './api-key-input.ts';

/** What importing a key did (or, in a dry run, would do). */
export type ApiKeyImportAction = 'create' | 'update' | 'unchanged' | 'revoked';

export interface ApiKeyImport {
  action: ApiKeyImportAction;
  /** The record as stored afterwards (as it would be, in a dry run). */
  record: ApiKeyRecord;
}

export interface ApiKeyImportDeps {
  store: Pick<ApiKeyStore, 'findById' | 'insert' | 'updateSettings'>;
  hasher: ApiKeyHasher;
  env: string;
  now: Date;
  maxExpiresInDays: number;
  defaultExpiresInDays: number;
  rateLimitTiers?: readonly string[];
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Stores a key the operator made (`gatehouse api-keys generate`) and put in a seed. The
 * key is checked like an issued one (format, checksum, this server's environment tag)
 * and its settings like `issue`'s input; only the keyed hash of the secret is stored.
 *
 * Matched by id, so importing the same seed again is idempotent. Re-importing never
 * brings a revoked key back, never moves a key to another owner or organization, and
 * only ever moves the expiry earlier: a rotation with overlap may have shortened it, and
 * a seed must not undo that. Expiry is counted from the key's first import.
 * Messages never contain the key: only its public id, which lists show anyway.
 */
export async function importApiKey(
  deps: ApiKeyImportDeps, key: string, input: ApiKeyRequest,
  context: { owner: ApiKeyOwner; orgId?: string; allowedScopes: readonly string[] }, options: { dryRun?: boolean } = {},
): Promise<ApiKeyImport> {
  const parsed = checkApiKey(key);
  if (!parsed.ok) {
    throw new ApiKeyInputError('key', parsed.reason === 'checksum'
      ? 'the checksum does not match: the key is mistyped or truncated'
      : 'is not a Gatehouse API key (gh_<env>_<id>_<secret>_<checksum>; make one with `gatehouse api-keys generate`)');
  }
  const { env, id, secret } = parsed.parts;
  if (env !== deps.env) {
    throw new ApiKeyInputError('key', `is a key for the environment "${env}"; this server's keys are "${deps.env}" (API_KEY_ENV)`);
  }

  const stored = await deps.store.findById(id);
  if (stored && (stored.env !== env || !deps.hasher.verify(stored.hash, secret))) {
    throw new ApiKeyInputError('key', `a different key with the id ${id} is already stored`);
  }
  if (stored?.revokedAt) return { action: 'revoked', record: stored };
  if (stored && (stored.owner.type !== context.owner.type || stored.owner.id !== context.owner.id || stored.orgId !== context.orgId)) {
    throw new ApiKeyInputError('owner', `the stored key ${id} belongs to another owner or organization; revoke it and import a new key`);
  }

  const createdAt = stored?.createdAt ?? deps.now;
  const expiresAt = resolveExpiry(input, { now: createdAt, maxExpiresInDays: deps.maxExpiresInDays, defaultExpiresInDays: deps.defaultExpiresInDays });
  const settings: ApiKeySettings = {
    name: checkName(input.name),
    scopes: checkScopes(input.scopes, context.allowedScopes),
    ipAllowList: checkIpAllowList(input.ip_allow_list),
    expiresAt: stored && stored.expiresAt < expiresAt ? stored.expiresAt : expiresAt,
    rateLimitTier: checkRateLimitTier(input.rate_limit_tier, deps.rateLimitTiers),
  };
  const { rateLimitTier, ...rest } = settings;
  const tier = rateLimitTier !== undefined ? { rateLimitTier } : {};

  if (!stored) {
    const record: ApiKeyRecord = {
      id, env, hash: deps.hasher.hash(secret), last4: key.slice(-4), owner: { type: context.owner.type, id: context.owner.id },
      createdAt, ...rest, ...tier, ...(context.orgId !== undefined && { orgId: context.orgId }),
    };
    try {
      if (!options.dryRun) await deps.store.insert(record);
    } catch (err) {
      // Another node importing the same seed stored it first: match against that record.
      if (err instanceof DuplicateApiKeyIdError) return importApiKey(deps, key, input, context, options);
      throw err;
    }
    return { action: 'create', record };
  }

  const unchanged = stored.name === settings.name && sameList(stored.scopes, settings.scopes)
    && sameList(stored.ipAllowList, settings.ipAllowList) && stored.expiresAt.getTime() === settings.expiresAt.getTime()
    && stored.rateLimitTier === settings.rateLimitTier;
  if (unchanged) return { action: 'unchanged', record: stored };
  const { rateLimitTier: _old, ...kept } = stored;
  const record: ApiKeyRecord = { ...kept, ...rest, ...tier };
  if (!options.dryRun && !(await deps.store.updateSettings(id, settings))) {
    // Revoked between the read and the write: the revocation stands.
    return { action: 'revoked', record: (await deps.store.findById(id)) ?? stored };
  }
  return { action: 'update', record };
}
