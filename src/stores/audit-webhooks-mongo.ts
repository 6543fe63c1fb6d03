import type { Db } from 'mongodb';

import type { Webhook, WebhookStore } from './audit-webhooks.ts';
import { mongoKeyset, mongoPage } from './paging.ts';

type WebhookDoc = Omit<Webhook, 'id'> & { _id: string };

const toWebhook = (d: WebhookDoc): Webhook => ({
  id: d._id, orgId: d.orgId, url: d.url, events: d.events ?? [], salt: d.salt, createdAt: d.createdAt,
});

/** Webhooks in MongoDB; every query is by organization, served by one index. */
export function createMongoWebhookStore(db: Db, options: { collection?: string } = {}): WebhookStore {
  const hooks = db.collection<WebhookDoc>(options.collection ?? 'webhooks');

  return {
    async insert(hook) {
      const { id, ...rest } = hook;
      await hooks.insertOne({ _id: id, ...rest });
    },

    async findById(id) {
      const doc = await hooks.findOne({ _id: id });
      return doc ? toWebhook(doc) : undefined;
    },

    async list(orgId, q) {
      const { after, sort } = mongoKeyset(q, '_id');
      const docs = await hooks.find(after ? { $and: [{ orgId }, after] } : { orgId }).sort(sort).limit(q.limit + 1).toArray();
      return mongoPage(docs.map(toWebhook), q, (h) => h);
    },

    async allOf(orgId) {
      return (await hooks.find({ orgId }).toArray()).map(toWebhook);
    },

    async delete(id) {
      return (await hooks.deleteOne({ _id: id })).deletedCount === 1;
    },

    async ping() {
      await db.command({ ping: 1 });
    },

    async prepare() {
      await hooks.createIndexes([{ key: { orgId: 1, createdAt: -1, _id: -1 }, name: 'org_newest' }]);
    },
  };
}
