import { createMemoryAccountStore, normaliseEmail } from '../../../src/stores/accounts.ts';
import { createMongoAccountStore } from '../../../src/stores/accounts-mongo.ts';
import { describeAccountStoreContract } from './accounts.contract.ts';
import { describeWithMongo, uniqueCollection } from './mongo.ts';

test('normaliseEmail trims, composes (NFC) and lower-cases', () => {
  expect(normaliseEmail('  Ada@Example.COM\t')).toBe('ada@example.com');
  expect(normaliseEmail('Jose\u0301@x.org')).toBe('jos\u00e9@x.org');
});

describeAccountStoreContract('memory account store', async () => createMemoryAccountStore());

describeWithMongo('MongoDB account store', (db) => {
  describeAccountStoreContract('contract', async () => {
    const store = createMongoAccountStore(db(), { collection: uniqueCollection('accounts') });
    await store.prepare();
    return store;
  });
});

test('account and organization ids never start with "-" (a command line would read an option)', async () => {
  const { newAccountId } = await import('../../../src/stores/accounts.ts');
  const ids = Array.from({ length: 2000 }, newAccountId);
  expect(ids.every((id) => /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/.test(id))).toBe(true);
  expect(new Set(ids).size).toBe(ids.length);
});
