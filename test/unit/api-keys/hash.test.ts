import { createHmac } from 'node:crypto';
import { generateApiKey } from '../../../src/security/api-key-format.ts';
import { API_KEY_HASH_PREFIX, createApiKeyHasher } from '../../../src/security/api-key-hash.ts';
import { createSecretHasher } from '../../../src/security/client-secrets.ts';

const PEPPER = 'test-pepper-0123456789abcdefghijklmnopqrstuvwxyz';

describe('createApiKeyHasher', () => {
  const hasher = createApiKeyHasher(PEPPER);
  const { secret } = generateApiKey('test');

  test('hash is "$gh-ak-v1$" + 43 base64url characters, deterministic, and hides the secret', () => {
    const stored = hasher.hash(secret);
    expect(stored).toMatch(/^\$gh-ak-v1\$[A-Za-z0-9_-]{43}$/);
    expect(stored.startsWith(API_KEY_HASH_PREFIX)).toBe(true);
    expect(stored).not.toContain(secret);
    expect(hasher.hash(secret)).toBe(stored);
  });

  test('verify accepts the right secret and refuses wrong ones', () => {
    const stored = hasher.hash(secret);
    expect(hasher.verify(stored, secret)).toBe(true);
    expect(hasher.verify(stored, generateApiKey('test').secret)).toBe(false);
    expect(hasher.verify(stored, secret.slice(1))).toBe(false);
    expect(hasher.verify(stored, `${secret}x`)).toBe(false);
    expect(hasher.verify(stored, '')).toBe(false);
  });

  test('verify refuses a tampered or foreign stored value without throwing', () => {
    const stored = hasher.hash(secret);
    const last = stored.at(-1) === 'A' ? 'B' : 'A';
    expect(hasher.verify(stored.slice(0, -1) + last, secret)).toBe(false);
    expect(hasher.verify(stored.slice(0, -1), secret)).toBe(false);
    expect(hasher.verify(secret, secret)).toBe(false); // a plain stored secret never verifies
    expect(hasher.verify('', secret)).toBe(false);
  });

  test('the pepper matters: another pepper neither reproduces nor verifies the hash', () => {
    const other = createApiKeyHasher(Buffer.alloc(32, 7));
    expect(other.hash(secret)).not.toBe(hasher.hash(secret));
    expect(other.verify(hasher.hash(secret), secret)).toBe(false);
  });

  test('domain-separated from client-secret hashes made with the same pepper', () => {
    const clientDigest = createSecretHasher(PEPPER).hash(secret).split('$').at(-1);
    const rawPepperDigest = createHmac('sha256', PEPPER).update(secret).digest('base64url');
    const apiKeyDigest = hasher.hash(secret).split('$').at(-1);
    expect(clientDigest).toBe(rawPepperDigest);
    expect(apiKeyDigest).not.toBe(clientDigest);
  });

  test('refuses a pepper shorter than 32 bytes (RFC 2104 §3)', () => {
    expect(() => createApiKeyHasher('too-short')).toThrow('API key pepper must be at least 32 bytes (got 9)');
  });
});
