import { createMemorySigningKeyStore, describeKeys, ensureSigningKeys, jwkThumbprint } from '../../../src/stores/signing-keys.ts';
import { createMongoSigningKeyStore } from '../../../src/stores/signing-keys-mongo.ts';
import { describeWithMongo, uniqueCollection } from './mongo.ts';
import { describeSigningKeyContract } from './signing-keys.contract.ts';

test('jwkThumbprint matches the RFC 7638 §3.1 example', () => {
  const n = '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw';
  expect(jwkThumbprint({ kty: 'RSA', n, e: 'AQAB', alg: 'RS256', kid: '2011-04-29' })).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
});

test('describeKeys shows alg and kid, never key material', async () => {
  const { keys } = await ensureSigningKeys(createMemorySigningKeyStore());
  const text = describeKeys(keys);
  expect(text).toBe(`ES256 ${keys[0]!.kid}, RS256 ${keys[1]!.kid}`);
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
});
