import { MongoBulkWriteError, type Db } from 'mongodb';
import type { JWK } from 'oidc-provider';

import { isSealed, type KeyCipher, type SealedJwk } from '../security/key-encryption.ts';
import type { KeyState, SigningAlg, SigningKeyStore, StoredKey } from './signing-keys.ts';

/**
 * `_id` is the key's slot ("ES256#1"), so MongoDB's always-present unique `_id` index is
 * what makes first-start races safe: no extra index is needed for correctness.
 * With a cipher (KEY_ENCRYPTION_KEYS), the private JWK is stored sealed with AES-256-GCM
 * (security/key-encryption.ts) and only the public members stay readable; without one it
 * is stored as is, which the server warns about at start.
 */
interface KeyDoc {
  _id: string;
  kid: string;
  alg: SigningAlg;
  state: KeyState;
  jwk: JWK | { public: JWK; sealed: SealedJwk };
  createdAt: Date;
  activatedAt?: Date;
  retiredAt?: Date;
}

const DUPLICATE_KEY = 11000;

export function createMongoSigningKeyStore(db: Db, options: { collection?: string; cipher?: KeyCipher | undefined } = {}): SigningKeyStore {
  const keys = db.collection<KeyDoc>(options.collection ?? 'signing_keys');
  const { cipher } = options;

  const toDoc = (k: StoredKey): KeyDoc => ({
    _id: k.id, kid: k.kid, alg: k.alg, state: k.state, createdAt: k.createdAt,
    ...(k.activatedAt && { activatedAt: k.activatedAt }), ...(k.retiredAt && { retiredAt: k.retiredAt }),
    jwk: cipher ? { public: publicPart(k.jwk), sealed: cipher.seal(k.jwk, k.kid) } : k.jwk,
  });

  const toStored = (d: KeyDoc): StoredKey => {
    const stored = 'sealed' in d.jwk && isSealed(d.jwk.sealed) ? open(d.jwk.sealed, d.kid) : d.jwk as JWK;
    return { id: d._id, kid: d.kid, alg: d.alg, state: d.state, jwk: stored, createdAt: d.createdAt,
      ...(d.activatedAt && { activatedAt: d.activatedAt }), ...(d.retiredAt && { retiredAt: d.retiredAt }) };
  };

  function open(sealed: SealedJwk, kid: string): JWK {
    if (!cipher) throw new TypeError(`signing key ${kid} is encrypted at rest: set KEY_ENCRYPTION_KEYS to open it`);
    return cipher.open(sealed, kid) as JWK;
  }

  const list = async () => (await keys.find({}).sort({ createdAt: 1, _id: 1 }).toArray()).map(toStored);

  return {
    list,

    async insertIfAbsent(candidates) {
      if (candidates.length > 0) {
        try {
          // Unordered: a slot another node filled first must not stop the other inserts.
          await keys.insertMany(candidates.map(toDoc), { ordered: false });
        } catch (err) {
          const writeErrors = err instanceof MongoBulkWriteError ? [err.writeErrors].flat() : [];
          const lostRaces = writeErrors.length > 0 && writeErrors.every((e) => e.code === DUPLICATE_KEY);
          if (!lostRaces) throw err;
        }
      }
      // Read back: after losing a race this is the winner's key, which is the point.
      return list();
    },

    async transition(kid, from, to, at) {
      const result = await keys.updateOne({ kid, state: from }, { $set: { state: to, ...(to === 'current' && { activatedAt: at }), ...(to === 'retired' && { retiredAt: at }) } });
      return result.modifiedCount === 1;
    },

    async removeRetired(kid) {
      return (await keys.deleteOne({ kid, state: 'retired' })).deletedCount === 1;
    },

    async ping() {
      await db.command({ ping: 1 });
    },

    // Nothing to create: `_id` carries the uniqueness that matters.
    async prepare() {},
  };
}

const PRIVATE = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);
const publicPart = (jwk: JWK): JWK => Object.fromEntries(Object.entries(jwk).filter(([name]) => !PRIVATE.has(name))) as JWK;
