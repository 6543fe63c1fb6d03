import type { Db } from 'mongodb';

import { isDuplicateKey } from './accounts-mongo.ts';
import type { Membership, MembershipStore } from './memberships.ts';
import { mongoKeyset, mongoPage } from './paging.ts';

/** `_id` is the pair, so the always-present unique `_id` index allows one role per pair. */
type MembershipDoc = Membership & { _id: string };

const idOf = (orgId: string, accountId: string) => `${orgId}:${accountId}`;
const toMembership = (d: MembershipDoc): Membership => ({ orgId: d.orgId, accountId: d.accountId, role: d.role, createdAt: d.createdAt });

/**
 * Memberships in MongoDB: one document per (organization, account). Members of an
 * organization are listed through the `org_created` index and an account's
 * organizations through `account`; `prepare()` creates both once.
 */
export function createMongoMembershipStore(db: Db, options: { collection?: string } = {}): MembershipStore {
  const members = db.collection<MembershipDoc>(options.collection ?? 'memberships');

  async function putOnce(orgId: string, accountId: string, role: string) {
    const createdAt = new Date();
    const doc = await members.findOneAndUpdate(
      { _id: idOf(orgId, accountId) },
      { $set: { role }, $setOnInsert: { orgId, accountId, createdAt } },
      { upsert: true, returnDocument: 'after', includeResultMetadata: true },
    );
    if (!doc.value) throw new Error('upsert returned no document'); // cannot happen with upsert + 'after'
    return { membership: toMembership(doc.value), created: doc.lastErrorObject?.updatedExisting === false };
  }

  return {
    async put({ orgId, accountId, role }) {
      try {
        return await putOnce(orgId, accountId, role);
      } catch (err) {
        // Two concurrent first puts: one insert loses on _id; the retry updates the winner.
        if (!isDuplicateKey(err)) throw err;
        return putOnce(orgId, accountId, role);
      }
    },

    async find(orgId, accountId) {
      const doc = await members.findOne({ _id: idOf(orgId, accountId) });
      return doc ? toMembership(doc) : undefined;
    },

    async listByOrg(orgId, q) {
      const { after, sort } = mongoKeyset(q, 'accountId');
      // One extra document tells whether another page follows.
      const docs = await members.find(after ? { $and: [{ orgId }, after] } : { orgId }).sort(sort).limit(q.limit + 1).toArray();
      return mongoPage(docs.map(toMembership), q, (m) => ({ createdAt: m.createdAt, id: m.accountId }));
    },

    async listByAccount(accountId) {
      return (await members.find({ accountId }).toArray()).map(toMembership);
    },

    async remove(orgId, accountId) {
      return (await members.deleteOne({ _id: idOf(orgId, accountId) })).deletedCount === 1;
    },

    async removeByOrg(orgId) {
      return (await members.deleteMany({ orgId })).deletedCount;
    },

    async removeByAccount(accountId) {
      return (await members.deleteMany({ accountId })).deletedCount;
    },

    async ping() {
      await db.command({ ping: 1 });
    },

    async prepare() {
      await members.createIndexes([
        { key: { orgId: 1, createdAt: -1, accountId: -1 }, name: 'org_created' },
        { key: { accountId: 1 }, name: 'account' },
      ]);
    },
  };
}
