import type Provider from 'oidc-provider';
import type { JWK } from 'oidc-provider';
// node-oidc-provider takes its signing keys once, at construction, and offers no public
// way to change them. Rotating without a restart means re-running its own keystore
// initialisation on the live instance: this module is the one place that reaches into
// the provider's internals for that (DESIGN.md), pinned to the installed 9.x layout.
// @ts-expect-error: internal module without type declarations
import initializeKeystore from 'oidc-provider/lib/helpers/initialize_keystore.js';

import {
  ensureSigningKeys, generateSigningKey, nextSlot, orderForProvider, SIGNING_ALGS, toProviderJwk, toPublicJwk,
  type SigningAlg, type SigningKeyStore, type StoredKey,
} from '../stores/signing-keys.ts';

export interface KeyRingOptions {
  store: SigningKeyStore;
  /** How long a retired key stays published: at least the longest token lifetime. */
  retainRetiredSeconds: number;
  /** Rotate automatically when the current key is this old; 0 = only on demand. */
  rotateAfterDays: number;
  now?: () => Date;
  /** Told of every rotation; `by` is who asked (undefined: the schedule). */
  onRotated?: (event: { alg: SigningAlg; retired: string; current: string; next: string; by: string | undefined }) => void;
}

export interface KeyRing {
  /** True when this start generated the first keys (nothing was stored). */
  readonly generated: boolean;
  /** Private JWKs in the provider's order: current keys sign, next and retired only verify. */
  providerKeys(): JWK[];
  /** What Gatehouse itself verifies its JWTs with (introspection): every published key. Same object until keys change. */
  publicJwks(): { keys: JWK[] };
  list(): StoredKey[];
  /** The live provider whose keystore follows the ring. */
  attach(provider: Provider): void;
  /** next → current → retired for each algorithm (or one); a new next is generated. */
  rotate(alg?: SigningAlg, by?: string): Promise<StoredKey[]>;
  /** Reads the store, drops expired retired keys, rotates when due, and reloads on change. */
  refresh(): Promise<void>;
}

/**
 * The signing keys every node serves, kept in step through the store: a node that rotates
 * reloads at once; the others pick the change up at their next `refresh` (a timer in
 * server.ts). That delay is safe because of the stages: a key is published as `next`
 * before any node signs with it, and a retired key stays published long after.
 */
export async function createKeyRing(options: KeyRingOptions): Promise<KeyRing> {
  const { store, now = () => new Date() } = options;
  const first = await ensureSigningKeys(store);
  let stored = first.stored;
  let fingerprint = fingerprintOf(stored);
  let provider: Provider | undefined;
  const publish = () => ({ keys: stored.map((k) => toPublicJwk(toProviderJwk(k))) });
  let jwks = publish();

  const reload = () => {
    jwks = publish();
    if (provider) initializeKeystore.call(provider, { keys: orderForProvider(stored).map(toProviderJwk) });
  };

  async function reread() {
    const latest = await store.list();
    const print = fingerprintOf(latest);
    if (print === fingerprint) return;
    stored = latest;
    fingerprint = print;
    reload();
  }

  async function rotateOne(alg: SigningAlg, by?: string) {
    let keys = await store.list();
    let next = keys.find((k) => k.alg === alg && k.state === 'next');
    if (!next) {
      keys = await store.insertIfAbsent([{ ...await generateSigningKey(alg, nextSlot(keys, alg)), state: 'next', createdAt: now() }]);
      next = keys.find((k) => k.alg === alg && k.state === 'next')!;
    }
    const at = now();
    const current = keys.filter((k) => k.alg === alg && k.state === 'current');
    // Compare and set: of two nodes rotating at once, one promotes and the other stops here.
    if (!await store.transition(next.kid, 'next', 'current', at)) return;
    for (const old of current) await store.transition(old.kid, 'current', 'retired', at);
    const fresh = { ...await generateSigningKey(alg, nextSlot(await store.list(), alg)), state: 'next' as const, createdAt: now() };
    await store.insertIfAbsent([fresh]);
    options.onRotated?.({ alg, retired: current.map((k) => k.kid).join(','), current: next.kid, next: fresh.kid, by });
  }

  async function purgeExpired() {
    const cutoff = now().getTime() - options.retainRetiredSeconds * 1000;
    for (const k of stored) {
      if (k.state === 'retired' && k.retiredAt && k.retiredAt.getTime() <= cutoff) await store.removeRetired(k.kid);
    }
  }

  const rotationDue = (alg: SigningAlg) => {
    if (options.rotateAfterDays <= 0) return false;
    const current = stored.find((k) => k.alg === alg && k.state === 'current');
    const since = current?.activatedAt ?? current?.createdAt;
    return !since || now().getTime() - since.getTime() >= options.rotateAfterDays * 86_400_000;
  };

  return {
    generated: first.generated,
    providerKeys: () => orderForProvider(stored).map(toProviderJwk),
    publicJwks: () => jwks,
    list: () => stored.map((k) => ({ ...k })),
    attach(p) {
      provider = p;
    },
    async rotate(alg, by) {
      for (const a of alg ? [alg] : SIGNING_ALGS) await rotateOne(a, by);
      await reread();
      return stored;
    },
    async refresh() {
      await reread();
      await purgeExpired();
      for (const alg of SIGNING_ALGS) if (rotationDue(alg)) await rotateOne(alg);
      await reread();
    },
  };
}

const fingerprintOf = (keys: readonly StoredKey[]) => keys.map((k) => `${k.kid}:${k.state}`).sort().join('|');
