import type { Db, Filter } from 'mongodb';
import { isDuplicateKey } from './accounts-mongo.ts';
import {
  checkLimit, decodeCursor, DuplicateApiKeyIdError, encodeCursor,
  type ApiKeyRecord, type ApiKeyStore,
} from './api-keys.ts';

/**
 * The record as stored: its public `id` becomes the document's `_id`, so the
 * always-present unique `_id` index makes ids unique.
 */
type ApiKeyDoc = Omit<ApiKeyRecord, 'id'> & { _id: string };

// Optional fields are left out rather than written as undefined: the driver would store
// `null` (unless ignoreUndefined is set), and `{ revokedAt: { $exists: false } }` would miss it.
function toDoc(r: ApiKeyRecord): ApiKeyDoc {
  const { id, orgId, revokedAt, lastUsedAt, rateLimitTier, rotatedFrom, ...rest } = r;
  return {
    _id: id, ...rest, owner: { type: r.owner.type, id: r.owner.id },
    ...(orgId !== undefined && { orgId }), ...(revokedAt !== undefined && { revokedAt }),
    ...(lastUsedAt !== undefined && { lastUsedAt }), ...(rateLimitTier !== undefined && { rateLimitTier }),
    ...(rotatedFrom !== undefined && { rotatedFrom }),
  };
}

function toRecord(d: ApiKeyDoc): ApiKeyRecord {
  const r: ApiKeyRecord = {
    id: d._id, env: d.env, hash: d.hash, name: d.name, owner: { type: d.owner.type, id: d.owner.id },
    scopes: d.scopes, createdAt: d.createdAt, expiresAt: d.expiresAt, ipAllowList: d.ipAllowList, last4: d.last4,
  };
  if (d.orgId != null) r.orgId = d.orgId;
  if (d.revokedAt != null) r.revokedAt = d.revokedAt;
  if (d.lastUsedAt != null) r.lastUsedAt = d.lastUsedAt;
  if (d.rateLimitTier != null) r.rateLimitTier = d.rateLimitTier;
  if (d.rotatedFrom != null) r.rotatedFrom = d.rotatedFrom;
  return r;
}

const active: Filter<ApiKeyDoc> = { revokedAt: { $exists: false } };

/**
 * API keys in MongoDB. Every list query is an equality match on at most the owner or the
 * org, then the sort (createdAt, _id) descending; each index below serves one such shape
 * without an in-memory sort. `prepare()` creates them once, never per request.
 */
export function createMongoApiKeyStore(db: Db, options: { collection?: string } = {}): ApiKeyStore {
  const keys = db.collection<ApiKeyDoc>(options.collection ?? 'api_keys');

  return {
    async insert(record) {
      try {
        await keys.insertOne(toDoc(record));
      } catch (err) {
        if (isDuplicateKey(err)) throw new DuplicateApiKeyIdError(record.id);
        throw err;
      }
    },

    async findById(id) {
      const doc = await keys.findOne({ _id: id });
      return doc ? toRecord(doc) : undefined;
    },

    async list(q) {
      checkLimit(q.limit);
      const and: Filter<ApiKeyDoc>[] = [];
      if (q.ownerType !== undefined) and.push({ 'owner.type': q.ownerType });
      if (q.ownerId !== undefined) and.push({ 'owner.id': q.ownerId });
      if (q.orgId !== undefined) and.push({ orgId: q.orgId });
      if (q.includeRevoked !== true) and.push(active);
      if (q.cursor !== undefined) {
        const c = decodeCursor(q.cursor);
        and.push({ $or: [{ createdAt: { $lt: c.createdAt } }, { createdAt: c.createdAt, _id: { $lt: c.id } }] });
      }
      // One extra document tells whether another page follows.
      const docs = await keys.find(and.length > 0 ? { $and: and } : {})
        .sort({ createdAt: -1, _id: -1 }).limit(q.limit + 1).toArray();
      const items = docs.slice(0, q.limit).map(toRecord);
      const last = items.at(-1);
      return docs.length > q.limit && last ? { items, nextCursor: encodeCursor(last) } : { items };
    },

    async revoke(id, at) {
      const res = await keys.updateOne({ _id: id, ...active }, { $set: { revokedAt: at } });
      return res.modifiedCount === 1;
    },

    async shortenExpiry(id, at) {
      // $min only ever moves the date earlier, atomically.
      const res = await keys.updateOne({ _id: id, ...active }, { $min: { expiresAt: at } });
      return res.matchedCount === 1;
    },

    async updateSettings(id, settings) {
      const { name, scopes, ipAllowList, expiresAt, rateLimitTier } = settings;
      const res = await keys.updateOne({ _id: id, ...active }, {
        $set: { name, scopes, ipAllowList, ...(rateLimitTier !== undefined && { rateLimitTier }) },
        // $min: the expiry never moves later, atomically (a rotation may have shortened it).
        $min: { expiresAt },
        ...(rateLimitTier === undefined && { $unset: { rateLimitTier: '' as const } }),
      });
      return res.matchedCount === 1;
    },

    async touch(id, at) {
      // $max: a late write from a slower node never moves lastUsedAt backwards.
      await keys.updateOne({ _id: id }, { $max: { lastUsedAt: at } });
    },

    async ping() {
      await db.command({ ping: 1 });
    },

    async prepare() {
      await keys.createIndexes([
        { key: { createdAt: -1, _id: -1 }, name: 'created' },
        // owner.id first: it is selective on its own, and also serves owner.id + owner.type.
        { key: { 'owner.id': 1, 'owner.type': 1, createdAt: -1, _id: -1 }, name: 'owner_created' },
        { key: { orgId: 1, createdAt: -1, _id: -1 }, name: 'org_created', partialFilterExpression: { orgId: { $exists: true } } },
      ]);
    },
  };
}
