import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { AdapterBackend } from '../types.ts';
import { ConsumeConflictError } from '../types.ts';
import { epochSeconds, grantIdOf, lookupValue } from './models.ts';

export interface MemoryBackendOptions {
  /** Clock in epoch milliseconds; tests inject one to exercise expiry without sleeping. */
  now?: () => number;
  /** How often expired entries are purged in the background (they are never *found* once expired). */
  sweepIntervalMs?: number;
}

interface Entry {
  /** JSON text of the payload (see `copy`). */
  payload: string;
  /** Epoch seconds when consumed, kept beside the payload as the Redis backend does. */
  consumed: number | undefined;
  /** Epoch ms; undefined = no expiry (Client, registration without TTL). */
  expiresAt: number | undefined;
  grantId: string | undefined;
  uid: string | undefined;
  userCode: string | undefined;
}

/** Model names contain no newline, so `model\nvalue` cannot collide across models. */
const ref = (model: string, value: string): string => `${model}\n${value}`;

/**
 * The embedded default backend (DESIGN.md "Storage routing"): plain Maps, no size cap —
 * node-oidc-provider's own memory adapter is an LRU of 1000 entries, which silently
 * drops live sessions and grants under load. Keeps nothing across restarts.
 */
export function createMemoryBackend(opts: MemoryBackendOptions = {}): AdapterBackend {
  const now = opts.now ?? Date.now;
  const models = new Map<string, Map<string, Entry>>();
  const uids = new Map<string, string>();
  const userCodes = new Map<string, string>();
  const grants = new Map<string, Set<string>>();

  const table = (model: string): Map<string, Entry> => {
    let t = models.get(model);
    if (!t) models.set(model, (t = new Map()));
    return t;
  };

  function remove(model: string, id: string, entry: Entry): void {
    table(model).delete(id);
    if (entry.uid && uids.get(ref(model, entry.uid)) === id) uids.delete(ref(model, entry.uid));
    if (entry.userCode && userCodes.get(ref(model, entry.userCode)) === id) userCodes.delete(ref(model, entry.userCode));
    if (entry.grantId) {
      const members = grants.get(entry.grantId);
      members?.delete(ref(model, id));
      if (members?.size === 0) grants.delete(entry.grantId);
    }
  }

  /** The entry if present and unexpired; an expired one is purged on the spot. */
  function live(model: string, id: string | undefined): Entry | undefined {
    if (id === undefined) return undefined;
    const entry = table(model).get(id);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= now()) {
      remove(model, id, entry);
      return undefined;
    }
    return entry;
  }

  function sweep(): void {
    const t = now();
    for (const [model, entries] of models) {
      for (const [id, entry] of entries) {
        if (entry.expiresAt !== undefined && entry.expiresAt <= t) remove(model, id, entry);
      }
    }
  }
  const timer = setInterval(sweep, opts.sweepIntervalMs ?? 60_000);
  timer.unref();

  /**
   * Payloads are kept as JSON text, as Redis and MongoDB keep them: the memory backend
   * then drops `undefined` members and hands out fresh plain objects exactly like the
   * durable ones, so a test passing in memory means the same thing on the others.
   */
  function copy(entry: Entry | undefined): AdapterPayload | undefined {
    if (!entry) return undefined;
    const payload = JSON.parse(entry.payload) as AdapterPayload;
    if (entry.consumed !== undefined) payload.consumed = entry.consumed;
    return payload;
  }

  function adapterFor(model: string): Adapter {
    return {
      async upsert(id, payload, expiresIn) {
        const previous = table(model).get(id);
        if (previous) remove(model, id, previous);
        const entry: Entry = {
          payload: JSON.stringify(payload),
          consumed: typeof payload.consumed === 'number' ? payload.consumed : undefined,
          expiresAt: typeof expiresIn === 'number' ? now() + expiresIn * 1000 : undefined,
          grantId: grantIdOf(model, payload),
          uid: lookupValue(payload.uid),
          userCode: lookupValue(payload.userCode),
        };
        table(model).set(id, entry);
        if (entry.uid) uids.set(ref(model, entry.uid), id);
        if (entry.userCode) userCodes.set(ref(model, entry.userCode), id);
        if (entry.grantId) {
          let members = grants.get(entry.grantId);
          if (!members) grants.set(entry.grantId, (members = new Set()));
          members.add(ref(model, id));
        }
      },
      async find(id) {
        return copy(live(model, id));
      },
      async findByUid(uid) {
        return copy(live(model, uids.get(ref(model, uid))));
      },
      async findByUserCode(userCode) {
        return copy(live(model, userCodes.get(ref(model, userCode))));
      },
      // Check-and-set without an await in between: atomic on the event loop.
      async consume(id) {
        const entry = live(model, id);
        if (!entry || entry.consumed !== undefined) {
          throw new ConsumeConflictError(model, entry?.grantId);
        }
        entry.consumed = epochSeconds(now());
      },
      async destroy(id) {
        const entry = table(model).get(id);
        if (entry) remove(model, id, entry);
      },
      // Removes the grant's tokens of every model in this backend, as revoke.js expects.
      async revokeByGrantId(grantId) {
        for (const member of [...(grants.get(grantId) ?? [])]) {
          const cut = member.indexOf('\n');
          const memberModel = member.slice(0, cut);
          const id = member.slice(cut + 1);
          const entry = table(memberModel).get(id);
          if (entry) remove(memberModel, id, entry);
        }
        grants.delete(grantId);
      },
    };
  }

  return {
    name: 'memory',
    adapterFor,
    async ping() {},
    async prepare() {},
    async close() {
      clearInterval(timer);
    },
  };
}
