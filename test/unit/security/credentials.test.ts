import { verifyCredentials } from '../../../src/security/credentials.ts';
import { createPasswordHasher, type PasswordHasher } from '../../../src/security/passwords.ts';
import { createMemoryAccountStore, NO_PASSWORD } from '../../../src/stores/accounts.ts';

/** Wraps a real hasher and counts which argon2 path each login took. */
function countingHasher(inner: PasswordHasher) {
  const calls = { verify: 0, dummyVerify: 0 };
  const hasher: PasswordHasher = {
    ...inner,
    verify: (h, p) => { calls.verify++; return inner.verify(h, p); },
    dummyVerify: (p) => { calls.dummyVerify++; return inner.dummyVerify(p); },
  };
  return { hasher, calls };
}

describe('verifyCredentials', () => {
  const base = createPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });

  async function setup() {
    const accounts = createMemoryAccountStore();
    const ada = await accounts.create({ email: 'ada@example.com', name: 'Ada', passwordHash: await base.hash('correct horse battery') });
    return { accounts, ada, ...countingHasher(base) };
  }

  test('returns the account for the right password and records the login', async () => {
    const { accounts, ada, hasher, calls } = await setup();
    const at = new Date('2030-01-02T03:04:05Z');
    const account = await verifyCredentials(accounts, hasher, '  ADA@example.com ', 'correct horse battery', () => at);
    expect(account?.id).toBe(ada.id);
    expect(account?.lastLoginAt).toEqual(at);
    expect((await accounts.findById(ada.id))?.lastLoginAt).toEqual(at);
    expect(calls).toEqual({ verify: 1, dummyVerify: 0 });
  });

  test('returns undefined for a wrong password, without recording a login', async () => {
    const { accounts, ada, hasher, calls } = await setup();
    await expect(verifyCredentials(accounts, hasher, 'ada@example.com', 'wrong password')).resolves.toBeUndefined();
    expect((await accounts.findById(ada.id))?.lastLoginAt).toBeUndefined();
    expect(calls).toEqual({ verify: 1, dummyVerify: 0 });
  });

  test('an unknown email still pays for one argon2 verification (dummyVerify)', async () => {
    const { accounts, hasher, calls } = await setup();
    await expect(verifyCredentials(accounts, hasher, 'nobody@example.com', 'correct horse battery')).resolves.toBeUndefined();
    expect(calls).toEqual({ verify: 0, dummyVerify: 1 });
  });

  describe('disabled and invited accounts', () => {
    test('a disabled account fails like a wrong password, after a real verification, and records no login', async () => {
      const accounts = createMemoryAccountStore();
      const ada = await accounts.create({ email: 'ada@example.com', name: 'Ada', passwordHash: await base.hash('correct horse battery') });
      await accounts.setDisabled(ada.id, new Date());
      const { hasher, calls } = countingHasher(base);
      await expect(verifyCredentials(accounts, hasher, 'ada@example.com', 'correct horse battery')).resolves.toBeUndefined();
      expect(calls).toEqual({ verify: 1, dummyVerify: 0 });
      expect((await accounts.findById(ada.id))?.lastLoginAt).toBeUndefined();

      await accounts.setDisabled(ada.id, undefined);
      await expect(verifyCredentials(accounts, hasher, 'ada@example.com', 'correct horse battery')).resolves.toMatchObject({ id: ada.id });
    });

    test('an account without a password yet answers like an unknown email, whatever is typed', async () => {
      const accounts = createMemoryAccountStore();
      await accounts.create({ email: 'new@example.com', name: 'New', passwordHash: NO_PASSWORD });
      const { hasher, calls } = countingHasher(base);
      await expect(verifyCredentials(accounts, hasher, 'new@example.com', '')).resolves.toBeUndefined();
      await expect(verifyCredentials(accounts, hasher, 'new@example.com', 'anything at all')).resolves.toBeUndefined();
      expect(calls).toEqual({ verify: 0, dummyVerify: 2 });
    });
  });
});
