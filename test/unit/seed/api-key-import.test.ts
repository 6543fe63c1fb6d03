import { generateApiKey, parseApiKey } from '../../../src/security/api-key-format.ts';
import { createApiKeyService, type IssueContext } from '../../../src/security/api-keys.ts';
import { createMemoryApiKeyStore, type ApiKeyStore } from '../../../src/stores/api-keys.ts';
import { PEPPER } from './helpers.ts';

const T0 = new Date('2030-01-01T00:00:00Z');
const OWNER: IssueContext = { owner: { type: 'account', id: 'acct-1' }, orgId: 'org-1', allowedScopes: ['read', 'write'] };
const service = (store: ApiKeyStore) => createApiKeyService({ store, pepper: PEPPER, env: 'test', now: () => T0 });

describe('ApiKeyService.importKey: a key given in full', () => {
  test('stores only the keyed hash; the key then verifies like an issued one', async () => {
    const store = createMemoryApiKeyStore();
    const { key, id, secret } = generateApiKey('test');
    const result = await service(store).importKey(key, { name: 'ci', scopes: ['read'] }, OWNER);
    expect(result).toMatchObject({ action: 'create', record: { id, env: 'test', last4: key.slice(-4), orgId: 'org-1', expiresAt: new Date('2030-04-01T00:00:00Z') } });
    const stored = (await store.findById(id))!;
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(stored.hash).toMatch(/^\$gh-ak-v1\$/);
    expect(await service(store).verify(key)).toMatchObject({ ok: true, record: { id } });
  });

  test('a dry run checks and writes nothing', async () => {
    const store = createMemoryApiKeyStore();
    const { key, id } = generateApiKey('test');
    await expect(service(store).importKey(key, { name: 'ci', scopes: ['read'] }, OWNER, { dryRun: true })).resolves.toMatchObject({ action: 'create' });
    expect(await store.findById(id)).toBeUndefined();
    await expect(service(store).importKey(key, { name: 'ci', scopes: ['admin'] }, OWNER, { dryRun: true }))
      .rejects.toMatchObject({ field: 'scopes[0]', message: '"admin" is not one of the owner\'s scopes' });
  });

  test('another owner or organization for a stored id is refused', async () => {
    const store = createMemoryApiKeyStore();
    const { key } = generateApiKey('test');
    await service(store).importKey(key, { name: 'ci', scopes: ['read'] }, OWNER);
    await expect(service(store).importKey(key, { name: 'ci', scopes: ['read'] }, { ...OWNER, orgId: 'org-2' }))
      .rejects.toMatchObject({ field: 'owner', message: expect.stringContaining('belongs to another owner or organization') });
  });

  test('two nodes importing one seed at once: the loser matches the winner\'s record', async () => {
    const inner = createMemoryApiKeyStore();
    const { key, id } = generateApiKey('test');
    let raced = false;
    // The other node's insert lands between this node's read and its insert.
    const store: ApiKeyStore = {
      ...inner,
      async insert(record) {
        if (!raced) { raced = true; await inner.insert({ ...record }); }
        return inner.insert(record);
      },
    };
    await expect(service(store).importKey(key, { name: 'ci', scopes: ['read'] }, OWNER)).resolves.toMatchObject({ action: 'unchanged', record: { id } });
    expect((await inner.list({ limit: 10 })).items).toHaveLength(1);
    expect(parseApiKey(key)!.id).toBe(id);
  });
});
