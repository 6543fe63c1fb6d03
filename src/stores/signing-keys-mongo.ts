import { MongoBulkWriteError, type Db } from 'mongodb';
import type { JWK } from 'oidc-provider';
import type { KeyState, SigningAlg, SigningKeyStore, StoredKey } from './signing-keys.ts';

/**
 * `_id` is the key's slot ("ES256#1"), so MongoDB's always-present unique `_id` index is
 * what makes first-start races safe: no extra index is needed for correctness.
 * The private JWK is stored as is; protect the collection (and its backups) like a
 * private key, or add encryption at rest (CSFLE / queryable encryption).
 */
interface KeyDoc {
  _id: string;
  kid: string;
  alg: SigningAlg;
  state: KeyState;
  jwk: JWK;
  createdAt: Date;
}

const DUPLICATE_KEY = 11000;

const toStored = (d: KeyDoc): StoredKey => ({ id: d._id, kid: d.kid, alg: d.alg, state: d.state, jwk: d.jwk, createdAt: d.createdAt });

export function createMongoSigningKeyStore(db: Db, options: { collection?: string } = {}): SigningKeyStore {
  const keys = db.collection<KeyDoc>(options.collection ?? 'signing_keys');

  const list = async () => (await keys.find({}).sort({ createdAt: 1, _id: 1 }).toArray()).map(toStored);

  return {
    list,

    async insertIfAbsent(candidates) {
      if (candidates.length > 0) {
        const docs = candidates.map((k): KeyDoc => ({ _id: k.id, kid: k.kid, alg: k.alg, state: k.state, jwk: k.jwk, createdAt: k.createdAt }));
        try {
          // Unordered: a slot another node filled first must not stop the other inserts.
          await keys.insertMany(docs, { ordered: false });
        } catch (err) {
          const writeErrors = err instanceof MongoBulkWriteError ? [err.writeErrors].flat() : [];
          const lostRaces = writeErrors.length > 0 && writeErrors.every((e) => e.code === DUPLICATE_KEY);
          if (!lostRaces) throw err;
        }
      }
      // Read back: after losing a race this is the winner's key, which is the point.
      return list();
    },

    async ping() {
      await db.command({ ping: 1 });
    },

    // Nothing to create: `_id` carries the uniqueness that matters.
    async prepare() {},
  };
}
