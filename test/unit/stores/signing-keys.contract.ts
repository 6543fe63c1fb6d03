import { ensureSigningKeys, generateSigningKey, toPublicJwk, type SigningKeyStore } from '../../../src/stores/signing-keys.ts';

export interface KeyStoreFixture {
  store: SigningKeyStore;
  /** The same backing storage as seen from another node (memory: the same instance). */
  anotherNode(): SigningKeyStore;
}

const states = async (store: SigningKeyStore) => (await store.list()).map((s) => [s.id, s.alg, s.state]);

/** The behaviour every SigningKeyStore has together with ensureSigningKeys. */
export function describeSigningKeyContract(name: string, make: () => Promise<KeyStoreFixture>): void {
  describe(name, () => {
    let fx: KeyStoreFixture;
    beforeEach(async () => { fx = await make(); });

    test('first start generates a current and a next key for ES256, RS256 and EdDSA; only current keys may sign', async () => {
      const { keys, generated } = await ensureSigningKeys(fx.store);
      expect(generated).toBe(true);
      expect(keys.map((k) => [k.alg, k.kty, k.use, k.key_ops])).toEqual([
        ['ES256', 'EC', 'sig', undefined], ['RS256', 'RSA', 'sig', undefined], ['EdDSA', 'OKP', 'sig', undefined],
        ['ES256', 'EC', 'sig', ['verify']], ['RS256', 'RSA', 'sig', ['verify']], ['EdDSA', 'OKP', 'sig', ['verify']],
      ]);
      expect(keys[2]).toMatchObject({ crv: 'Ed25519' });
      expect(keys[0]).toMatchObject({ crv: 'P-256' });
      expect(Buffer.from(keys[1]!.n!, 'base64url')).toHaveLength(256); // 2048 bits
      for (const k of keys) {
        expect(k.kid).toMatch(/^[A-Za-z0-9_-]{43}$/); // base64url SHA-256 (RFC 7638)
        expect(typeof k.d).toBe('string');
      }
      expect(await states(fx.store)).toEqual(expect.arrayContaining([
        ['ES256#1', 'ES256', 'current'], ['RS256#1', 'RS256', 'current'], ['EdDSA#1', 'EdDSA', 'current'],
        ['ES256#2', 'ES256', 'next'], ['RS256#2', 'RS256', 'next'], ['EdDSA#2', 'EdDSA', 'next'],
      ]));
      expect((await fx.store.list())[0]!.createdAt).toBeInstanceOf(Date);
    });

    test('later starts return the stored keys and generate nothing', async () => {
      const first = await ensureSigningKeys(fx.store);
      const second = await ensureSigningKeys(fx.anotherNode());
      expect(second.generated).toBe(false);
      expect(second.keys).toEqual(first.keys);
      expect(await fx.store.list()).toHaveLength(6);
    });

    test('nodes racing at first start all end up with the same keys', async () => {
      const results = await Promise.all([
        ensureSigningKeys(fx.store), ensureSigningKeys(fx.anotherNode()), ensureSigningKeys(fx.anotherNode()),
      ]);
      const kids = results.map((r) => r.keys.map((k) => k.kid));
      expect(kids[1]).toEqual(kids[0]);
      expect(kids[2]).toEqual(kids[0]);
      expect(results.some((r) => r.generated)).toBe(true);
      expect(await fx.store.list()).toHaveLength(6);
    });

    test('insertIfAbsent never replaces a filled slot', async () => {
      const { keys } = await ensureSigningKeys(fx.store);
      const [stored] = await fx.store.list();
      const imposter = { ...stored!, kid: 'imposter', createdAt: new Date() };
      const after = await fx.store.insertIfAbsent([imposter]);
      expect(after.map((k) => k.kid)).not.toContain('imposter');
      expect((await ensureSigningKeys(fx.store)).keys).toEqual(keys);
    });

    test('transition is compare-and-set: of two nodes, one wins; retiring records when', async () => {
      await ensureSigningKeys(fx.store);
      const next = (await fx.store.list()).find((k) => k.alg === 'ES256' && k.state === 'next')!;
      const at = new Date('2026-01-02T03:04:05Z');
      const results = await Promise.all([
        fx.store.transition(next.kid, 'next', 'current', at), fx.anotherNode().transition(next.kid, 'next', 'current', at),
      ]);
      expect(results.sort()).toEqual([false, true]);
      expect(await fx.store.transition(next.kid, 'current', 'retired', at)).toBe(true);
      const retired = (await fx.store.list()).find((k) => k.kid === next.kid)!;
      expect(retired).toMatchObject({ state: 'retired', activatedAt: at, retiredAt: at });
      // The private key survives the round trip (sealed at rest where a cipher is set).
      expect(typeof retired.jwk.d).toBe('string');
    });

    test('removeRetired deletes only retired keys', async () => {
      await ensureSigningKeys(fx.store);
      const current = (await fx.store.list()).find((k) => k.state === 'current')!;
      expect(await fx.store.removeRetired(current.kid)).toBe(false);
      await fx.store.transition(current.kid, 'current', 'retired', new Date());
      expect(await fx.store.removeRetired(current.kid)).toBe(true);
      expect((await fx.store.list()).map((k) => k.kid)).not.toContain(current.kid);
      expect(await fx.store.removeRetired('unknown')).toBe(false);
    });

    test('a key inserted later keeps its state', async () => {
      await ensureSigningKeys(fx.store);
      const key = { ...await generateSigningKey('ES256', 'ES256#9'), state: 'next' as const };
      const after = await fx.store.insertIfAbsent([key]);
      expect(after.find((k) => k.id === 'ES256#9')).toMatchObject({ kid: key.kid, state: 'next', jwk: { d: key.jwk.d } });
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
