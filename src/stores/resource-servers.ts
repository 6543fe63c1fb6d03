import type { Db } from 'mongodb';

/**
 * An API that accepts Gatehouse access tokens, named by its resource indicator
 * (RFC 8707). Its token format decides what clients get for it: opaque tokens (checked
 * by introspection, instantly revocable) or RFC 9068 JWTs (verified offline with the JWKS).
 */
export interface ResourceServer {
  /** Absolute URI without fragment: the `resource` parameter and the token's `aud`. */
  identifier: string;
  /** Space-separated scopes this API understands. */
  scope: string;
  accessTokenFormat: 'opaque' | 'jwt';
  /** Seconds; the server-wide ACCESS_TOKEN_TTL when unset. */
  accessTokenTtl?: number;
  /** JWT signing algorithm (ES256 unless RS256 is asked for). */
  jwtAlg?: 'ES256' | 'RS256' | 'EdDSA';
}

export interface ResourceServerStore {
  upsert(server: ResourceServer): Promise<void>;
  find(identifier: string): Promise<ResourceServer | undefined>;
  list(): Promise<ResourceServer[]>;
  /** True when something was removed. */
  remove(identifier: string): Promise<boolean>;
  ping(): Promise<void>;
  prepare(): Promise<void>;
}

export function createMemoryResourceServerStore(): ResourceServerStore {
  const servers = new Map<string, ResourceServer>();
  return {
    async upsert(server) { servers.set(server.identifier, { ...server }); },
    async find(identifier) {
      const found = servers.get(identifier);
      return found ? { ...found } : undefined;
    },
    async list() { return [...servers.values()].map((s) => ({ ...s })); },
    async remove(identifier) { return servers.delete(identifier); },
    async ping() {},
    async prepare() {},
  };
}

type ResourceServerDocument = Omit<ResourceServer, 'identifier'> & { _id: string };

/** One document per resource server in `resource_servers`, keyed by its identifier. */
export function createMongoResourceServerStore(db: Db, collectionName = 'resource_servers'): ResourceServerStore {
  const collection = db.collection<ResourceServerDocument>(collectionName);
  const fromDoc = ({ _id, ...rest }: ResourceServerDocument): ResourceServer => ({ identifier: _id, ...rest });
  return {
    async upsert({ identifier, ...rest }) {
      await collection.replaceOne({ _id: identifier }, rest, { upsert: true, ignoreUndefined: true });
    },
    async find(identifier) {
      const doc = await collection.findOne({ _id: identifier });
      return doc ? fromDoc(doc) : undefined;
    },
    async list() { return (await collection.find().sort({ _id: 1 }).toArray()).map(fromDoc); },
    async remove(identifier) { return (await collection.deleteOne({ _id: identifier })).deletedCount === 1; },
    async ping() { await db.command({ ping: 1 }); },
    async prepare() {},
  };
}
