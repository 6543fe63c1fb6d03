import type { Redis } from 'ioredis';

/**
 * Lua scripts of the Redis backend. Each runs atomically on the server in one round trip.
 *
 * Entry hashes carry the names of their index keys (`uidKey`, `ucKey`, `grantKey`), so
 * destroy/revoke clean up without decoding the JSON payload. Because those key names are
 * read from data rather than passed in KEYS, the scripts assume one Redis node (or
 * Sentinel), not Redis Cluster.
 */

/**
 * Writes one entry and its index keys, replacing any previous version of it (DEL first:
 * a stale `consumed` above all must not survive). KEYS[1] entry, KEYS[2..] index keys;
 * ARGV[1] TTL (s), ARGV[2] payload JSON, ARGV[3] consumed ('' for none), ARGV[4] grantId
 * ('' for none), ARGV[3 + i] the hash field naming KEYS[i] ('uidKey', 'ucKey' or
 * 'grantKey'). A uid/userCode index is a string → entry key with the entry's TTL; the
 * grant set gets its first TTL with NX and is only ever lengthened with GT (Redis ≥ 7.0).
 * One command instead of a MULTI of six: on the token endpoint's hot path that is one
 * Command object on the client and one small script on the server.
 */
const UPSERT = `
local key, ttl = KEYS[1], ARGV[1]
redis.call('DEL', key)
local fields = {'payload', ARGV[2]}
if ARGV[3] ~= '' then
  fields[#fields + 1] = 'consumed'
  fields[#fields + 1] = ARGV[3]
end
for i = 2, #KEYS do
  local field = ARGV[3 + i]
  fields[#fields + 1] = field
  fields[#fields + 1] = KEYS[i]
  if field == 'grantKey' then
    redis.call('SADD', KEYS[i], key)
    redis.call('EXPIRE', KEYS[i], ttl, 'NX')
    redis.call('EXPIRE', KEYS[i], ttl, 'GT')
    fields[#fields + 1] = 'grantId'
    fields[#fields + 1] = ARGV[4]
  else
    redis.call('SET', KEYS[i], key, 'EX', ttl)
  end
end
redis.call('HSET', key, unpack(fields))
redis.call('EXPIRE', key, ttl)
return 1`;

/** KEYS[1] entry, ARGV[1] now (epoch s) → {1, ''} consumed now | {0, grantId|''} conflict. */
const CONSUME = `
local f = redis.call('HMGET', KEYS[1], 'payload', 'consumed', 'grantId')
if not f[1] then return {0, ''} end
if f[2] then return {0, f[3] or ''} end
redis.call('HSET', KEYS[1], 'consumed', ARGV[1])
return {1, ''}`;

/** KEYS[1] uid/userCode index key, ARGV[1] hash field naming it → {payload, consumed?} | nil. */
const FIND_BY_INDEX = `
local key = redis.call('GET', KEYS[1])
if not key then return nil end
local f = redis.call('HMGET', key, 'payload', 'consumed', ARGV[1])
if not f[1] or f[3] ~= KEYS[1] then return nil end
return {f[1], f[2]}`;

/** Deletes one entry and the index keys that still point at it. */
const DROP_ENTRY = `
local function drop(key, grantKey)
  local f = redis.call('HMGET', key, 'uidKey', 'ucKey', 'grantKey')
  if grantKey and f[3] ~= grantKey then return end
  redis.call('DEL', key)
  for i = 1, 2 do
    if f[i] and redis.call('GET', f[i]) == key then redis.call('DEL', f[i]) end
  end
  if f[3] and not grantKey then redis.call('SREM', f[3], key) end
end`;

/** KEYS[1] entry. */
const DESTROY = `${DROP_ENTRY}
drop(KEYS[1], nil)
return 1`;

/** KEYS[1] grant set; deletes members still bound to this grant, then the set. */
const REVOKE = `${DROP_ENTRY}
local members = redis.call('SMEMBERS', KEYS[1])
for _, key in ipairs(members) do drop(key, KEYS[1]) end
redis.call('DEL', KEYS[1])
return #members`;

/** An entry's index keys, each with the hash field that names it. */
export interface EntryIndexes {
  uidKey?: string | undefined;
  ucKey?: string | undefined;
  grantKey?: string | undefined;
}

export interface AdapterScripts {
  upsert(entryKey: string, ttlSeconds: number, payload: string, consumed: string, grantId: string, indexes: EntryIndexes): Promise<number>;
  consume(entryKey: string, nowSeconds: number): Promise<[number, string]>;
  findByIndex(indexKey: string, field: 'uidKey' | 'ucKey'): Promise<[string, string?] | null>;
  destroy(entryKey: string): Promise<number>;
  revoke(grantKey: string): Promise<number>;
}

/** The commands `defineCommand` adds to a client (ioredis sends EVALSHA, falling back to EVAL). */
interface ScriptedClient {
  gatehouseAdapterUpsert(numberOfKeys: number, ...keysAndArgs: Array<string | number>): Promise<number>;
  gatehouseAdapterConsume(key: string, now: number): Promise<[number, string]>;
  gatehouseAdapterFindByIndex(key: string, field: string): Promise<[string, string?] | null>;
  gatehouseAdapterDestroy(key: string): Promise<number>;
  gatehouseAdapterRevoke(key: string): Promise<number>;
}

/**
 * Registers the scripts on `redis`. Redefining on a shared client is harmless: the
 * names are Gatehouse-specific and the scripts are the same.
 */
export function defineAdapterScripts(redis: Redis): AdapterScripts {
  // Without numberOfKeys: the caller passes it (an entry has zero to three index keys).
  redis.defineCommand('gatehouseAdapterUpsert', { lua: UPSERT });
  redis.defineCommand('gatehouseAdapterConsume', { numberOfKeys: 1, lua: CONSUME });
  redis.defineCommand('gatehouseAdapterFindByIndex', { numberOfKeys: 1, lua: FIND_BY_INDEX });
  redis.defineCommand('gatehouseAdapterDestroy', { numberOfKeys: 1, lua: DESTROY });
  redis.defineCommand('gatehouseAdapterRevoke', { numberOfKeys: 1, lua: REVOKE });
  const client = redis as unknown as ScriptedClient;
  return {
    upsert(key, ttl, payload, consumed, grantId, indexes) {
      const keys = [key];
      const fields: string[] = [];
      for (const field of ['uidKey', 'ucKey', 'grantKey'] as const) {
        const indexKey = indexes[field];
        if (indexKey) {
          keys.push(indexKey);
          fields.push(field);
        }
      }
      return client.gatehouseAdapterUpsert(keys.length, ...keys, ttl, payload, consumed, grantId, ...fields);
    },
    consume: (key, now) => client.gatehouseAdapterConsume(key, now),
    findByIndex: (key, field) => client.gatehouseAdapterFindByIndex(key, field),
    destroy: (key) => client.gatehouseAdapterDestroy(key),
    revoke: (key) => client.gatehouseAdapterRevoke(key),
  };
}
