import { createKeyRing } from '../../../src/oidc/key-ring.ts';
import { createMemorySigningKeyStore } from '../../../src/stores/signing-keys.ts';

const DAY = 86_400_000;

function clock(start = Date.parse('2026-01-01T00:00:00Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => { t += ms; } };
}

const summary = (ring: { list(): { alg: string; state: string; kid: string }[] }, alg = 'ES256') =>
  Object.fromEntries(['next', 'current', 'retired'].map((state) => [state, ring.list().filter((k) => k.alg === alg && k.state === state).map((k) => k.kid)]));

describe('key ring: staged signing-key rotation', () => {
  test('rotate: next becomes current, current is retired, a fresh next is published', async () => {
    const store = createMemorySigningKeyStore();
    const rotated: unknown[] = [];
    const ring = await createKeyRing({ store, retainRetiredSeconds: 3600, rotateAfterDays: 0, onRotated: (e) => rotated.push(e) });
    const before = summary(ring);
    await ring.rotate('ES256', 'api_key:k1');
    const after = summary(ring);
    expect(after.current).toEqual(before.next);
    expect(after.retired).toEqual(before.current);
    expect(after.next).toHaveLength(1);
    expect(after.next).not.toEqual(before.next);
    expect(summary(ring, 'RS256').retired).toEqual([]); // only the algorithm asked for
    expect(rotated).toEqual([{ alg: 'ES256', retired: before.current![0], current: before.next![0], next: after.next![0], by: 'api_key:k1' }]);
    // What the provider gets: the new current signs; the others verify only.
    const keys = ring.providerKeys();
    expect(keys.filter((k) => !k.key_ops).map((k) => k.kid)).toEqual(expect.arrayContaining(after.current!));
    expect(keys.find((k) => k.kid === after.retired![0])?.key_ops).toEqual(['verify']);
    expect(ring.publicJwks().keys).toHaveLength(7); // 3 current, 3 next, 1 retired
    expect(JSON.stringify(ring.publicJwks())).not.toContain('"d":');
  });

  test('two nodes rotating at once rotate once', async () => {
    const store = createMemorySigningKeyStore();
    const [a, b] = [await createKeyRing({ store, retainRetiredSeconds: 3600, rotateAfterDays: 0 }), await createKeyRing({ store, retainRetiredSeconds: 3600, rotateAfterDays: 0 })];
    const before = summary(a);
    await Promise.all([a.rotate('ES256'), b.rotate('ES256')]);
    await a.refresh();
    expect(summary(a).current).toEqual(before.next);
    expect(summary(a).retired).toEqual(before.current);
  });

  test('another node sees a rotation at its next refresh, and the JWKS object changes only then', async () => {
    const store = createMemorySigningKeyStore();
    const [a, b] = [await createKeyRing({ store, retainRetiredSeconds: 3600, rotateAfterDays: 0 }), await createKeyRing({ store, retainRetiredSeconds: 3600, rotateAfterDays: 0 })];
    const jwks = b.publicJwks();
    await b.refresh();
    expect(b.publicJwks()).toBe(jwks);
    await a.rotate();
    expect(b.publicJwks()).toBe(jwks);
    await b.refresh();
    expect(b.publicJwks()).not.toBe(jwks);
    expect(summary(b)).toEqual(summary(a));
  });

  test('scheduled rotation when the current key is old enough; retired keys are dropped after the retention', async () => {
    const store = createMemorySigningKeyStore();
    const time = clock();
    const ring = await createKeyRing({ store, retainRetiredSeconds: 2 * 86_400, rotateAfterDays: 30, now: time.now });
    const first = summary(ring);
    time.advance(29 * DAY);
    await ring.refresh();
    expect(summary(ring)).toEqual(first);
    // Keys made by createKeyRing carry the real creation time; step past 30 days from it.
    time.advance(Date.now() - time.now().getTime() + 30 * DAY);
    await ring.refresh();
    const second = summary(ring);
    expect(second.current).toEqual(first.next);
    expect(second.retired).toEqual(first.current);
    time.advance(DAY);
    await ring.refresh();
    expect(summary(ring).retired).toEqual(first.current);
    time.advance(DAY + 1000);
    await ring.refresh();
    expect(summary(ring).retired).toEqual([]);
    expect((await store.list()).map((k) => k.kid)).not.toContain(first.current![0]);
  });
});
