/** Who an API key acts for: a person's account or a service account (DESIGN.md, "Tokens"). */
export interface ApiKeyOwner {
  type: 'account' | 'service_account';
  id: string;
}

/**
 * One API key as persisted. `id` is the public part of the key (api-key-format.ts) and the
 * lookup key; `hash` is the keyed hash of the secret part (api-key-hash.ts). The plain key
 * is never stored. `last4` is the last four characters of the full key (checksum part), so
 * lists can show something the holder recognises without weakening the secret.
 */
export interface ApiKeyRecord {
  id: string;
  env: string;
  hash: string;
  name: string;
  owner: ApiKeyOwner;
  orgId?: string;
  scopes: string[];
  createdAt: Date;
  expiresAt: Date;
  revokedAt?: Date;
  lastUsedAt?: Date;
  /** Canonical CIDR strings (ip-allow-list.ts); empty = any address. */
  ipAllowList: string[];
  rateLimitTier?: string;
  last4: string;
  /** The key this one replaced by rotation. */
  rotatedFrom?: string;
}

/** What an operator may change on a stored key; `rateLimitTier: undefined` removes it. */
export type ApiKeySettings = Pick<ApiKeyRecord, 'name' | 'scopes' | 'ipAllowList' | 'expiresAt'> & { rateLimitTier: string | undefined };

export interface ApiKeyListQuery {
  ownerType?: ApiKeyOwner['type'];
  ownerId?: string;
  orgId?: string;
  /** Revoked keys are left out unless this is true. Expired keys are always listed. */
  includeRevoked?: boolean;
  /** 1 ..= MAX_LIST_LIMIT */
  limit: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface ApiKeyPage {
  items: ApiKeyRecord[];
  /** Present when more items follow. */
  nextCursor?: string;
}

export interface ApiKeyStore {
  /** Throws `DuplicateApiKeyIdError` when the id is taken. */
  insert(record: ApiKeyRecord): Promise<void>;
  findById(id: string): Promise<ApiKeyRecord | undefined>;
  /**
   * Newest first, ordered by (createdAt, id) descending. Keyset paging: the cursor names
   * the last item seen, so pages stay stable while keys are added (no skips, no repeats).
   * Throws `InvalidCursorError` for a cursor this store did not make.
   */
  list(query: ApiKeyListQuery): Promise<ApiKeyPage>;
  /** Sets revokedAt; true only if this call revoked the key (false: unknown or already revoked). */
  revoke(id: string, at: Date): Promise<boolean>;
  /** Moves expiresAt earlier to `at` (never later) on a key that is not revoked; false if no such key. */
  shortenExpiry(id: string, at: Date): Promise<boolean>;
  /** Sets lastUsedAt to `at` unless it is already later (several nodes touch concurrently). */
  touch(id: string, at: Date): Promise<void>;
  /**
   * Replaces the settings of a key that is not revoked (a seed import of a key it already
   * holds). `expiresAt` only ever moves earlier, as with `shortenExpiry`. False if no such key.
   */
  updateSettings(id: string, settings: ApiKeySettings): Promise<boolean>;
  ping(): Promise<void>;
  /** One-time set-up (indexes); call at start-up or from a migration command. */
  prepare(): Promise<void>;
}

export const MAX_LIST_LIMIT = 1000;

export class DuplicateApiKeyIdError extends Error {
  constructor(id: string) {
    super(`an API key with id "${id}" already exists`);
    this.name = 'DuplicateApiKeyIdError';
  }
}

export class InvalidCursorError extends Error {
  constructor() {
    super('invalid cursor');
    this.name = 'InvalidCursorError';
  }
}

// ---------------------------------------------------------------------------------------
// Shared by the backends: the cursor is opaque to callers but identical in every store.

export const encodeCursor = (r: Pick<ApiKeyRecord, 'createdAt' | 'id'>): string =>
  Buffer.from(`${r.createdAt.getTime()}.${r.id}`, 'utf8').toString('base64url');

export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const m = /^(\d{1,15})\.(.+)$/s.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new InvalidCursorError();
  return { createdAt: new Date(Number(m[1])), id: m[2]! };
}

export function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new RangeError(`limit must be an integer from 1 to ${MAX_LIST_LIMIT} (got ${limit})`);
  }
}

export const copyRecord = (r: ApiKeyRecord): ApiKeyRecord => ({
  ...r, owner: { ...r.owner }, scopes: [...r.scopes], ipAllowList: [...r.ipAllowList],
});

/** Descending (createdAt, id): negative when `a` comes first. */
const newestFirst = (a: ApiKeyRecord, b: ApiKeyRecord) =>
  b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** Whether `r` comes after the cursor position in that order. */
const isAfter = (r: ApiKeyRecord, c: { createdAt: Date; id: string }) =>
  r.createdAt.getTime() < c.createdAt.getTime() || (r.createdAt.getTime() === c.createdAt.getTime() && r.id < c.id);

/** Per-process store for the embedded default: nothing survives a restart. */
export function createMemoryApiKeyStore(): ApiKeyStore {
  const byId = new Map<string, ApiKeyRecord>();

  return {
    async insert(record) {
      if (byId.has(record.id)) throw new DuplicateApiKeyIdError(record.id);
      byId.set(record.id, copyRecord(record));
    },
    async findById(id) {
      const r = byId.get(id);
      return r && copyRecord(r);
    },
    async list(q) {
      checkLimit(q.limit);
      const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      const matches = [...byId.values()]
        .filter((r) => (q.ownerType === undefined || r.owner.type === q.ownerType)
          && (q.ownerId === undefined || r.owner.id === q.ownerId)
          && (q.orgId === undefined || r.orgId === q.orgId)
          && (q.includeRevoked === true || r.revokedAt === undefined)
          && (after === undefined || isAfter(r, after)))
        .sort(newestFirst);
      const items = matches.slice(0, q.limit).map(copyRecord);
      const last = items.at(-1);
      return matches.length > q.limit && last ? { items, nextCursor: encodeCursor(last) } : { items };
    },
    async revoke(id, at) {
      const r = byId.get(id);
      if (!r || r.revokedAt) return false;
      r.revokedAt = at;
      return true;
    },
    async shortenExpiry(id, at) {
      const r = byId.get(id);
      if (!r || r.revokedAt) return false;
      if (at < r.expiresAt) r.expiresAt = at;
      return true;
    },
    async updateSettings(id, settings) {
      const r = byId.get(id);
      if (!r || r.revokedAt) return false;
      r.name = settings.name;
      r.scopes = [...settings.scopes];
      r.ipAllowList = [...settings.ipAllowList];
      if (settings.expiresAt < r.expiresAt) r.expiresAt = settings.expiresAt;
      if (settings.rateLimitTier === undefined) delete r.rateLimitTier;
      else r.rateLimitTier = settings.rateLimitTier;
      return true;
    },
    async touch(id, at) {
      const r = byId.get(id);
      if (r && !(r.lastUsedAt && r.lastUsedAt >= at)) r.lastUsedAt = at;
    },
    async ping() {},
    async prepare() {},
  };
}
