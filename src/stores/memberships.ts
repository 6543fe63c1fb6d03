import { pageInMemory, type Page, type PageQuery } from './paging.ts';

/** An account's place in an organization: one role per (organization, account). */
export interface Membership {
  orgId: string;
  accountId: string;
  role: string;
  createdAt: Date;
}

export interface MembershipStore {
  /** Adds the account to the organization, or changes its role there. `createdAt` never changes. */
  put(input: { orgId: string; accountId: string; role: string }): Promise<{ membership: Membership; created: boolean }>;
  find(orgId: string, accountId: string): Promise<Membership | undefined>;
  /** The organization's members, newest first, keyset-paged by (createdAt, accountId). */
  listByOrg(orgId: string, query: PageQuery): Promise<Page<Membership>>;
  /** Every organization the account belongs to. */
  listByAccount(accountId: string): Promise<Membership[]>;
  /** True only if this call removed it. */
  remove(orgId: string, accountId: string): Promise<boolean>;
  /** How many were removed. */
  removeByOrg(orgId: string): Promise<number>;
  removeByAccount(accountId: string): Promise<number>;
  ping(): Promise<void>;
  /** One-time set-up (indexes); call at start-up or from a migration command. */
  prepare(): Promise<void>;
}

const copy = (m: Membership): Membership => ({ ...m });
const sortKey = (m: Membership) => ({ createdAt: m.createdAt, id: m.accountId });

/** Per-process store for the embedded default: nothing survives a restart. */
export function createMemoryMembershipStore(): MembershipStore {
  // orgId → accountId → membership
  const byOrg = new Map<string, Map<string, Membership>>();
  const all = () => [...byOrg.values()].flatMap((members) => [...members.values()]);

  return {
    async put({ orgId, accountId, role }) {
      const members = byOrg.get(orgId) ?? new Map<string, Membership>();
      byOrg.set(orgId, members);
      const existing = members.get(accountId);
      if (existing) {
        existing.role = role;
        return { membership: copy(existing), created: false };
      }
      const membership: Membership = { orgId, accountId, role, createdAt: new Date() };
      members.set(accountId, membership);
      return { membership: copy(membership), created: true };
    },
    async find(orgId, accountId) {
      const m = byOrg.get(orgId)?.get(accountId);
      return m && copy(m);
    },
    async listByOrg(orgId, q) {
      return pageInMemory(byOrg.get(orgId)?.values() ?? [], sortKey, q, copy);
    },
    async listByAccount(accountId) {
      return all().filter((m) => m.accountId === accountId).map(copy);
    },
    async remove(orgId, accountId) {
      return byOrg.get(orgId)?.delete(accountId) ?? false;
    },
    async removeByOrg(orgId) {
      const n = byOrg.get(orgId)?.size ?? 0;
      byOrg.delete(orgId);
      return n;
    },
    async removeByAccount(accountId) {
      let n = 0;
      for (const members of byOrg.values()) if (members.delete(accountId)) n += 1;
      return n;
    },
    async ping() {},
    async prepare() {},
  };
}
