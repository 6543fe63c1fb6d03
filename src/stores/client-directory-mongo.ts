import { MongoServerError, type Db, type Filter } from 'mongodb';
import type { Adapter, AdapterPayload } from 'oidc-provider';

import { decodeClientCursor, encodeClientCursor, type ClientDirectory, type StoredClient } from './client-directory.ts';

/** What src/stores/adapters/mongo.ts keeps per client: `{ _id: client_id, payload: metadata }`. */
interface ClientDocument {
  _id: string;
  payload: StoredClient;
}

const DUPLICATE_KEY = 11000;

/**
 * MongoDB: the Client adapter's own collection (`oidc_client`) is queried directly for
 * lists, so every client is listed however it was stored (seed, admin API, an older
 * release). Single reads and writes go through the adapter the provider uses.
 */
export function createMongoClientDirectory(db: Db, adapter: Adapter, collectionName = 'oidc_client'): ClientDirectory {
  const collection = db.collection<ClientDocument>(collectionName);

  return {
    find: async (id) => (await adapter.find(id)) as StoredClient | undefined,
    async create(client) {
      // insertOne on _id is atomic: of two creates of one client_id, exactly one wins.
      try {
        await collection.insertOne({ _id: client.client_id, payload: client }, { ignoreUndefined: true });
        return true;
      } catch (err) {
        if (err instanceof MongoServerError && err.code === DUPLICATE_KEY) return false;
        throw err;
      }
    },
    async save(client) {
      await adapter.upsert(client.client_id, client as AdapterPayload);
    },
    async remove(id) {
      return (await collection.deleteOne({ _id: id })).deletedCount === 1;
    },
    async list(q) {
      const filter: Filter<ClientDocument> = {
        'payload.service_account': q.serviceAccounts ? true : { $ne: true },
        ...(q.orgId !== undefined ? { 'payload.org_id': q.orgId } : {}),
        ...(q.cursor !== undefined ? { _id: { $gt: decodeClientCursor(q.cursor) } } : {}),
      };
      const docs = await collection.find(filter, { projection: { payload: 1 } }).sort({ _id: 1 }).limit(q.limit + 1).toArray();
      const items = docs.slice(0, q.limit).map((d) => d.payload);
      return docs.length > q.limit ? { items, nextCursor: encodeClientCursor(items.at(-1)!.client_id) } : { items };
    },
    async prepare() {
      await collection.createIndex({ 'payload.org_id': 1, _id: 1 }, { name: 'org_id' });
    },
  };
}
