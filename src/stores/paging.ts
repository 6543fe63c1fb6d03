import type { Document } from 'mongodb';

import { checkLimit, decodeCursor, encodeCursor } from './api-keys.ts';

export { InvalidCursorError, MAX_LIST_LIMIT } from './api-keys.ts';

/**
 * Keyset paging shared by the tenancy stores (accounts, organizations, memberships),
 * with the same opaque cursor as the API-key store: newest first by (createdAt, id), and
 * the cursor names the last item seen, so pages stay stable while items are added.
 */
export interface Page<T> {
  items: T[];
  /** Present when more items follow. */
  nextCursor?: string;
}

export interface PageQuery {
  /** 1 ..= MAX_LIST_LIMIT */
  limit: number;
  cursor?: string;
}

export interface SortKey {
  createdAt: Date;
  id: string;
}

const newestFirst = (a: SortKey, b: SortKey) =>
  b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

const isAfter = (r: SortKey, c: SortKey) =>
  r.createdAt.getTime() < c.createdAt.getTime() || (r.createdAt.getTime() === c.createdAt.getTime() && r.id < c.id);

/** One page of an in-memory collection; `keyOf` gives each item's sort key, `copy` what callers get. */
export function pageInMemory<T>(items: Iterable<T>, keyOf: (item: T) => SortKey, q: PageQuery, copy: (item: T) => T): Page<T> {
  checkLimit(q.limit);
  const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
  const matches = [...items].filter((i) => after === undefined || isAfter(keyOf(i), after))
    .sort((a, b) => newestFirst(keyOf(a), keyOf(b)));
  const page = matches.slice(0, q.limit);
  const last = page.at(-1);
  return matches.length > q.limit && last ? { items: page.map(copy), nextCursor: encodeCursor(keyOf(last)) } : { items: page.map(copy) };
}

/** MongoDB: the filter for "after the cursor" and the matching sort, with the id in `idField`. */
export function mongoKeyset(q: PageQuery, idField: string): { after: Document | undefined; sort: Record<string, -1> } {
  checkLimit(q.limit);
  const sort = { createdAt: -1, [idField]: -1 } as Record<string, -1>;
  if (q.cursor === undefined) return { after: undefined, sort };
  const c = decodeCursor(q.cursor);
  return { after: { $or: [{ createdAt: { $lt: c.createdAt } }, { createdAt: c.createdAt, [idField]: { $lt: c.id } }] }, sort };
}

/** Cuts a MongoDB result fetched with `limit + 1` into a page. */
export function mongoPage<T>(docs: T[], q: PageQuery, keyOf: (item: T) => SortKey): Page<T> {
  const items = docs.slice(0, q.limit);
  const last = items.at(-1);
  return docs.length > q.limit && last ? { items, nextCursor: encodeCursor(keyOf(last)) } : { items };
}
