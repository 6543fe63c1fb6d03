import { randomBytes } from 'node:crypto';

import { pageInMemory, type Page, type PageQuery } from './paging.ts';

/** A person who signs in. `id` is the OIDC `sub` (OIDC Core §2: locally unique, never reassigned). */
export interface Account {
  id: string;
  /** Normalised: see `normaliseEmail`. */
  email: string;
  name: string;
  /**
   * argon2id PHC string (security/passwords.ts); never the plain password. Empty (`NO_PASSWORD`)
   * for an account created by an administrator until its owner sets one through an invitation.
   */
  passwordHash: string;
  createdAt: Date;
  lastLoginAt?: Date;
  /** Set while the account is disabled: it cannot sign in, and `findAccount` does not know it. */
  disabledAt?: Date;
  /**
   * A platform administrator stands outside every organization: a token from its sign-in
   * may carry any admin API scope (src/security/tenancy.ts), including the platform-only ones.
   */
  platformAdmin?: boolean;
}

/** The `passwordHash` of an account whose owner has not chosen a password yet. */
export const NO_PASSWORD = '';

export interface AccountListQuery extends PageQuery {
  /** Only the account with this email (normalised). */
  email?: string;
}

export interface NewAccount {
  email: string;
  name: string;
  passwordHash: string;
}

export interface AccountStore {
  /** Throws `DuplicateEmailError` when the (normalised) email is taken. */
  create(input: NewAccount): Promise<Account>;
  /** Creates, or updates name and password hash of the account with that email (idempotent seeding). */
  upsertByEmail(input: NewAccount): Promise<{ account: Account; created: boolean }>;
  findById(id: string): Promise<Account | undefined>;
  /** Looks up by the normalised form of `email`. */
  findByEmail(email: string): Promise<Account | undefined>;
  /** The accounts of these ids that exist, in no particular order. */
  findMany(ids: readonly string[]): Promise<Account[]>;
  /** Newest first, keyset-paged (paging.ts); throws `InvalidCursorError` for a foreign cursor. */
  list(query: AccountListQuery): Promise<Page<Account>>;
  recordLogin(id: string, at: Date): Promise<void>;
  /** Changes name and/or password hash; undefined for an unknown id. */
  update(id: string, changes: { name?: string; passwordHash?: string; platformAdmin?: boolean }): Promise<Account | undefined>;
  /** `at`: disable (keeps an earlier date); undefined: enable. Undefined for an unknown id. */
  setDisabled(id: string, at: Date | undefined): Promise<Account | undefined>;
  /** True only if this call deleted it. */
  delete(id: string): Promise<boolean>;
  count(): Promise<number>;
  /** Resolves when the backend answers (readiness). */
  ping(): Promise<void>;
  /** One-time set-up (indexes); call at start-up or from a migration command. */
  prepare(): Promise<void>;
}

export class DuplicateEmailError extends Error {
  readonly email: string;

  constructor(email: string) {
    super(`an account with email "${email}" already exists`);
    this.name = 'DuplicateEmailError';
    this.email = email;
  }
}

/**
 * Trim, Unicode NFC, lower-case. The local part is case-sensitive in theory
 * (RFC 5321 §2.4) but not in practice, and treating "Ada@x" and "ada@x" as two
 * accounts invites takeover-by-lookalike; every lookup and write goes through this.
 */
export function normaliseEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}

/**
 * 128 random bits, base64url (22 chars): unguessable, URL-safe, fits OIDC's 255-char `sub`.
 * Never with a leading "-": command lines (the `gatehouse` CLI, curl, grep) would take such
 * an id for an option. Redrawing on a leading "-" costs 1/64 of a bit.
 */
export function newAccountId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

const copy = (a: Account): Account => ({ ...a });

/** Per-process store for the embedded default: nothing survives a restart. */
export function createMemoryAccountStore(): AccountStore {
  const byId = new Map<string, Account>();
  const idByEmail = new Map<string, string>();

  const byEmail = (email: string): Account | undefined => {
    const id = idByEmail.get(normaliseEmail(email));
    return id === undefined ? undefined : byId.get(id);
  };

  // Every method body below runs synchronously up to its return, so each check-then-write
  // is atomic with respect to other callers in this process.
  const insert = (input: NewAccount): Account => {
    const email = normaliseEmail(input.email);
    if (idByEmail.has(email)) throw new DuplicateEmailError(email);
    const account: Account = { id: newAccountId(), email, name: input.name, passwordHash: input.passwordHash, createdAt: new Date() };
    byId.set(account.id, account);
    idByEmail.set(email, account.id);
    return account;
  };

  return {
    async create(input) {
      return copy(insert(input));
    },
    async upsertByEmail(input) {
      const existing = byEmail(input.email);
      if (!existing) return { account: copy(insert(input)), created: true };
      existing.name = input.name;
      existing.passwordHash = input.passwordHash;
      return { account: copy(existing), created: false };
    },
    async findById(id) {
      const a = byId.get(id);
      return a && copy(a);
    },
    async findByEmail(email) {
      const a = byEmail(email);
      return a && copy(a);
    },
    async findMany(ids) {
      return ids.flatMap((id) => { const a = byId.get(id); return a ? [copy(a)] : []; });
    },
    async list(q) {
      const all = q.email === undefined ? byId.values() : [byEmail(q.email)].filter((a) => a !== undefined);
      return pageInMemory(all, (a) => a, q, copy);
    },
    async recordLogin(id, at) {
      const a = byId.get(id);
      if (a) a.lastLoginAt = at;
    },
    async update(id, changes) {
      const a = byId.get(id);
      if (!a) return undefined;
      if (changes.name !== undefined) a.name = changes.name;
      if (changes.passwordHash !== undefined) a.passwordHash = changes.passwordHash;
      if (changes.platformAdmin === true) a.platformAdmin = true;
      if (changes.platformAdmin === false) delete a.platformAdmin;
      return copy(a);
    },
    async setDisabled(id, at) {
      const a = byId.get(id);
      if (!a) return undefined;
      if (at === undefined) delete a.disabledAt;
      else a.disabledAt ??= at;
      return copy(a);
    },
    async delete(id) {
      const a = byId.get(id);
      if (!a) return false;
      byId.delete(id);
      idByEmail.delete(a.email);
      return true;
    },
    async count() {
      return byId.size;
    },
    async ping() {},
    async prepare() {},
  };
}
