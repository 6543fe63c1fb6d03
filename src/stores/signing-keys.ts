import { createHash, generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import type { JWK } from 'oidc-provider';

const generateKeyPairAsync = promisify(generateKeyPair);

export type SigningAlg = 'ES256' | 'RS256' | 'EdDSA';

/**
 * Staged rotation (src/oidc/key-ring.ts): a `next` key is published in the JWKS before it
 * signs, so every verifier has it when it starts signing; `current` signs; a `retired` key
 * stays published until every token it signed has expired, then it is deleted.
 */
export type KeyState = 'next' | 'current' | 'retired';

/**
 * One signing key as persisted. `id` is a slot name ("ES256#1": the first ES256 key),
 * not the kid: every node racing at first start generates different key material, but
 * they all try to fill the same slot, and the unique id lets exactly one of them win.
 */
export interface StoredKey {
  id: string;
  kid: string;
  alg: SigningAlg;
  state: KeyState;
  /** Private JWK (RFC 7517) with kid, alg and use: 'sig'. Never log it. */
  jwk: JWK;
  createdAt: Date;
  /** When it started signing (moved from `next` to `current`). */
  activatedAt?: Date;
  /** When it stopped signing (state `retired`). */
  retiredAt?: Date;
}

export interface SigningKeyStore {
  /** All keys, oldest first. */
  list(): Promise<StoredKey[]>;
  /** Stores each key whose `id` is not taken yet; returns everything now stored. */
  insertIfAbsent(keys: StoredKey[]): Promise<StoredKey[]>;
  /**
   * Moves the key from one state to another only if it is still in `from` (compare and
   * set): of several nodes rotating at once, exactly one wins each step. `at` is recorded
   * as `activatedAt` when moving to `current`, as `retiredAt` when moving to `retired`.
   */
  transition(kid: string, from: KeyState, to: KeyState, at: Date): Promise<boolean>;
  /** Deletes a retired key; true only if this call deleted it. */
  removeRetired(kid: string): Promise<boolean>;
  ping(): Promise<void>;
  prepare(): Promise<void>;
}

const byCreation = (a: StoredKey, b: StoredKey) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id);

/**
 * Keys in this process only: a restart makes new keys and invalidates every ID token and
 * JWT issued before it, and several nodes would each sign with their own keys. The
 * caller warns about that at start-up.
 */
export function createMemorySigningKeyStore(): SigningKeyStore {
  const keys = new Map<string, StoredKey>();
  const list = () => [...keys.values()].sort(byCreation).map((k) => ({ ...k, jwk: { ...k.jwk } }));
  const byKid = (kid: string) => [...keys.values()].find((k) => k.kid === kid);
  return {
    async list() {
      return list();
    },
    async insertIfAbsent(candidates) {
      // Synchronous check-and-set: atomic with respect to other callers in this process.
      for (const key of candidates) if (!keys.has(key.id)) keys.set(key.id, { ...key, jwk: { ...key.jwk } });
      return list();
    },
    async transition(kid, from, to, at) {
      const key = byKid(kid);
      if (key?.state !== from) return false;
      key.state = to;
      if (to === 'current') key.activatedAt = at;
      if (to === 'retired') key.retiredAt = at;
      return true;
    },
    async removeRetired(kid) {
      const key = byKid(kid);
      return key?.state === 'retired' && keys.delete(key.id);
    },
    async ping() {},
    async prepare() {},
  };
}

// ---------------------------------------------------------------------------------------
// Generation and start-up.

/**
 * ES256 first: it is the default ID token alg, and the provider picks keys in this order.
 * RS256 for verifiers that know nothing else; EdDSA (Ed25519, RFC 8037) for those that
 * prefer it. A client or resource server chooses among them by name.
 */
export const SIGNING_ALGS: readonly SigningAlg[] = ['ES256', 'RS256', 'EdDSA'];

/** RFC 7638 §3.2: the required members only, in lexicographic order, no whitespace. */
export function jwkThumbprint(jwk: JWK): string {
  const members = jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
    : jwk.kty === 'RSA' ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
    : jwk.kty === 'OKP' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x } // RFC 8037 §2
    : undefined;
  if (!members || Object.values(members).some((v) => typeof v !== 'string')) {
    throw new TypeError(`cannot compute an RFC 7638 thumbprint for kty ${String(jwk.kty)}`);
  }
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** The public half of a JWK (RFC 7518 §6.2.2 / §6.3.2 members removed). */
export function toPublicJwk(jwk: JWK): JWK {
  const pub: Record<string, unknown> = { ...jwk };
  for (const m of PRIVATE_MEMBERS) delete pub[m];
  return pub as JWK;
}

/** Safe to log: kid and alg only, never key material. */
export const describeKeys = (keys: readonly JWK[]): string => keys.map((k) => `${k.alg ?? '?'} ${k.kid ?? '?'}`).join(', ');

export async function generateSigningKey(alg: SigningAlg, id: string): Promise<StoredKey> {
  const { privateKey } = alg === 'ES256' ? await generateKeyPairAsync('ec', { namedCurve: 'P-256' })
    : alg === 'EdDSA' ? await generateKeyPairAsync('ed25519')
    : await generateKeyPairAsync('rsa', { modulusLength: 2048 }); // RFC 7518 §3.3: ≥ 2048 bits
  const raw = privateKey.export({ format: 'jwk' }) as JWK;
  const kid = jwkThumbprint(raw);
  return { id, kid, alg, state: 'current', jwk: { ...raw, kid, alg, use: 'sig' }, createdAt: new Date() };
}

const rank = (alg: string) => {
  const i = SIGNING_ALGS.indexOf(alg as SigningAlg);
  return i === -1 ? SIGNING_ALGS.length : i;
};

/** A stored key as the provider's keystore takes it: only `current` keys may sign. */
export function toProviderJwk(k: StoredKey): JWK {
  const jwk: JWK = { ...k.jwk, kid: k.kid, alg: k.alg, use: 'sig' };
  if (k.state !== 'current') jwk.key_ops = ['verify'];
  return jwk;
}

/** Current keys first (ES256 before RS256, newest first), then the verify-only ones. */
export function orderForProvider(keys: readonly StoredKey[]): StoredKey[] {
  const stage = (k: StoredKey) => (k.state === 'current' ? 0 : 1);
  return [...keys].sort((a, b) => stage(a) - stage(b) || rank(a.alg) - rank(b.alg) || b.createdAt.getTime() - a.createdAt.getTime());
}

/** The next free slot name for a key of this algorithm. */
export function nextSlot(stored: readonly StoredKey[], alg: SigningAlg): string {
  const used = stored.filter((k) => k.alg === alg).map((k) => Number(k.id.split('#')[1]) || 0);
  return `${alg}#${Math.max(0, ...used) + 1}`;
}

/**
 * Makes sure every algorithm has a `current` and a `next` key, generating what is missing
 * (one ES256 and one RS256 key of each on first start), and returns everything stored.
 * When several nodes start at once, each generates candidates for the same slots;
 * `insertIfAbsent` keeps the first writer's, and every node serves what the store
 * returns, so they all end up with the same keys.
 */
export async function ensureSigningKeys(store: SigningKeyStore): Promise<{ keys: JWK[]; stored: StoredKey[]; generated: boolean }> {
  let stored = await store.list();
  let generated = false;
  for (const state of ['current', 'next'] as const) {
    const missing = SIGNING_ALGS.filter((alg) => !stored.some((k) => k.alg === alg && k.state === state));
    if (missing.length === 0) continue;
    const fresh = await Promise.all(missing.map(async (alg) => ({ ...await generateSigningKey(alg, nextSlot(stored, alg)), state })));
    stored = await store.insertIfAbsent(fresh);
    generated ||= fresh.some((f) => stored.some((s) => s.kid === f.kid));
  }
  return { keys: orderForProvider(stored).map(toProviderJwk), stored, generated };
}
