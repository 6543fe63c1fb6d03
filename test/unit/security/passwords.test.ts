import { createPasswordHasher, validatePasswordPolicy } from '../../../src/security/passwords.ts';

// Cheap parameters keep the suite fast; production defaults come from config (OWASP minimum).
const FAST = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

describe('validatePasswordPolicy (NIST SP 800-63B §5.1.1.2)', () => {
  test.each([
    ['a'.repeat(7), 'must be at least 8 characters'],
    ['a'.repeat(8), undefined],
    ['a'.repeat(128), undefined],
    ['a'.repeat(129), 'must be at most 128 characters'],
    ['', 'must be at least 8 characters'],
  ])('%j → %s', (password, expected) => {
    expect(validatePasswordPolicy(password)).toBe(expected);
  });

  test('counts Unicode code points, not UTF-16 units', () => {
    // Each emoji is 2 UTF-16 units: 7 emoji = 14 units, still only 7 characters.
    expect('🔐'.repeat(7)).toHaveLength(14);
    expect(validatePasswordPolicy('🔐'.repeat(7))).toBe('must be at least 8 characters');
    expect(validatePasswordPolicy('🔐'.repeat(8))).toBeUndefined();
    expect(validatePasswordPolicy('🔐'.repeat(128))).toBeUndefined();
    expect(validatePasswordPolicy('🔐'.repeat(129))).toBe('must be at most 128 characters');
  });

  test('has no composition rules: lower-case letters only, spaces, any script', () => {
    expect(validatePasswordPolicy('aaaaaaaa')).toBeUndefined();
    expect(validatePasswordPolicy('correct horse battery staple')).toBeUndefined();
    expect(validatePasswordPolicy('пароль-пароль')).toBeUndefined();
  });
});

describe('createPasswordHasher', () => {
  const hasher = createPasswordHasher(FAST);

  test('hashes with argon2id and the given parameters, salted', async () => {
    const a = await hasher.hash('correct horse battery staple');
    const b = await hasher.hash('correct horse battery staple');
    expect(a).toMatch(/^\$argon2id\$v=19\$/);
    expect(a).toContain('m=1024');
    expect(a).not.toBe(b);
    expect(a).not.toContain('correct horse');
    expect(hasher.needsRehash(a)).toBe(false);
    expect(createPasswordHasher({ ...FAST, timeCost: 2 }).needsRehash(a)).toBe(true);
  });

  test('verify answers true for the password and false otherwise', async () => {
    const hash = await hasher.hash('correct horse battery staple');
    await expect(hasher.verify(hash, 'correct horse battery staple')).resolves.toBe(true);
    await expect(hasher.verify(hash, 'correct horse battery stapler')).resolves.toBe(false);
    await expect(hasher.verify(hash, '')).resolves.toBe(false);
  });

  test('runs no more hashes at once than its concurrency; the others wait their turn and all finish', async () => {
    const limited = createPasswordHasher({ ...FAST, concurrency: 2 });
    const hash = await limited.hash('correct horse battery staple');
    const checks = [
      limited.verify(hash, 'correct horse battery staple'), limited.verify(hash, 'wrong'),
      limited.dummyVerify('anything'), limited.verify(hash, 'correct horse battery staple'),
    ];
    // dummyVerify first waits for its hash, made at creation and finished by now.
    await Promise.resolve();
    expect(limited.load().running).toBe(2);
    expect(limited.load().waiting).toBeGreaterThanOrEqual(1);
    await expect(Promise.all(checks)).resolves.toEqual([true, false, false, true]);
    expect(limited.load()).toEqual({ running: 0, waiting: 0 });
  });

  test('verify answers false for a value that is not an argon2 hash', async () => {
    await expect(hasher.verify('plain-text-password', 'plain-text-password')).resolves.toBe(false);
  });

  test('normalises Unicode (NFKC) so composed and decomposed input verify alike', async () => {
    const hash = await hasher.hash('caf\u00e9-au-lait');
    await expect(hasher.verify(hash, 'cafe\u0301-au-lait')).resolves.toBe(true);
  });

  test('dummyVerify always answers false, whatever the password', async () => {
    await expect(hasher.dummyVerify('anything at all')).resolves.toBe(false);
    await expect(hasher.dummyVerify('')).resolves.toBe(false);
  });
});
