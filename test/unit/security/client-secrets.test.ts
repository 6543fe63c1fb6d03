import { createSecretHasher, generateClientSecret, SECRET_HASH_PREFIX } from '../../../src/security/client-secrets.ts';

const PEPPER = 'test-pepper-0123456789abcdefghijklmnopqrstuvwxyz';

describe('createSecretHasher', () => {
  const hasher = createSecretHasher(PEPPER);
  const secret = generateClientSecret();

  test('hash is "$hmac-sha256$" + 43 base64url characters and hides the secret', () => {
    const stored = hasher.hash(secret);
    expect(stored).toMatch(/^\$hmac-sha256\$[A-Za-z0-9_-]{43}$/);
    expect(stored).not.toContain(secret);
    expect(hasher.hash(secret)).toBe(stored); // deterministic: keyed, not salted
  });

  test('verify accepts the right secret and refuses a wrong one', () => {
    const stored = hasher.hash(secret);
    expect(hasher.verify(stored, secret)).toBe(true);
    expect(hasher.verify(stored, `${secret}x`)).toBe(false);
    expect(hasher.verify(stored, secret.slice(1))).toBe(false);
    expect(hasher.verify(stored, '')).toBe(false);
  });

  test('verify refuses a tampered or malformed stored value without throwing', () => {
    const stored = hasher.hash(secret);
    const last = stored.at(-1) === 'A' ? 'B' : 'A';
    expect(hasher.verify(stored.slice(0, -1) + last, secret)).toBe(false); // spare bits of the last char
    expect(hasher.verify(stored.slice(0, -1), secret)).toBe(false);
    expect(hasher.verify(`${stored}A`, secret)).toBe(false);
    expect(hasher.verify(stored.replace('sha256', 'sha512'), secret)).toBe(false);
    expect(hasher.verify(secret, secret)).toBe(false); // a plain stored secret never verifies
  });

  test('a different pepper gives a different hash (a database alone is not enough)', () => {
    const other = createSecretHasher(Buffer.alloc(32, 7));
    expect(other.hash(secret)).not.toBe(hasher.hash(secret));
    expect(other.verify(hasher.hash(secret), secret)).toBe(false);
  });

  test('isHashed recognises only the stored format', () => {
    expect(hasher.isHashed(hasher.hash(secret))).toBe(true);
    expect(hasher.isHashed(secret)).toBe(false);
    expect(hasher.isHashed(`${SECRET_HASH_PREFIX}short`)).toBe(false);
  });

  test('refuses a pepper shorter than 32 bytes (RFC 2104 §3)', () => {
    expect(() => createSecretHasher('too-short')).toThrow('client secret pepper must be at least 32 bytes (got 9)');
  });
});

describe('generateClientSecret', () => {
  test('256 bits of entropy, base64url, no padding, unique', () => {
    const secrets = new Set(Array.from({ length: 100 }, generateClientSecret));
    expect(secrets.size).toBe(100);
    for (const s of secrets) {
      expect(s).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(s, 'base64url')).toHaveLength(32);
    }
  });
});
