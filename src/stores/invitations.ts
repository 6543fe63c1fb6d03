/**
 * A single-use link that lets the owner of an account without a password set one, and
 * (optionally) join an organization with a role. Only a keyed hash of the link's token is
 * kept (security/invitations.ts): a database leak yields no usable link.
 */
export interface Invitation {
  id: string;
  tokenHash: string;
  accountId: string;
  orgId?: string;
  role?: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt?: Date;
}

export interface InvitationStore {
  insert(invitation: Invitation): Promise<void>;
  findByTokenHash(tokenHash: string): Promise<Invitation | undefined>;
  /**
   * Marks it used if it is neither used nor expired at `at`, atomically: of two
   * concurrent calls only one gets true, so a link works once.
   */
  consume(id: string, at: Date): Promise<boolean>;
  /** Removes the account's invitations (superseded, or the account is gone); how many. */
  deleteByAccount(accountId: string): Promise<number>;
  deleteByOrg(orgId: string): Promise<number>;
  ping(): Promise<void>;
  /** One-time set-up (indexes); call at start-up or from a migration command. */
  prepare(): Promise<void>;
}

const copy = (i: Invitation): Invitation => ({ ...i });

/** Per-process store for the embedded default: nothing survives a restart. */
export function createMemoryInvitationStore(): InvitationStore {
  const byId = new Map<string, Invitation>();
  const idByHash = new Map<string, string>();
  const deleteWhere = (match: (i: Invitation) => boolean) => {
    let n = 0;
    for (const [id, i] of byId) {
      if (!match(i)) continue;
      byId.delete(id);
      idByHash.delete(i.tokenHash);
      n += 1;
    }
    return n;
  };

  return {
    async insert(invitation) {
      byId.set(invitation.id, copy(invitation));
      idByHash.set(invitation.tokenHash, invitation.id);
    },
    async findByTokenHash(tokenHash) {
      const id = idByHash.get(tokenHash);
      const found = id === undefined ? undefined : byId.get(id);
      return found && copy(found);
    },
    async consume(id, at) {
      // Synchronous check-and-set: atomic within this process.
      const i = byId.get(id);
      if (!i || i.usedAt || i.expiresAt <= at) return false;
      i.usedAt = at;
      return true;
    },
    async deleteByAccount(accountId) {
      return deleteWhere((i) => i.accountId === accountId);
    },
    async deleteByOrg(orgId) {
      return deleteWhere((i) => i.orgId === orgId);
    },
    async ping() {},
    async prepare() {},
  };
}
