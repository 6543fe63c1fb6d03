import type { Collection, Db, Filter } from 'mongodb';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { AdapterBackend } from '../types.ts';
import { ConsumeConflictError } from '../types.ts';
import { GRANTABLE_MODELS, epochSeconds, grantIdOf, lookupValue } from './models.ts';

export interface MongoBackendOptions {
  /** Models whose collections prepare() indexes, besides any already asked for. */
  models?: readonly string[];
  /** Collection name prefix (default `oidc_`). */
  collectionPrefix?: string;
  /** Clock in epoch ms: expiry checks and `consumed`; tests inject one. */
  now?: () => number;
}

interface OidcDocument {
  _id: string;
  payload: AdapterPayload;
  expiresAt?: Date;
  grantId?: string;
  uid?: string;
  userCode?: string;
}

/** The models DESIGN.md routes to MongoDB; prepare() indexes these by default. */
const DURABLE_MODELS = ['Client', 'Grant', 'RefreshToken', 'RegistrationAccessToken'];

/** "RegistrationAccessToken" → "registration_access_token". */
export function snakeCase(model: string): string {
  return model.replace(/(?<=[a-z0-9])([A-Z])/g, '_$1').toLowerCase();
}

/**
 * One collection per model, `oidc_<snake_case(model)>` (oidc_client, oidc_grant,
 * oidc_refresh_token, oidc_registration_access_token, ...). The caller owns the Db / its
 * MongoClient: close() does nothing. Indexes are made by prepare(), once at start-up.
 */
export function createMongoBackend(db: Db, opts: MongoBackendOptions = {}): AdapterBackend {
  const now = opts.now ?? Date.now;
  const collectionPrefix = opts.collectionPrefix ?? 'oidc_';
  const known = new Set([...(opts.models ?? DURABLE_MODELS)]);
  const collection = (model: string): Collection<OidcDocument> =>
    db.collection<OidcDocument>(`${collectionPrefix}${snakeCase(model)}`);

  /** The TTL monitor runs only every 60 s, so reads filter out what it has not purged yet. */
  const unexpired = (): Filter<OidcDocument> => ({
    $or: [{ expiresAt: { $exists: false } }, { expiresAt: { $gt: new Date(now()) } }],
  });

  function adapterFor(model: string): Adapter {
    known.add(model);
    const coll = collection(model);
    const findOne = async (filter: Filter<OidcDocument>) =>
      (await coll.findOne({ ...filter, ...unexpired() }, { projection: { payload: 1 } }))?.payload ?? undefined;

    return {
      async upsert(id, payload, expiresIn) {
        const doc: OidcDocument = { _id: id, payload };
        if (typeof expiresIn === 'number') doc.expiresAt = new Date(now() + expiresIn * 1000);
        const grantId = grantIdOf(model, payload);
        const uid = lookupValue(payload.uid);
        const userCode = lookupValue(payload.userCode);
        if (grantId) doc.grantId = grantId;
        if (uid) doc.uid = uid;
        if (userCode) doc.userCode = userCode;
        // ignoreUndefined: BSON would otherwise store undefined payload members as null.
        await coll.replaceOne({ _id: id }, doc, { upsert: true, ignoreUndefined: true });
      },
      find: (id) => findOne({ _id: id }),
      findByUid: (uid) => findOne({ uid }),
      findByUserCode: (userCode) => findOne({ userCode }),
      // Atomic check-and-set on the server: of N parallel calls one matches the filter.
      async consume(id) {
        const updated = await coll.findOneAndUpdate(
          { _id: id, 'payload.consumed': { $exists: false }, ...unexpired() },
          { $set: { 'payload.consumed': epochSeconds(now()) } },
          { projection: { _id: 1 } },
        );
        if (updated === null) {
          const existing = await coll.findOne({ _id: id }, { projection: { grantId: 1 } });
          throw new ConsumeConflictError(model, existing?.grantId);
        }
      },
      async destroy(id) {
        await coll.deleteOne({ _id: id });
      },
      // Every grantable model kept here, matching the Redis and memory backends.
      async revokeByGrantId(grantId) {
        await Promise.all([...GRANTABLE_MODELS].map((m) => collection(m).deleteMany({ grantId })));
      },
    };
  }

  return {
    name: 'mongo',
    adapterFor,
    async ping() {
      await db.command({ ping: 1 });
    },
    async prepare() {
      await Promise.all([...known].map((model) => collection(model).createIndexes([
        { key: { expiresAt: 1 }, name: 'expiresAt_ttl', expireAfterSeconds: 0 },
        { key: { grantId: 1 }, name: 'grantId', partialFilterExpression: { grantId: { $exists: true } } },
        { key: { uid: 1 }, name: 'uid', partialFilterExpression: { uid: { $exists: true } } },
        { key: { userCode: 1 }, name: 'userCode', partialFilterExpression: { userCode: { $exists: true } } },
      ])));
    },
    async close() {},
  };
}
