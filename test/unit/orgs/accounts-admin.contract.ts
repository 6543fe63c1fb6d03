import { NO_PASSWORD, type AccountStore } from '../../../src/stores/accounts.ts';
import { InvalidCursorError } from '../../../src/stores/paging.ts';

/** The account-store operations the admin API needs: list, update, disable, delete. */
export function describeAccountAdminContract(name: string, make: () => Promise<AccountStore>): void {
  describe(name, () => {
    let store: AccountStore;
    beforeEach(async () => { store = await make(); });
    const input = (email: string) => ({ email, name: 'Someone', passwordHash: NO_PASSWORD });
    const tick = () => new Promise((r) => setTimeout(r, 2));

    test('lists newest first in pages, filters by normalised email, finds many', async () => {
      const made = [];
      for (const e of ['a@x.org', 'b@x.org', 'c@x.org']) { made.push(await store.create(input(e))); await tick(); }
      const first = await store.list({ limit: 2 });
      const second = await store.list({ limit: 2, cursor: first.nextCursor });
      expect([...first.items, ...second.items].map((a) => a.email)).toEqual(['c@x.org', 'b@x.org', 'a@x.org']);
      expect(second.nextCursor).toBeUndefined();
      expect((await store.list({ limit: 10, email: ' B@X.org' })).items.map((a) => a.id)).toEqual([made[1]!.id]);
      expect((await store.list({ limit: 10, email: 'none@x.org' })).items).toEqual([]);
      await expect(store.list({ limit: 2, cursor: '!!' })).rejects.toBeInstanceOf(InvalidCursorError);
      expect((await store.findMany([made[0]!.id, 'unknown', made[2]!.id])).map((a) => a.email).sort()).toEqual(['a@x.org', 'c@x.org']);
    });

    test('update changes name and password hash; unknown ids give undefined', async () => {
      const a = await store.create(input('a@x.org'));
      expect(a.passwordHash).toBe(NO_PASSWORD);
      expect(await store.update(a.id, { name: 'Ada' })).toMatchObject({ name: 'Ada', passwordHash: NO_PASSWORD });
      expect(await store.update(a.id, { passwordHash: '$argon2id$x' })).toMatchObject({ name: 'Ada', passwordHash: '$argon2id$x' });
      expect(await store.update(a.id, {})).toMatchObject({ name: 'Ada' });
      await expect(store.update('unknown', { name: 'x' })).resolves.toBeUndefined();
    });

    test('setDisabled keeps the first date, and clears it', async () => {
      const a = await store.create(input('a@x.org'));
      const t1 = new Date('2030-01-01T00:00:00Z');
      expect((await store.setDisabled(a.id, t1))?.disabledAt).toEqual(t1);
      expect((await store.setDisabled(a.id, new Date('2031-01-01T00:00:00Z')))?.disabledAt).toEqual(t1);
      expect((await store.findById(a.id))?.disabledAt).toEqual(t1);
      const enabled = await store.setDisabled(a.id, undefined);
      expect(enabled).toBeDefined();
      expect(enabled!.disabledAt).toBeUndefined();
      await expect(store.setDisabled('unknown', t1)).resolves.toBeUndefined();
    });

    test('delete removes the account and frees its email', async () => {
      const a = await store.create(input('a@x.org'));
      await expect(store.delete(a.id)).resolves.toBe(true);
      await expect(store.delete(a.id)).resolves.toBe(false);
      await expect(store.findById(a.id)).resolves.toBeUndefined();
      await expect(store.findByEmail('a@x.org')).resolves.toBeUndefined();
      await expect(store.create(input('a@x.org'))).resolves.toMatchObject({ email: 'a@x.org' });
    });
  });
}
