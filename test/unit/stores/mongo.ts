import { randomBytes } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';

/**
 * Runs `body` against a throw-away database on the MongoDB at MONGODB_URI. Without it the
 * suite is registered as skipped, with a name and a warning that say so plainly: these
 * tests never run against a fake.
 */
export function describeWithMongo(what: string, body: (db: () => Db) => void): void {
  const uri = process.env.MONGODB_URI;
  if (!uri) {
    console.warn(`${what} SKIPPED: set MONGODB_URI (e.g. mongodb://127.0.0.1:27017) to run it.`);
    describe.skip(`${what} — SKIPPED: set MONGODB_URI to run`, () => body(() => { throw new Error('no MongoDB'); }));
    return;
  }
  describe(what, () => {
    let client: MongoClient | undefined;
    const dbName = `gatehouse_test_${randomBytes(4).toString('hex')}`;
    beforeAll(async () => { client = await new MongoClient(uri).connect(); });
    afterAll(async () => {
      await client?.db(dbName).dropDatabase();
      await client?.close();
    });
    body(() => client!.db(dbName));
  });
}

/** A collection name no other test uses. */
export const uniqueCollection = (base: string) => `${base}_${randomBytes(4).toString('hex')}`;
