import { createMemorySigningKeyStore, describeKeys, ensureSigningKeys, jwkThumbprint } from '../../../src/stores/signing-keys.ts';
import { createMongoSigningKeyStore } from '../../../src/stores/signing-keys-mongo.ts';
import { randomBytes } from 'node:crypto';

import { createKeyCipher, parseKeks } from '../../../src/security/key-encryption.ts';
import { describeWithMongo, uniqueCollection } from './mongo.ts';
import { describeSigningKeyContract } from './signing-keys.contract.ts';

test('jwkThumbprint matches the RFC 7638 §3.1 example', () => {
  const n = '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw';
  expect(jwkThumbprint({ kty: 'RSA', n, e: 'AQAB', alg: 'RS256', kid: '2011-04-29' })).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
});

test('describeKeys shows alg and kid, never key material', async () => {
  const { keys } = await ensureSigningKeys(createMemorySigningKeyStore());
  const text = describeKeys(keys);
  expect(text).toBe(keys.map((k) => `${k.alg} ${k.kid}`).join(', '));
  expect(text).toMatch(/^ES256 \S+, RS256 \S+, EdDSA \S+, ES256 \S+, RS256 \S+, EdDSA \S+$/);
  for (const k of keys) expect(text).not.toContain(k.d!);
});

describeSigningKeyContract('memory signing key store', async () => {
  const store = createMemorySigningKeyStore();
  return { store, anotherNode: () => store };
});

describeWithMongo('MongoDB signing key store', (db) => {
  describeSigningKeyContract('contract', async () => {
    const collection = uniqueCollection('signing_keys');
    const store = createMongoSigningKeyStore(db(), { collection });
    await store.prepare();
    return { store, anotherNode: () => createMongoSigningKeyStore(db(), { collection }) };
  });

  const cipher = createKeyCipher(parseKeks([`k1:${randomBytes(32).toString('base64')}`]));
  describeSigningKeyContract('contract, encrypted at rest', async () => {
    const collection = uniqueCollection('signing_keys');
    const store = createMongoSigningKeyStore(db(), { collection, cipher });
    return { store, anotherNode: () => createMongoSigningKeyStore(db(), { collection, cipher }) };
  });

  test('with a cipher, no private member is readable in the stored document', async () => {
    const collection = uniqueCollection('signing_keys');
    await ensureSigningKeys(createMongoSigningKeyStore(db(), { collection, cipher }));
    const docs = await db().collection(collection).find({}).toArray();
    expect(docs).toHaveLength(4);
    for (const doc of docs) {
      expect(doc.jwk.public).not.toHaveProperty('d');
      expect(doc.jwk.sealed).toMatchObject({ alg: 'A256GCM', kek: 'k1' });
      expect(JSON.stringify(doc)).not.toMatch(/"d":/);
    }
  });
});
