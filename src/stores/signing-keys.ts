import { createHash, generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import type { JWK } from 'oidc-provider';

const generateKeyPairAsync = promisify(generateKeyPair);

export type SigningAlg = 'ES256' | 'RS256';

/** Only 'current' exists today; rotation (admin API) will add 'next' and 'retired'. */
export type KeyState = 'current';

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
}

export interface SigningKeyStore {
  /** All keys, oldest first. */
  list(): Promise<StoredKey[]>;
  /** Stores each key whose `id` is not taken yet; returns everything now stored. */
  insertIfAbsent(keys: StoredKey[]): Promise<StoredKey[]>;
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
  return {
    async list() {
      return list();
    },
    async insertIfAbsent(candidates) {
      // Synchronous check-and-set: atomic with respect to other callers in this process.
      for (const key of candidates) if (!keys.has(key.id)) keys.set(key.id, { ...key, jwk: { ...key.jwk } });
      return list();
    },
    async ping() {},
    async prepare() {},
  };
}

// ---------------------------------------------------------------------------------------
// Generation and start-up.

/** ES256 first: it is the default ID token alg, and the provider picks keys in this order. */
export const SIGNING_ALGS: readonly SigningAlg[] = ['ES256', 'RS256'];

/** RFC 7638 §3.2: the required members only, in lexicographic order, no whitespace. */
export function jwkThumbprint(jwk: JWK): string {
  const members = jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
    : jwk.kty === 'RSA' ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
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
  const { privateKey } = alg === 'ES256'
    ? await generateKeyPairAsync('ec', { namedCurve: 'P-256' })
    : await generateKeyPairAsync('rsa', { modulusLength: 2048 }); // RFC 7518 §3.3: ≥ 2048 bits
  const raw = privateKey.export({ format: 'jwk' }) as JWK;
  const kid = jwkThumbprint(raw);
  return { id, kid, alg, state: 'current', jwk: { ...raw, kid, alg, use: 'sig' }, createdAt: new Date() };
}

const rank = (alg: string) => {
  const i = SIGNING_ALGS.indexOf(alg as SigningAlg);
  return i === -1 ? SIGNING_ALGS.length : i;
};

/**
 * Returns the private signing JWKs to give the provider, generating and storing one
 * ES256 and one RS256 key on first start. When several nodes start at once, each
 * generates candidates for the same slots; `insertIfAbsent` keeps the first writer's,
 * and every node serves what the store returns, so they all end up with the same keys.
 */
export async function ensureSigningKeys(store: SigningKeyStore): Promise<{ keys: JWK[]; generated: boolean }> {
  let stored = await store.list();
  const missing = SIGNING_ALGS.filter((alg) => !stored.some((k) => k.alg === alg && k.state === 'current'));
  let generated = false;
  if (missing.length > 0) {
    const fresh = await Promise.all(missing.map((alg) => {
      const n = stored.filter((k) => k.alg === alg).length + 1;
      return generateSigningKey(alg, `${alg}#${n}`);
    }));
    stored = await store.insertIfAbsent(fresh);
    generated = fresh.some((f) => stored.some((s) => s.kid === f.kid));
  }
  const keys = stored
    .filter((k) => k.state === 'current')
    .sort((a, b) => rank(a.alg) - rank(b.alg) || b.createdAt.getTime() - a.createdAt.getTime())
    .map((k) => ({ ...k.jwk, kid: k.kid, alg: k.alg, use: 'sig' }));
  return { keys, generated };
}
