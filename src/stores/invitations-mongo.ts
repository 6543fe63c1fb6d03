import type { Db } from 'mongodb';

import type { Invitation, InvitationStore } from './invitations.ts';

type InvitationDoc = Omit<Invitation, 'id'> & { _id: string };

function toInvitation(d: InvitationDoc): Invitation {
  const i: Invitation = { id: d._id, tokenHash: d.tokenHash, accountId: d.accountId, createdAt: d.createdAt, expiresAt: d.expiresAt };
  if (d.orgId != null) i.orgId = d.orgId;
  if (d.role != null) i.role = d.role;
  if (d.usedAt != null) i.usedAt = d.usedAt;
  return i;
}

/**
 * Invitations in MongoDB. `consume` is one conditional update, so a link cannot be used
 * twice even by concurrent requests on different nodes. Expired invitations are removed
 * by a TTL index: an expired link then looks exactly like an unknown one.
 */
export function createMongoInvitationStore(db: Db, options: { collection?: string } = {}): InvitationStore {
  const invitations = db.collection<InvitationDoc>(options.collection ?? 'invitations');

  return {
    async insert(i) {
      const { id, orgId, role, usedAt, ...rest } = i;
      // Optional fields are left out rather than written as null.
      await invitations.insertOne({
        _id: id, ...rest, ...(orgId !== undefined && { orgId }), ...(role !== undefined && { role }), ...(usedAt !== undefined && { usedAt }),
      });
    },

    async findByTokenHash(tokenHash) {
      const doc = await invitations.findOne({ tokenHash });
      return doc ? toInvitation(doc) : undefined;
    },

    async consume(id, at) {
      const res = await invitations.updateOne({ _id: id, usedAt: { $exists: false }, expiresAt: { $gt: at } }, { $set: { usedAt: at } });
      return res.modifiedCount === 1;
    },

    async deleteByAccount(accountId) {
      return (await invitations.deleteMany({ accountId })).deletedCount;
    },

    async deleteByOrg(orgId) {
      return (await invitations.deleteMany({ orgId })).deletedCount;
    },

    async ping() {
      await db.command({ ping: 1 });
    },

    async prepare() {
      await invitations.createIndexes([
        { key: { tokenHash: 1 }, unique: true, name: 'token_hash' },
        { key: { accountId: 1 }, name: 'account' },
        { key: { orgId: 1 }, name: 'org', partialFilterExpression: { orgId: { $exists: true } } },
        { key: { expiresAt: 1 }, expireAfterSeconds: 0, name: 'expiry' },
      ]);
    },
  };
}
