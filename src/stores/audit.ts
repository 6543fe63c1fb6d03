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

/** 128 random bits, base64url, like the other store ids. */
export const newAuditEventId = () => randomBytes(16).toString('base64url');

const DAY_MS = 86_400_000;

export const matches = (e: AuditEvent, q: AuditQuery): boolean =>
  (q.type === undefined || e.type === q.type)
  && (q.actor === undefined || e.actor === q.actor)
  && (q.subject === undefined || e.subject === q.subject)
  && (q.clientId === undefined || e.clientId === q.clientId)
  && (q.orgId === undefined || e.orgId === q.orgId)
  && (q.since === undefined || e.time >= q.since)
  && (q.until === undefined || e.time < q.until);

const copy = (e: AuditEvent): AuditEvent => ({ ...e, time: new Date(e.time), ...(e.details && { details: structuredClone(e.details) }) });

/**
 * Per-process audit log for the embedded default: nothing survives a restart, and about
 * `maxEvents` are kept (the oldest go first). Events past the retention are never listed,
 * and are deleted on a write at most once a minute or when the cap is passed by a tenth
 * (in chunks, so a busy server does not copy the whole log on every write); no timer is needed.
 */
export function createMemoryAuditStore(options: AuditRetention & { maxEvents?: number }): AuditStore {
  const { now = () => new Date(), maxEvents = 100_000 } = options;
  const retentionMs = options.retentionDays * DAY_MS;
  const slack = Math.ceil(maxEvents / 10);
  // Oldest first: events arrive in recording order, so pruning drops from the front.
  let events: AuditEvent[] = [];
  let prunedAt = Number.NEGATIVE_INFINITY;
  const cutoff = () => new Date(now().getTime() - retentionMs);

  function insert(e: AuditEvent) {
    const last = events.at(-1);
    if (!last || last.time <= e.time) {
      events.push(e);
      return;
    }
    // A late event (recorded before the last one stored): keep time order.
    let lo = 0;
    let hi = events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (events[mid]!.time <= e.time) lo = mid + 1;
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
    while (drop < events.length && events[drop]!.time < oldest) drop += 1;
    drop = Math.max(drop, events.length - maxEvents);
    if (drop > 0) events = events.slice(drop);
  }

  return {
    async append(batch) {
      for (const e of batch) insert(copy(e));
      prune();
    },
    async list(q) {
      const oldest = cutoff();
      const visible = events.filter((e) => e.time >= oldest && matches(e, q));
      return pageInMemory(visible, (e) => ({ createdAt: e.time, id: e.id }), q, copy);
    },
    async ping() {},
    async prepare() {},
  };
}
