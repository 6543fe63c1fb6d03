import type { Db } from 'mongodb';

import type { AccessEntry, AccountAccessStore } from './account-access.ts';

interface AccessDoc {
  /** `<kind>:<id>`: one document per grant or session. */
  _id: string;
  accountId: string;
  kind: AccessEntry['kind'];
  ref: string;
  expiresAt: Date;
}

/**
 * Account → grants and sessions in MongoDB. A TTL index drops entries once the grant or
 * session they name has expired, so the collection stays as large as what is live.
 */
export function createMongoAccountAccessStore(db: Db, options: { collection?: string } = {}): AccountAccessStore {
  const access = db.collection<AccessDoc>(options.collection ?? 'account_access');

  return {
    async record(accountId, entry) {
      // $max: saving an object again with a later expiry extends the entry, never shortens it.
      await access.updateOne(
        { _id: `${entry.kind}:${entry.id}` },
        { $set: { accountId, kind: entry.kind, ref: entry.id }, $max: { expiresAt: entry.expiresAt } },
        { upsert: true },
      );
    },

    async list(accountId, at) {
      const docs = await access.find({ accountId, expiresAt: { $gt: at } }).toArray();
      return docs.map((d) => ({ kind: d.kind, id: d.ref, expiresAt: d.expiresAt }));
    },

    async forget(accountId) {
      await access.deleteMany({ accountId });
    },

    async ping() {
      await db.command({ ping: 1 });
    },

    async prepare() {
      await access.createIndexes([
        { key: { accountId: 1 }, name: 'account' },
        { key: { expiresAt: 1 }, expireAfterSeconds: 0, name: 'expiry' },
      ]);
    },
  };
}
