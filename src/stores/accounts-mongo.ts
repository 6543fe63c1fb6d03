import { MongoServerError, type Db, type Filter, type WithId } from 'mongodb';
import { DuplicateEmailError, newAccountId, normaliseEmail, type Account, type AccountStore } from './accounts.ts';
import { mongoKeyset, mongoPage } from './paging.ts';

interface AccountDoc {
  _id: string;
  email: string;
  name: string;
  passwordHash: string;
  createdAt: Date;
  lastLoginAt?: Date;
  disabledAt?: Date;
  platformAdmin?: boolean;
}

/** E11000: a write would break a unique index (here: two accounts with one email). */
export const isDuplicateKey = (err: unknown): boolean => err instanceof MongoServerError && err.code === 11000;

function toAccount(doc: WithId<AccountDoc>): Account {
  const account: Account = { id: doc._id, email: doc.email, name: doc.name, passwordHash: doc.passwordHash, createdAt: doc.createdAt };
  if (doc.lastLoginAt) account.lastLoginAt = doc.lastLoginAt;
  if (doc.disabledAt) account.disabledAt = doc.disabledAt;
  if (doc.platformAdmin === true) account.platformAdmin = true;
  return account;
}

/**
 * Accounts in MongoDB. Email uniqueness is enforced by the unique index that `prepare()`
 * creates (once, at start-up or by a migration — never per request), so two concurrent
 * sign-ups with one email cannot both succeed.
 */
export function createMongoAccountStore(db: Db, options: { collection?: string } = {}): AccountStore {
  const accounts = db.collection<AccountDoc>(options.collection ?? 'accounts');

  async function upsertOnce(input: { email: string; name: string; passwordHash: string }) {
    const email = normaliseEmail(input.email);
    const id = newAccountId();
    const doc = await accounts.findOneAndUpdate(
      { email },
      // The inserted document takes `email` from the equality filter.
      { $set: { name: input.name, passwordHash: input.passwordHash }, $setOnInsert: { _id: id, createdAt: new Date() } },
      { upsert: true, returnDocument: 'after' },
    );
    if (!doc) throw new Error('upsert returned no document'); // cannot happen with upsert + 'after'
    return { account: toAccount(doc), created: doc._id === id };
  }

  return {
    async create(input) {
      const doc: AccountDoc = {
        _id: newAccountId(),
        email: normaliseEmail(input.email),
        name: input.name,
        passwordHash: input.passwordHash,
        createdAt: new Date(),
      };
      try {
        await accounts.insertOne(doc);
      } catch (err) {
        if (isDuplicateKey(err)) throw new DuplicateEmailError(doc.email);
        throw err;
      }
      return toAccount(doc);
    },

    async upsertByEmail(input) {
      try {
        return await upsertOnce(input);
      } catch (err) {
        // Two concurrent upserts of a new email: both miss the filter, one insert loses
        // on the unique index. Retrying now matches the winner's document.
        if (!isDuplicateKey(err)) throw err;
        return upsertOnce(input);
      }
    },

    async findById(id) {
      const doc = await accounts.findOne({ _id: id });
      return doc ? toAccount(doc) : undefined;
    },

    async findByEmail(email) {
      const doc = await accounts.findOne({ email: normaliseEmail(email) });
      return doc ? toAccount(doc) : undefined;
    },

    async findMany(ids) {
      return (await accounts.find({ _id: { $in: [...ids] } }).toArray()).map(toAccount);
    },

    async list(q) {
      const { after, sort } = mongoKeyset(q, '_id');
      const and: Filter<AccountDoc>[] = [];
      if (q.email !== undefined) and.push({ email: normaliseEmail(q.email) });
      if (after) and.push(after);
      // One extra document tells whether another page follows.
      const docs = await accounts.find(and.length ? { $and: and } : {}).sort(sort).limit(q.limit + 1).toArray();
      return mongoPage(docs.map(toAccount), q, (a) => a);
    },

    async recordLogin(id, at) {
      await accounts.updateOne({ _id: id }, { $set: { lastLoginAt: at } });
    },

    async update(id, changes) {
      const $set: Partial<AccountDoc> = {};
      if (changes.name !== undefined) $set.name = changes.name;
      if (changes.passwordHash !== undefined) $set.passwordHash = changes.passwordHash;
      if (changes.platformAdmin !== undefined) $set.platformAdmin = changes.platformAdmin;
      // An empty $set is an error in MongoDB: nothing to change is a plain read.
      const doc = Object.keys($set).length === 0
        ? await accounts.findOne({ _id: id })
        : await accounts.findOneAndUpdate({ _id: id }, { $set }, { returnDocument: 'after' });
      return doc ? toAccount(doc) : undefined;
    },

    async setDisabled(id, at) {
      // $min keeps the first disabling date when an account is disabled twice.
      const doc = await accounts.findOneAndUpdate(
        { _id: id }, at === undefined ? { $unset: { disabledAt: '' } } : { $min: { disabledAt: at } }, { returnDocument: 'after' },
      );
      return doc ? toAccount(doc) : undefined;
    },

    async delete(id) {
      return (await accounts.deleteOne({ _id: id })).deletedCount === 1;
    },

    count: () => accounts.countDocuments(),

    async ping() {
      await db.command({ ping: 1 });
    },

    async prepare() {
      await accounts.createIndexes([
        { key: { email: 1 }, unique: true, name: 'email_unique' },
        { key: { createdAt: -1, _id: -1 }, name: 'created' },
      ]);
    },
  };
}
