import { createMemoryApiKeyStore } from '../../../src/stores/api-keys.ts';
import { createMongoApiKeyStore } from '../../../src/stores/api-keys-mongo.ts';
import { describeWithMongo, uniqueCollection } from '../stores/mongo.ts';
import { describeApiKeyStoreContract } from './store.contract.ts';

describeApiKeyStoreContract('memory API key store', async () => createMemoryApiKeyStore());

describeWithMongo('MongoDB API key store', (db) => {
  describeApiKeyStoreContract('contract', async () => {
    const store = createMongoApiKeyStore(db(), { collection: uniqueCollection('api_keys') });
    await store.prepare();
    return store;
  });
});
