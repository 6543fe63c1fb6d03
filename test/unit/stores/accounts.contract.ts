import { DuplicateEmailError, type AccountStore } from '../../../src/stores/accounts.ts';

/** The behaviour every AccountStore has, whatever keeps the data. `make` gives a fresh, prepared store. */
export function describeAccountStoreContract(name: string, make: () => Promise<AccountStore>): void {
  describe(name, () => {
    let store: AccountStore;
    beforeEach(async () => { store = await make(); });
    const input = (email: string, name = 'Ada Lovelace') => ({ email, name, passwordHash: '$argon2id$v=19$fake' });

    test('create normalises the email and assigns a random URL-safe id', async () => {
      const a = await store.create(input('  Ada@Example.COM '));
      const b = await store.create(input('grace@example.com'));
      expect(a).toMatchObject({ email: 'ada@example.com', name: 'Ada Lovelace', passwordHash: '$argon2id$v=19$fake' });
      expect(a.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(b.id).not.toBe(a.id);
      expect(a.createdAt).toBeInstanceOf(Date);
      expect(a.lastLoginAt).toBeUndefined();
    });

    test('lookups by email ignore case, surrounding space and Unicode composition', async () => {
      const a = await store.create(input('JOS\u00c9@example.com'));
      expect(a.email).toBe('jos\u00e9@example.com');
      expect((await store.findByEmail('jose\u0301@EXAMPLE.com '))?.id).toBe(a.id);
      expect((await store.findById(a.id))?.email).toBe('jos\u00e9@example.com');
    });

    test('unknown ids and emails give undefined', async () => {
      await expect(store.findById('nope')).resolves.toBeUndefined();
      await expect(store.findByEmail('nobody@example.com')).resolves.toBeUndefined();
    });

    test('create refuses a taken email with DuplicateEmailError', async () => {
      await store.create(input('ada@example.com'));
      const err = await store.create(input('ADA@example.com ')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DuplicateEmailError);
      expect(err).toMatchObject({ email: 'ada@example.com', message: 'an account with email "ada@example.com" already exists' });
      await expect(store.count()).resolves.toBe(1);
    });

    test('upsertByEmail creates once, then updates name and hash in place', async () => {
      const first = await store.upsertByEmail(input('ada@example.com'));
      const second = await store.upsertByEmail({ email: 'Ada@example.com', name: 'Countess Lovelace', passwordHash: '$argon2id$new' });
      expect(first.created).toBe(true);
      expect(second.created).toBe(false);
      expect(second.account).toMatchObject({ id: first.account.id, name: 'Countess Lovelace', passwordHash: '$argon2id$new' });
      expect(second.account.createdAt).toEqual(first.account.createdAt);
      await expect(store.count()).resolves.toBe(1);
    });

    test('concurrent upserts of one new email make one account', async () => {
      const results = await Promise.all([1, 2, 3].map(() => store.upsertByEmail(input('race@example.com'))));
      expect(new Set(results.map((r) => r.account.id)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      await expect(store.count()).resolves.toBe(1);
    });

    test('recordLogin sets lastLoginAt', async () => {
      const a = await store.create(input('ada@example.com'));
      const at = new Date('2030-01-02T03:04:05.000Z');
      await store.recordLogin(a.id, at);
      expect((await store.findById(a.id))?.lastLoginAt).toEqual(at);
      await expect(store.recordLogin('unknown', at)).resolves.toBeUndefined();
    });

    test('update grants and withdraws platform admin', async () => {
      const a = await store.create(input('ada@example.com'));
      expect(a.platformAdmin).toBeUndefined();
      expect((await store.update(a.id, { platformAdmin: true }))?.platformAdmin).toBe(true);
      expect((await store.findById(a.id))?.platformAdmin).toBe(true);
      expect((await store.update(a.id, { platformAdmin: false }))?.platformAdmin).toBeUndefined();
    });

    test('returned accounts are copies', async () => {
      const a = await store.create(input('ada@example.com'));
      a.name = 'changed';
      expect((await store.findById(a.id))?.name).toBe('Ada Lovelace');
    });

    test('count, ping, and prepare (idempotent)', async () => {
      await store.create(input('a@example.com'));
      await store.create(input('b@example.com'));
      await expect(store.count()).resolves.toBe(2);
      await expect(store.ping()).resolves.toBeUndefined();
      await expect(store.prepare()).resolves.toBeUndefined();
    });
  });
}
