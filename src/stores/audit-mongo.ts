import { MongoServerError, type Db, type Filter } from 'mongodb';

import type { AuditEvent, AuditRetention, AuditStore } from './audit.ts';
import { mongoKeyset, mongoPage } from './paging.ts';

/** `createdAt` (not `time`) so the shared keyset paging (paging.ts) and the TTL index use one field. */
type AuditDoc = Omit<AuditEvent, 'id' | 'time'> & { _id: string; createdAt: Date };

const INDEX_OPTIONS_CONFLICT = 85;
const RETENTION_INDEX = 'retention';

function toDoc(e: AuditEvent): AuditDoc {
  const { id, time, ...rest } = e;
  const doc: Record<string, unknown> = { _id: id, createdAt: time };
  // Absent rather than null: filters like { orgId: x } and sparse reads stay simple.
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) doc[k] = v;
  return doc as AuditDoc;
}

function toEvent(d: AuditDoc): AuditEvent {
  const { _id, createdAt, ...rest } = d;
  const event: Record<string, unknown> = { id: _id, time: createdAt };
  for (const [k, v] of Object.entries(rest)) if (v !== null && v !== undefined) event[k] = v;
  return event as unknown as AuditEvent;
}

/**
 * The audit log in MongoDB. Retention is a TTL index on `createdAt` (MongoDB deletes
 * expired events about once a minute; `list` hides them until then). `prepare()` creates
 * it and the filter indexes once; a changed AUDIT_RETENTION_DAYS updates the TTL in place.
 */
export function createMongoAuditStore(db: Db, options: AuditRetention & { collection?: string }): AuditStore {
  const name = options.collection ?? 'audit_events';
  const events = db.collection<AuditDoc>(name);
  const { now = () => new Date() } = options;
  const ttlSeconds = Math.round(options.retentionDays * 86_400);

  async function ensureRetention() {
    try {
      await events.createIndex({ createdAt: 1 }, { name: RETENTION_INDEX, expireAfterSeconds: ttlSeconds });
    } catch (err) {
      if (!(err instanceof MongoServerError && err.code === INDEX_OPTIONS_CONFLICT)) throw err;
      await db.command({ collMod: name, index: { name: RETENTION_INDEX, expireAfterSeconds: ttlSeconds } });
    }
  }

  return {
    async append(batch) {
      if (batch.length === 0) return;
      await events.insertMany(batch.map(toDoc), { ordered: false });
    },

    async list(q) {
      const { after, sort } = mongoKeyset(q, '_id');
      const and: Filter<AuditDoc>[] = [{ createdAt: { $gte: new Date(now().getTime() - ttlSeconds * 1000) } }];
      if (q.type !== undefined) and.push({ type: q.type as AuditDoc['type'] });
      if (q.actor !== undefined) and.push({ actor: q.actor });
      if (q.subject !== undefined) and.push({ subject: q.subject });
      if (q.clientId !== undefined) and.push({ clientId: q.clientId });
      if (q.orgId !== undefined) and.push({ orgId: q.orgId });
      if (q.since !== undefined) and.push({ createdAt: { $gte: q.since } });
      if (q.until !== undefined) and.push({ createdAt: { $lt: q.until } });
      if (after) and.push(after as Filter<AuditDoc>);
      // One extra document tells whether another page follows.
      const docs = await events.find({ $and: and }).sort(sort).limit(q.limit + 1).toArray();
      return mongoPage(docs.map(toEvent), q, (e) => ({ createdAt: e.time, id: e.id }));
    },

    async ping() {
      await db.command({ ping: 1 });
    },

    async prepare() {
      await ensureRetention();
      // Each filter the admin route offers is an equality match, then newest first.
      await events.createIndexes([
        { key: { createdAt: -1, _id: -1 }, name: 'newest' },
        { key: { orgId: 1, createdAt: -1, _id: -1 }, name: 'org_newest', partialFilterExpression: { orgId: { $exists: true } } },
        { key: { type: 1, createdAt: -1, _id: -1 }, name: 'type_newest' },
        { key: { actor: 1, createdAt: -1, _id: -1 }, name: 'actor_newest', partialFilterExpression: { actor: { $exists: true } } },
        { key: { subject: 1, createdAt: -1, _id: -1 }, name: 'subject_newest', partialFilterExpression: { subject: { $exists: true } } },
        { key: { clientId: 1, createdAt: -1, _id: -1 }, name: 'client_newest', partialFilterExpression: { clientId: { $exists: true } } },
      ]);
    },
  };
}
