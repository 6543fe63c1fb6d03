import { ensureSigningKeys, toPublicJwk, type SigningKeyStore } from '../../../src/stores/signing-keys.ts';

export interface KeyStoreFixture {
  store: SigningKeyStore;
  /** The same backing storage as seen from another node (memory: the same instance). */
  anotherNode(): SigningKeyStore;
}

/** The behaviour every SigningKeyStore has together with ensureSigningKeys. */
export function describeSigningKeyContract(name: string, make: () => Promise<KeyStoreFixture>): void {
  describe(name, () => {
    let fx: KeyStoreFixture;
    beforeEach(async () => { fx = await make(); });

    test('first start generates one ES256 then one RS256 private key', async () => {
      const { keys, generated } = await ensureSigningKeys(fx.store);
      expect(generated).toBe(true);
      expect(keys.map((k) => [k.alg, k.kty, k.use])).toEqual([['ES256', 'EC', 'sig'], ['RS256', 'RSA', 'sig']]);
      expect(keys[0]).toMatchObject({ crv: 'P-256' });
      expect(Buffer.from(keys[1]!.n!, 'base64url')).toHaveLength(256); // 2048 bits
      for (const k of keys) {
        expect(k.kid).toMatch(/^[A-Za-z0-9_-]{43}$/); // base64url SHA-256 (RFC 7638)
        expect(typeof k.d).toBe('string');
      }
      const stored = await fx.store.list();
      expect(stored.map((s) => [s.id, s.alg, s.state])).toEqual(expect.arrayContaining([['ES256#1', 'ES256', 'current'], ['RS256#1', 'RS256', 'current']]));
      expect(stored[0]!.createdAt).toBeInstanceOf(Date);
    });

    test('later starts return the stored keys and generate nothing', async () => {
      const first = await ensureSigningKeys(fx.store);
      const second = await ensureSigningKeys(fx.anotherNode());
      expect(second.generated).toBe(false);
      expect(second.keys).toEqual(first.keys);
      expect(await fx.store.list()).toHaveLength(2);
    });

    test('nodes racing at first start all end up with the same keys', async () => {
      const results = await Promise.all([
        ensureSigningKeys(fx.store), ensureSigningKeys(fx.anotherNode()), ensureSigningKeys(fx.anotherNode()),
      ]);
      const kids = results.map((r) => r.keys.map((k) => k.kid));
      expect(kids[1]).toEqual(kids[0]);
      expect(kids[2]).toEqual(kids[0]);
      expect(results.some((r) => r.generated)).toBe(true);
      expect(await fx.store.list()).toHaveLength(2);
    });

    test('insertIfAbsent never replaces a filled slot', async () => {
      const { keys } = await ensureSigningKeys(fx.store);
      const [stored] = await fx.store.list();
      const imposter = { ...stored!, kid: 'imposter', createdAt: new Date() };
      const after = await fx.store.insertIfAbsent([imposter]);
      expect(after.map((k) => k.kid)).not.toContain('imposter');
      expect((await ensureSigningKeys(fx.store)).keys).toEqual(keys);
    });

    test('the public half has no private members', async () => {
      const { keys } = await ensureSigningKeys(fx.store);
      for (const k of keys) {
        const pub = toPublicJwk(k);
        for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(pub).not.toHaveProperty(m);
        expect(pub).toMatchObject({ kid: k.kid, alg: k.alg, use: 'sig', kty: k.kty });
      }
    });
  });
}
