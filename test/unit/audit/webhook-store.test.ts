import { createMemoryWebhookStore, newWebhookId, type Webhook, type WebhookStore } from '../../../src/stores/audit-webhooks.ts';
import { createMongoWebhookStore } from '../../../src/stores/audit-webhooks-mongo.ts';
import { describeWithMongo, uniqueCollection } from '../stores/mongo.ts';

const hook = (orgId: string, seconds: number, over: Partial<Webhook> = {}): Webhook => ({
  id: newWebhookId(), orgId, url: `https://hooks.example.com/${seconds}`, events: [], salt: 's', createdAt: new Date(seconds * 1000), ...over,
});

function describeWebhookStoreContract(name: string, make: () => Promise<WebhookStore>) {
  describe(name, () => {
    test('insert, find, list per organization newest first with a cursor, delete once', async () => {
      const store = await make();
      const a1 = hook('a', 1, { events: ['login.failed'] });
      const a2 = hook('a', 2);
      const a3 = hook('a', 3);
      const b1 = hook('b', 1);
      for (const h of [a1, a2, a3, b1]) await store.insert(h);
      expect(await store.findById(a1.id)).toEqual(a1);
      expect(await store.findById('wh_nope')).toBeUndefined();
      const first = await store.list('a', { limit: 2 });
      expect(first.items.map((h) => h.id)).toEqual([a3.id, a2.id]);
      const second = await store.list('a', { limit: 2, cursor: first.nextCursor! });
      expect(second).toEqual({ items: [a1] });
      expect((await store.allOf('b')).map((h) => h.id)).toEqual([b1.id]);
      expect(await store.delete(a2.id)).toBe(true);
      expect(await store.delete(a2.id)).toBe(false);
      expect((await store.allOf('a')).map((h) => h.id).sort()).toEqual([a1.id, a3.id].sort());
    });
  });
}

describeWebhookStoreContract('memory webhook store', async () => createMemoryWebhookStore());

describeWithMongo('MongoDB webhook store', (db) => {
  describeWebhookStoreContract('contract', async () => {
    const store = createMongoWebhookStore(db(), { collection: uniqueCollection('webhooks') });
    await store.prepare();
    return store;
  });
});
