import type { Adapter, AdapterPayload } from 'oidc-provider';

import { InvalidCursorError } from './api-keys.ts';

/** RFC 7591 client metadata as node-oidc-provider's Client model stores it. */
export type StoredClient = { client_id: string } & Record<string, unknown>;

export interface ClientListQuery {
  /** Only this organization's clients; undefined: every client. */
  orgId?: string;
  /** Service accounts (`service_account: true`) or every other client. */
  serviceAccounts: boolean;
  limit: number;
  cursor?: string;
}

export interface ClientPage {
  items: StoredClient[];
  nextCursor?: string;
}

/**
 * The clients node-oidc-provider reads, plus what its Adapter interface lacks: listing.
 * Reads and writes go through the same `Client` adapter the provider uses, so a change
 * is seen by the very next token request (Client.find reads the adapter every time and
 * caches only by content). Everything that stores clients — the admin API and the seed
 * import — must go through here, or the memory backend's listing misses them.
 * Lists are ordered by client_id; the cursor is the last id of the previous page.
 */
export interface ClientDirectory {
  find(clientId: string): Promise<StoredClient | undefined>;
  /** Stores a new client; false when the client_id is taken. */
  create(client: StoredClient): Promise<boolean>;
  /** Creates or replaces. */
  save(client: StoredClient): Promise<void>;
  /** True if there was such a client. */
  remove(clientId: string): Promise<boolean>;
  /** Throws InvalidCursorError for a cursor it did not make. */
  list(query: ClientListQuery): Promise<ClientPage>;
  /** Creates indexes; once at start-up, never per request. */
  prepare(): Promise<void>;
}

const CURSOR_PREFIX = 'client:';
export const encodeClientCursor = (clientId: string) => Buffer.from(CURSOR_PREFIX + clientId, 'utf8').toString('base64url');
export function decodeClientCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(CURSOR_PREFIX) || text.length === CURSOR_PREFIX.length) throw new InvalidCursorError();
  return text.slice(CURSOR_PREFIX.length);
}

export const orgOf = (client: StoredClient) => (typeof client.org_id === 'string' ? client.org_id : undefined);
export const isServiceAccount = (client: StoredClient) => client.service_account === true;

/** The memory backend cannot enumerate its entries, so this keeps an index beside it. */
export function createMemoryClientDirectory(adapter: Adapter): ClientDirectory {
  const index = new Map<string, { orgId: string | undefined; serviceAccount: boolean }>();
  const remember = (c: StoredClient) => index.set(c.client_id, { orgId: orgOf(c), serviceAccount: isServiceAccount(c) });
  const find = async (id: string) => (await adapter.find(id)) as StoredClient | undefined;

  return {
    find,
    async create(client) {
      // Reserve the id before the first await, so a parallel create of the same id loses.
      if (index.has(client.client_id)) return false;
      remember(client);
      const existing = await find(client.client_id).catch((err: unknown) => { index.delete(client.client_id); throw err; });
      if (existing) {
        remember(existing); // stored behind the directory's back: index it now
        return false;
      }
      await adapter.upsert(client.client_id, client as AdapterPayload).catch((err: unknown) => {
        index.delete(client.client_id);
        throw err;
      });
      return true;
    },
    async save(client) {
      await adapter.upsert(client.client_id, client as AdapterPayload);
      remember(client);
    },
    async remove(id) {
      const existed = (await find(id)) !== undefined;
      await adapter.destroy(id);
      index.delete(id);
      return existed;
    },
    async list(q) {
      const after = q.cursor === undefined ? undefined : decodeClientCursor(q.cursor);
      const ids = [...index].filter(([id, e]) => e.serviceAccount === q.serviceAccounts
        && (q.orgId === undefined || e.orgId === q.orgId) && (after === undefined || id > after))
        .map(([id]) => id).sort();
      const page = ids.slice(0, q.limit);
      const items = (await Promise.all(page.map(find))).filter((c): c is StoredClient => c !== undefined);
      return ids.length > q.limit ? { items, nextCursor: encodeClientCursor(page.at(-1)!) } : { items };
    },
    async prepare() {},
  };
}
