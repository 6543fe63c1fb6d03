import type { Db } from 'mongodb';

import { isDuplicateKey } from './accounts-mongo.ts';
import { DuplicateSlugError, newOrganizationId, type Organization, type OrganizationStore } from './organizations.ts';
import { mongoKeyset, mongoPage } from './paging.ts';

type OrganizationDoc = Omit<Organization, 'id'> & { _id: string };

const toOrganization = (d: OrganizationDoc): Organization => ({ id: d._id, name: d.name, slug: d.slug, createdAt: d.createdAt });

/**
 * Organizations in MongoDB. Slug uniqueness is the unique index `prepare()` creates, so
 * two concurrent creations with one slug cannot both succeed.
 */
export function createMongoOrganizationStore(db: Db, options: { collection?: string } = {}): OrganizationStore {
  const orgs = db.collection<OrganizationDoc>(options.collection ?? 'organizations');

  return {
    async create(input) {
      const doc: OrganizationDoc = { _id: newOrganizationId(), name: input.name, slug: input.slug, createdAt: new Date() };
      try {
        await orgs.insertOne(doc);
      } catch (err) {
        if (isDuplicateKey(err)) throw new DuplicateSlugError(input.slug);
        throw err;
      }
      return toOrganization(doc);
    },

    async findById(id) {
      const doc = await orgs.findOne({ _id: id });
      return doc ? toOrganization(doc) : undefined;
    },

    async findBySlug(slug) {
      // Served by the unique slug index.
      const doc = await orgs.findOne({ slug });
      return doc ? toOrganization(doc) : undefined;
    },

    async list(q) {
      const { after, sort } = mongoKeyset(q, '_id');
      // One extra document tells whether another page follows.
      const docs = await orgs.find(after ?? {}).sort(sort).limit(q.limit + 1).toArray();
      return mongoPage(docs.map(toOrganization), q, (o) => o);
    },

    async rename(id, name) {
      const doc = await orgs.findOneAndUpdate({ _id: id }, { $set: { name } }, { returnDocument: 'after' });
      return doc ? toOrganization(doc) : undefined;
    },

    async delete(id) {
      return (await orgs.deleteOne({ _id: id })).deletedCount === 1;
    },

    async ping() {
      await db.command({ ping: 1 });
    },

    async prepare() {
      await orgs.createIndexes([
        { key: { slug: 1 }, unique: true, name: 'slug_unique' },
        { key: { createdAt: -1, _id: -1 }, name: 'created' },
      ]);
    },
  };
}
