import type { Redis } from 'ioredis';

import { RevocationTable } from './revocation-list.ts';

export interface RevocationMirrorOptions {
  /** The shared connection: the whole list is read through it on every (re)connect. */
  redis: Redis;
  /** The list's key prefix; the mirror's keys are the list's keys without it. */
  prefix: string;
  /** Where every write to the list is announced (revocation-list-redis.ts). */
  channel: string;
  /** How often the subscription is checked with a PING (default 250 ms). */
  heartbeatMs?: number;
  /** How far behind the mirror may be before it is not trusted (default 1000 ms). */
  maxLagMs?: number;
  /** The subscribed connection's name in Redis's CLIENT LIST. */
  connectionName?: string;
  now?: () => number;
}

export interface RevocationMirror {
  /** The table, when it holds every entry written until at most `maxLagMs` ago; else undefined. */
  current(): RevocationTable | undefined;
  /** An entry this process wrote: applied at once, without waiting for its own announcement. */
  apply(key: string, value: number, ttlMs: number): void;
  /** Resolves once the mirror is current (start-up, tests). */
  synced(): Promise<void>;
  close(): void;
}

/** An announcement: `[key, value, ttlMs]`, as the list's write scripts publish it. */
function parse(message: string): [string, number, number] | undefined {
  try {
    const [key, value, ttlMs] = JSON.parse(message) as unknown[];
    return typeof key === 'string' && typeof value === 'number' && typeof ttlMs === 'number' ? [key, value, ttlMs] : undefined;
  } catch {
    return undefined;
  }
}

const glob = (s: string) => s.replace(/[*?[\]\\]/g, '\\$&');

/**
 * Each process's copy of the revocation list, so that introspection answers without a
 * Redis read. Every write to the list is announced on a channel (in the same script, so
 * no write goes unannounced); the mirror subscribes on a connection of its own and, once
 * subscribed, reads the whole list (SCAN), so that it misses neither what was written
 * before nor what is written during the read.
 *
 * It is trusted only while it provably is current. A lost connection may have lost
 * announcements, so the mirror starts over on every reconnect. A live connection
 * delivers in order, so a PING answered means every announcement made before it arrived:
 * the mirror pings every `heartbeatMs` and counts as current while the last answered ping
 * was sent at most `maxLagMs` ago. When it is not current, callers read Redis itself
 * (which fails closed when Redis is away): a revocation reaches every node within
 * `maxLagMs`, whatever happens to the subscription.
 */
export function startRevocationMirror(options: RevocationMirrorOptions): RevocationMirror {
  const { redis, prefix, channel, heartbeatMs = 250, maxLagMs = 1000, connectionName = 'gatehouse-revocations', now = Date.now } = options;
  const subscriber = redis.duplicate({ connectionName });
  let table: RevocationTable | undefined; // current (when a ping says so)
  let building: RevocationTable | undefined; // filled by the read in progress
  let answeredUpTo = -Infinity; // when the latest answered ping was sent, or the last read began
  let generation = 0;
  let closed = false;
  let waiters: Array<() => void> = [];

  // A TTL as Redis reports it (PTTL: -1 for none) to the time the entry ends here.
  const untilOf = (ttlMs: number) => (ttlMs < 0 ? Infinity : now() + ttlMs);
  const merge = (key: string, value: number, ttlMs: number) => {
    const untilMs = untilOf(ttlMs);
    table?.merge(key, value, untilMs);
    building?.merge(key, value, untilMs);
  };

  subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) return;
    const entry = parse(message);
    if (entry && entry[0].startsWith(prefix)) merge(entry[0].slice(prefix.length), entry[1], entry[2]);
  });
  const lost = () => {
    generation += 1;
    table = undefined;
    building = undefined;
  };
  subscriber.on('close', lost);
  subscriber.on('error', () => undefined); // the shared connection already logs Redis's errors

  async function sync() {
    const mine = ++generation;
    const next = new RevocationTable(now);
    [table, building] = [undefined, next];
    try {
      await subscriber.subscribe(channel);
      const began = now();
      for await (const keys of redis.scanStream({ match: `${glob(prefix)}*`, count: 1000 }) as AsyncIterable<string[]>) {
        if (keys.length === 0) continue;
        const [values, ttls] = await Promise.all([redis.mget(keys), Promise.all(keys.map((k) => redis.pttl(k)))]);
        keys.forEach((key, i) => {
          const value = values[i];
          // PTTL -2: gone since the scan saw it; every entry is written with a TTL.
          if (value !== null && value !== undefined && ttls[i] !== -2) next.merge(key.slice(prefix.length), Number(value), untilOf(ttls[i]!));
        });
      }
      if (mine !== generation || closed) return;
      [table, building, answeredUpTo] = [next, undefined, began];
      for (const wake of waiters) wake();
      waiters = [];
    } catch {
      if (mine === generation) building = undefined; // the next heartbeat tries again
    }
  }

  const heartbeat = setInterval(() => {
    if (subscriber.status !== 'ready') return;
    if (!table && !building) {
      void sync();
      return;
    }
    const sent = now();
    subscriber.ping().then(() => {
      if (sent > answeredUpTo) answeredUpTo = sent;
    }, () => undefined);
  }, heartbeatMs);
  heartbeat.unref();
  subscriber.on('ready', () => void sync());
  if (subscriber.status === 'wait') subscriber.connect().catch(() => undefined);

  return {
    current: () => (table && now() - answeredUpTo <= maxLagMs ? table : undefined),
    apply: merge,
    synced: () => (table ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve))),
    close() {
      closed = true;
      clearInterval(heartbeat);
      subscriber.disconnect();
    },
  };
}
