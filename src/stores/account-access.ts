/**
 * Which grants and sessions an account holds. node-oidc-provider indexes tokens by grant
 * but nothing by account, so Gatehouse records them as the provider saves them
 * (oidc/revoke-grants.ts) to end an account's access when it is disabled or deleted.
 */
export interface AccessEntry {
  kind: 'grant' | 'session';
  /** Grant: its id. Session: its uid (stable while the session id rotates on login). */
  id: string;
  /** Entries past this are forgotten: the provider has dropped the object by then. */
  expiresAt: Date;
}

export interface AccountAccessStore {
  /** Idempotent; a later `expiresAt` extends the entry, an earlier one is ignored. */
  record(accountId: string, entry: AccessEntry): Promise<void>;
  /** The account's entries that have not expired at `at`. */
  list(accountId: string, at: Date): Promise<AccessEntry[]>;
  forget(accountId: string): Promise<void>;
  ping(): Promise<void>;
  /** One-time set-up (indexes); call at start-up or from a migration command. */
  prepare(): Promise<void>;
}

/** Below this many entries an account's map is never pruned. */
const PRUNE_FLOOR = 64;

/** Per-process store for the embedded default: nothing survives a restart. */
export function createMemoryAccountAccessStore(now: () => Date = () => new Date()): AccountAccessStore {
  const byAccount = new Map<string, { entries: Map<string, AccessEntry>; pruneAt: number }>();

  return {
    async record(accountId, entry) {
      let account = byAccount.get(accountId);
      if (!account) byAccount.set(accountId, account = { entries: new Map(), pruneAt: PRUNE_FLOOR });
      const { entries } = account;
      // Expired entries go when the map has doubled since it was last pruned: an account
      // that signs in thousands of times keeps at most twice its live entries, and a
      // record costs O(1) on average instead of a pass over all of them.
      if (entries.size >= account.pruneAt) {
        const at = now();
        for (const [key, e] of entries) if (e.expiresAt <= at) entries.delete(key);
        account.pruneAt = Math.max(PRUNE_FLOOR, entries.size * 2);
      }
      const key = `${entry.kind}:${entry.id}`;
      const existing = entries.get(key);
      if (!existing || existing.expiresAt < entry.expiresAt) entries.set(key, { ...entry });
    },
    async list(accountId, at) {
      return [...(byAccount.get(accountId)?.entries.values() ?? [])].filter((e) => e.expiresAt > at).map((e) => ({ ...e }));
    },
    async forget(accountId) {
      byAccount.delete(accountId);
    },
    async ping() {},
    async prepare() {},
  };
}
