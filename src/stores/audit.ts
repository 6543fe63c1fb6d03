import { randomBytes } from 'node:crypto';

import type { AuditEventInput } from '../audit/events.ts';
import { pageInMemory, type Page, type PageQuery } from './paging.ts';

/** An audit event as stored: the input, an id and the time it was recorded. */
export interface AuditEvent extends AuditEventInput {
  id: string;
  time: Date;
}

export interface AuditQuery extends PageQuery {
  type?: string | undefined;
  actor?: string | undefined;
  subject?: string | undefined;
  clientId?: string | undefined;
  /** Tenant isolation: the admin route sets it for every organization caller. */
  orgId?: string | undefined;
  /** Inclusive. */
  since?: Date | undefined;
  /** Exclusive. */
  until?: Date | undefined;
}

export interface AuditStore {
  /** Appends events (already free of secrets); ids are unique. */
  append(events: readonly AuditEvent[]): Promise<void>;
  /** Newest first, keyset-paged (paging.ts); events past the retention are never returned. */
  list(query: AuditQuery): Promise<Page<AuditEvent>>;
  ping(): Promise<void>;
  /** One-time set-up (indexes, the retention TTL); call at start-up or from a migration command. */
  prepare(): Promise<void>;
}

export interface AuditRetention {
  /** Events older than this are deleted. */
  retentionDays: number;
  now?: () => Date;
}

/** Random bytes are drawn this many at a time: one call into OpenSSL per 256 ids, not one per id. */
const ID_POOL_BYTES = 4096;
let idPool = Buffer.alloc(0);
let idOffset = 0;

/** 128 random bits, base64url, like the other store ids (one per token issued: kept cheap). */
export function newAuditEventId(): string {
  if (idOffset + 16 > idPool.length) {
    idPool = randomBytes(ID_POOL_BYTES);
    idOffset = 0;
  }
  const id = idPool.toString('base64url', idOffset, idOffset + 16);
  idOffset += 16;
  return id;
}

const DAY_MS = 86_400_000;

export const matches = (e: AuditEvent, q: AuditQuery): boolean =>
  (q.type === undefined || e.type === q.type)
  && (q.actor === undefined || e.actor === q.actor)
  && (q.subject === undefined || e.subject === q.subject)
  && (q.clientId === undefined || e.clientId === q.clientId)
  && (q.orgId === undefined || e.orgId === q.orgId)
  && (q.since === undefined || e.time >= q.since)
  && (q.until === undefined || e.time < q.until);

/**
 * An event as the memory store holds it: what list() filters and orders on, and the rest as
 * JSON text. One small object and one string per event instead of an object graph with a
 * Date and a details tree: less than half the memory, and nearly nothing for the garbage
 * collector to trace, for a store that holds up to 1.1 × AUDIT_MEMORY_MAX_EVENTS events (a busy server
 * issuing tokens fills it within seconds). Callers get fresh objects either way.
 */
interface Kept {
  at: number;
  id: string;
  type: string;
  actor: string | undefined;
  subject: string | undefined;
  clientId: string | undefined;
  orgId: string | undefined;
  json: string;
}

// The time is kept as `at` only: JSON.stringify would turn the Date into an ISO string
// (about 1 % of a token request's instructions) for restore() to throw away.
const keep = ({ time, ...rest }: AuditEvent): Kept => ({
  at: time.getTime(), id: rest.id, type: rest.type, actor: rest.actor, subject: rest.subject, clientId: rest.clientId, orgId: rest.orgId,
  json: JSON.stringify(rest),
});

function restore(k: Kept): AuditEvent {
  const e = JSON.parse(k.json) as AuditEvent;
  e.time = new Date(k.at);
  return e;
}

const keptMatches = (k: Kept, q: AuditQuery): boolean =>
  (q.type === undefined || k.type === q.type)
  && (q.actor === undefined || k.actor === q.actor)
  && (q.subject === undefined || k.subject === q.subject)
  && (q.clientId === undefined || k.clientId === q.clientId)
  && (q.orgId === undefined || k.orgId === q.orgId)
  && (q.since === undefined || k.at >= q.since.getTime())
  && (q.until === undefined || k.at < q.until.getTime());

/**
 * Per-process audit log for the embedded default: nothing survives a restart, and about
 * `maxEvents` are kept (the oldest go first). Events past the retention are never listed,
 * and are deleted on a write at most once a minute or when the cap is passed by a tenth
 * (in chunks, so a busy server does not copy the whole log on every write); no timer is needed.
 */
export function createMemoryAuditStore(options: AuditRetention & { maxEvents?: number }): AuditStore {
  const { now = () => new Date(), maxEvents = 10_000 } = options;
  const retentionMs = options.retentionDays * DAY_MS;
  const slack = Math.ceil(maxEvents / 10);
  // Oldest first: events arrive in recording order, so pruning drops from the front.
  let events: Kept[] = [];
  let prunedAt = Number.NEGATIVE_INFINITY;
  const cutoff = () => now().getTime() - retentionMs;

  function insert(e: Kept) {
    const last = events.at(-1);
    if (!last || last.at <= e.at) {
      events.push(e);
      return;
    }
    // A late event (recorded before the last one stored): keep time order.
    let lo = 0;
    let hi = events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (events[mid]!.at <= e.at) lo = mid + 1;
      else hi = mid;
    }
    events.splice(lo, 0, e);
  }

  function prune() {
    const at = now().getTime();
    if (events.length <= maxEvents + slack && at - prunedAt < 60_000) return;
    prunedAt = at;
    const oldest = cutoff();
    let drop = 0;
    while (drop < events.length && events[drop]!.at < oldest) drop += 1;
    drop = Math.max(drop, events.length - maxEvents);
    if (drop > 0) events = events.slice(drop);
  }

  return {
    async append(batch) {
      for (const e of batch) insert(keep(e));
      prune();
    },
    async list(q) {
      const oldest = cutoff();
      const visible = events.filter((k) => k.at >= oldest && keptMatches(k, q));
      const page = pageInMemory(visible, (k) => ({ createdAt: new Date(k.at), id: k.id }), q, (k) => k);
      return { ...page, items: page.items.map(restore) };
    },
    async ping() {},
    async prepare() {},
  };
}
