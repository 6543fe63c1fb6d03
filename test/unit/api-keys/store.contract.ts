import { randomBytes } from 'node:crypto';
import {
  DuplicateApiKeyIdError, InvalidCursorError, type ApiKeyListQuery, type ApiKeyRecord, type ApiKeyStore,
} from '../../../src/stores/api-keys.ts';

const T0 = new Date('2030-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

let serial = 0;
export function makeRecord(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  serial++;
  return {
    id: `k${String(serial).padStart(5, '0')}${randomBytes(3).toString('hex')}`,
    env: 'test',
    hash: '$gh-ak-v1$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    name: `key ${serial}`,
    owner: { type: 'account', id: 'acct-1' },
    scopes: ['read'],
    createdAt: T0,
    expiresAt: at(90 * 86400),
    ipAllowList: [],
    last4: 'abcd',
    ...overrides,
  };
}

/** Every page of a query, following cursors to the end. */
async function allPages(store: ApiKeyStore, query: Omit<ApiKeyListQuery, 'cursor'>): Promise<ApiKeyRecord[][]> {
  const pages: ApiKeyRecord[][] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list({ ...query, ...(cursor !== undefined && { cursor }) });
    pages.push(page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined && pages.length < 100);
  return pages;
}

const ids = (records: ApiKeyRecord[]) => records.map((r) => r.id);

/** The behaviour every ApiKeyStore has, whatever keeps the data. `make` gives a fresh, prepared store. */
export function describeApiKeyStoreContract(name: string, make: () => Promise<ApiKeyStore>): void {
  describe(name, () => {
    let store: ApiKeyStore;
    beforeEach(async () => { store = await make(); });

    test('insert then findById returns an equal copy; optional fields stay absent', async () => {
      const plain = makeRecord();
      const full = makeRecord({
        owner: { type: 'service_account', id: 'svc-1' }, orgId: 'org-1', scopes: ['read', 'write'], ipAllowList: ['10.0.0.0/8'],
        rateLimitTier: 'gold', rotatedFrom: 'k-old', lastUsedAt: at(5), revokedAt: at(6),
      });
      await store.insert(plain);
      await store.insert(full);
      expect(await store.findById(plain.id)).toStrictEqual(plain);
      expect(await store.findById(full.id)).toStrictEqual(full);
      const found = (await store.findById(plain.id))!;
      found.scopes.push('admin');
      found.owner.id = 'someone-else';
      expect(await store.findById(plain.id)).toStrictEqual(plain);
      await expect(store.findById('unknown')).resolves.toBeUndefined();
    });

    test('updateSettings replaces the settings of an active key; the expiry only moves earlier', async () => {
      const r = makeRecord({ rateLimitTier: 'gold', orgId: 'org-1' });
      await store.insert(r);
      const settings = { name: 'renamed', scopes: ['write'], ipAllowList: ['10.0.0.0/8'], expiresAt: at(10 * 86400), rateLimitTier: undefined };
      await expect(store.updateSettings(r.id, settings)).resolves.toBe(true);
      const { rateLimitTier: _tier, ...rest } = r;
      expect(await store.findById(r.id)).toStrictEqual({ ...rest, name: 'renamed', scopes: ['write'], ipAllowList: ['10.0.0.0/8'], expiresAt: at(10 * 86400) });
      await store.updateSettings(r.id, { ...settings, expiresAt: at(200 * 86400), rateLimitTier: 'silver' });
      expect(await store.findById(r.id)).toMatchObject({ expiresAt: at(10 * 86400), rateLimitTier: 'silver' });
      await store.revoke(r.id, at(1));
      await expect(store.updateSettings(r.id, { ...settings, name: 'after' })).resolves.toBe(false);
      await expect(store.updateSettings('unknown', settings)).resolves.toBe(false);
      expect((await store.findById(r.id))?.name).toBe('renamed');
    });

    test('insert refuses a taken id', async () => {
      const r = makeRecord();
      await store.insert(r);
      await expect(store.insert({ ...r, name: 'other' })).rejects.toBeInstanceOf(DuplicateApiKeyIdError);
      expect((await store.findById(r.id))?.name).toBe(r.name);
    });

    test('list is newest first by (createdAt, id), and paging is stable across equal createdAt', async () => {
      // 23 keys over 4 distinct instants: most neighbours tie on createdAt.
      const records = Array.from({ length: 23 }, (_, i) => makeRecord({ createdAt: at(i % 4) }));
      for (const r of records) await store.insert(r);
      const expected = [...records].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1));

      const pages = await allPages(store, { limit: 5 });
      expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
      expect(ids(pages.flat())).toEqual(ids(expected));

      // A key created after paging began does not shift later pages.
      const first = await store.list({ limit: 10 });
      await store.insert(makeRecord({ createdAt: at(100) }));
      const second = await store.list({ limit: 10, cursor: first.nextCursor! });
      expect(ids([...first.items, ...second.items])).toEqual(ids(expected.slice(0, 20)));

      const exact = await store.list({ limit: 24 });
      expect(exact.items).toHaveLength(24);
      expect(exact.nextCursor).toBeUndefined();
    });

    test('list filters by owner type, owner id and org; revoked keys only on request', async () => {
      const a1 = makeRecord({ owner: { type: 'account', id: 'u1' }, orgId: 'o1', createdAt: at(1) });
      const a2 = makeRecord({ owner: { type: 'account', id: 'u2' }, createdAt: at(2) });
      const s1 = makeRecord({ owner: { type: 'service_account', id: 'u1' }, orgId: 'o1', createdAt: at(3) });
      const gone = makeRecord({ owner: { type: 'account', id: 'u1' }, orgId: 'o1', createdAt: at(4) });
      for (const r of [a1, a2, s1, gone]) await store.insert(r);
      expect(await store.revoke(gone.id, at(10))).toBe(true);

      const q = async (query: Omit<ApiKeyListQuery, 'limit'>) => ids((await store.list({ limit: 50, ...query })).items);
      expect(await q({})).toEqual(ids([s1, a2, a1]));
      expect(await q({ includeRevoked: true })).toEqual(ids([gone, s1, a2, a1]));
      expect(await q({ ownerType: 'account' })).toEqual(ids([a2, a1]));
      expect(await q({ ownerId: 'u1' })).toEqual(ids([s1, a1]));
      expect(await q({ ownerType: 'account', ownerId: 'u1', includeRevoked: true })).toEqual(ids([gone, a1]));
      expect(await q({ orgId: 'o1' })).toEqual(ids([s1, a1]));
      expect(await q({ orgId: 'nope' })).toEqual([]);
    });

    test('list refuses a foreign cursor and an out-of-range limit', async () => {
      await expect(store.list({ limit: 10, cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
      await expect(store.list({ limit: 0 })).rejects.toThrow('limit must be an integer from 1 to 1000 (got 0)');
      await expect(store.list({ limit: 1.5 })).rejects.toBeInstanceOf(RangeError);
    });

    test('revoke sets revokedAt once', async () => {
      const r = makeRecord();
      await store.insert(r);
      expect(await store.revoke(r.id, at(10))).toBe(true);
      expect(await store.revoke(r.id, at(20))).toBe(false);
      expect(await store.revoke('unknown', at(20))).toBe(false);
      expect((await store.findById(r.id))?.revokedAt).toEqual(at(10));
    });

    test('shortenExpiry moves expiresAt earlier only, and not on revoked keys', async () => {
      const r = makeRecord({ expiresAt: at(1000) });
      await store.insert(r);
      expect(await store.shortenExpiry(r.id, at(500))).toBe(true);
      expect((await store.findById(r.id))?.expiresAt).toEqual(at(500));
      expect(await store.shortenExpiry(r.id, at(900))).toBe(true);
      expect((await store.findById(r.id))?.expiresAt).toEqual(at(500));
      await store.revoke(r.id, at(10));
      expect(await store.shortenExpiry(r.id, at(100))).toBe(false);
      expect((await store.findById(r.id))?.expiresAt).toEqual(at(500));
      expect(await store.shortenExpiry('unknown', at(100))).toBe(false);
    });

    test('touch records the latest use and never moves it back', async () => {
      const r = makeRecord();
      await store.insert(r);
      await store.touch(r.id, at(60));
      expect((await store.findById(r.id))?.lastUsedAt).toEqual(at(60));
      await store.touch(r.id, at(30)); // a slower node's late write
      expect((await store.findById(r.id))?.lastUsedAt).toEqual(at(60));
      await store.touch(r.id, at(120));
      expect((await store.findById(r.id))?.lastUsedAt).toEqual(at(120));
      await expect(store.touch('unknown', at(1))).resolves.toBeUndefined();
      await expect(store.findById('unknown')).resolves.toBeUndefined();
    });

    test('ping, and prepare is idempotent', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
      await expect(store.prepare()).resolves.toBeUndefined();
      await expect(store.prepare()).resolves.toBeUndefined();
    });
  });
}
