import { randomBytes } from 'node:crypto';

import { createKeyCipher, KeyDecryptionError, parseKeks } from '../../../src/security/key-encryption.ts';
import { loadConfig } from '../../../src/config/index.ts';

const kek = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
const JWK = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'the-private-part' };

describe('signing keys sealed at rest (AES-256-GCM under a key-encryption key)', () => {
  test('seal then open gives the key back; the sealed form shows no key material', () => {
    const cipher = createKeyCipher(parseKeks([kek('k1')]));
    const sealed = cipher.seal(JWK, 'kid-1');
    expect(sealed).toMatchObject({ v: 1, alg: 'A256GCM', kek: 'k1' });
    expect(JSON.stringify(sealed)).not.toContain('the-private-part');
    expect(cipher.open(sealed, 'kid-1')).toEqual(JWK);
  });

  test('a blob moved onto another key id, or altered, does not open', () => {
    const cipher = createKeyCipher(parseKeks([kek('k1')]));
    const sealed = cipher.seal(JWK, 'kid-1');
    expect(() => cipher.open(sealed, 'kid-2')).toThrow(KeyDecryptionError);
    const data = Buffer.from(sealed.data, 'base64url');
    data[0] = data[0]! ^ 1;
    expect(() => cipher.open({ ...sealed, data: data.toString('base64url') }, 'kid-1')).toThrow(KeyDecryptionError);
  });

  test('KEKs rotate: the first seals, every listed one opens, an unlisted one is named', () => {
    const [old, fresh] = [kek('old'), kek('new')];
    const sealedByOld = createKeyCipher(parseKeks([old])).seal(JWK, 'kid');
    const rotated = createKeyCipher(parseKeks([fresh, old]));
    expect(rotated.open(sealedByOld, 'kid')).toEqual(JWK);
    expect(rotated.seal(JWK, 'kid').kek).toBe('new');
    expect(() => createKeyCipher(parseKeks([fresh])).open(sealedByOld, 'kid')).toThrow('key-encryption key "old", which is not configured');
  });

  test('configuration: bad entries fail at start naming the variable; production requires one', () => {
    expect(() => loadConfig({ KEY_ENCRYPTION_KEYS: 'nocolon' })).toThrow(/^KEY_ENCRYPTION_KEYS: entry 1 must look like/);
    expect(() => loadConfig({ KEY_ENCRYPTION_KEYS: `k1:${randomBytes(16).toString('base64')}` })).toThrow(/32-byte key/);
    expect(loadConfig({ KEY_ENCRYPTION_KEYS: `${kek('a')},${kek('b')}` }).keys.encryptionKeys.map((k) => k.id)).toEqual(['a', 'b']);
    const production = {
      NODE_ENV: 'production', ISSUER: 'https://id.example', REDIS_URL: 'redis://r', MONGODB_URI: 'mongodb://m/db',
      COOKIE_KEYS: 'c'.repeat(32), SECRET_PEPPER: 'p'.repeat(32), DPOP_NONCE_SECRET: 'd'.repeat(43),
    };
    expect(() => loadConfig(production)).toThrow('KEY_ENCRYPTION_KEYS is required when NODE_ENV=production');
    expect(loadConfig({ ...production, KEY_ENCRYPTION_KEYS: kek('k') }).keys.encryptionKeys).toHaveLength(1);
  });

  test('a retired key must outlive the longest token', () => {
    expect(() => loadConfig({ ID_TOKEN_TTL: '7200', KEY_RETIRED_RETENTION_SECONDS: '3600' }))
      .toThrow('KEY_RETIRED_RETENTION_SECONDS must be at least the longest token lifetime (7200 seconds)');
    expect(loadConfig({}).keys).toMatchObject({ rotateAfterDays: 0, refreshSeconds: 60, retainRetiredSeconds: 86_400 });
  });
});
