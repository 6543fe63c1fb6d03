import { createHmac, hkdfSync, randomBytes } from 'node:crypto';

import { NO_PASSWORD, type AccountStore } from '../stores/accounts.ts';
import type { Invitation, InvitationStore } from '../stores/invitations.ts';
import type { MembershipStore } from '../stores/memberships.ts';
import { MIN_PEPPER_BYTES } from './client-secrets.ts';
import { validatePasswordPolicy, type PasswordHasher } from './passwords.ts';

/** Domain separation from API-key and client-secret hashes (see api-key-hash.ts). */
const LABEL = 'gatehouse invitation v1';
export const DEFAULT_INVITATION_TTL_DAYS = 7;

export interface InvitationServiceOptions {
  store: InvitationStore;
  accounts: Pick<AccountStore, 'findById' | 'update'>;
  memberships: Pick<MembershipStore, 'find' | 'put'>;
  passwords: Pick<PasswordHasher, 'hash'>;
  pepper: string | Buffer;
  issuer: string;
  ttlDays?: number;
  now?: () => Date;
}

export type AcceptResult = { ok: true; accountId: string } | { ok: false; reason: 'invalid' } | { ok: false; reason: 'policy'; message: string };

export interface InvitationService {
  /** Replaces the account's earlier invitations; the URL is shown once and never stored. */
  issue(input: { accountId: string; orgId?: string; role?: string }): Promise<{ url: string; expiresAt: Date }>;
  /** The invitation and its account's email, if the token names a usable one. */
  open(token: string): Promise<{ invitation: Invitation; email: string } | undefined>;
  /** Sets the password, joins the organization with the role, and uses the link up. */
  accept(token: string, password: string): Promise<AcceptResult>;
  /** An account going away takes its links with it. */
  forget(accountId: string): Promise<void>;
  /** So does an organization (links that would join it). */
  forgetOrganization(orgId: string): Promise<void>;
}

/**
 * Invitation links `${issuer}/invitations/<token>`: 256 random bits, kept only as an
 * HMAC under a subkey of the server pepper, valid for one use within `ttlDays`. They only
 * ever set a first password: an account that has one cannot be taken over through a link.
 */
export function createInvitationService(options: InvitationServiceOptions): InvitationService {
  const { store, accounts, memberships, passwords, now = () => new Date(), ttlDays = DEFAULT_INVITATION_TTL_DAYS } = options;
  const ikm = typeof options.pepper === 'string' ? Buffer.from(options.pepper, 'utf8') : Buffer.from(options.pepper);
  if (ikm.length < MIN_PEPPER_BYTES) throw new TypeError(`invitation pepper must be at least ${MIN_PEPPER_BYTES} bytes`);
  const key = Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), LABEL, 32));
  const hashOf = (token: string) => createHmac('sha256', key).update(token, 'utf8').digest('base64url');

  async function open(token: string) {
    // The token's shape is checked first: anything else cannot be one of ours.
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const invitation = await store.findByTokenHash(hashOf(token));
    if (!invitation || invitation.usedAt || invitation.expiresAt <= now()) return undefined;
    const account = await accounts.findById(invitation.accountId);
    if (!account || account.disabledAt || account.passwordHash !== NO_PASSWORD) return undefined;
    return { invitation, email: account.email };
  }

  return {
    async issue({ accountId, orgId, role }) {
      await store.deleteByAccount(accountId);
      const token = randomBytes(32).toString('base64url');
      const createdAt = now();
      const expiresAt = new Date(createdAt.getTime() + ttlDays * 86_400_000);
      await store.insert({
        id: randomBytes(16).toString('base64url'), tokenHash: hashOf(token), accountId, createdAt, expiresAt,
        ...(orgId !== undefined && { orgId }), ...(role !== undefined && { role }),
      });
      return { url: `${options.issuer}/invitations/${token}`, expiresAt };
    },

    open,

    async accept(token, password) {
      const found = await open(token);
      if (!found) return { ok: false, reason: 'invalid' };
      const problem = validatePasswordPolicy(password);
      if (problem) return { ok: false, reason: 'policy', message: `The password ${problem}.` };
      const passwordHash = await passwords.hash(password);
      // Consumed only after the slow hash, and atomically: of two racing submissions one wins.
      const { invitation } = found;
      if (!(await store.consume(invitation.id, now()))) return { ok: false, reason: 'invalid' };
      await accounts.update(invitation.accountId, { passwordHash });
      // Joins with the invited role unless already a member: a role an administrator changed
      // while the link was pending stands.
      const { orgId } = invitation;
      if (orgId !== undefined && invitation.role !== undefined && !(await memberships.find(orgId, invitation.accountId))) {
        await memberships.put({ orgId, accountId: invitation.accountId, role: invitation.role });
      }
      return { ok: true, accountId: invitation.accountId };
    },

    async forget(accountId) {
      await store.deleteByAccount(accountId);
    },

    async forgetOrganization(orgId) {
      await store.deleteByOrg(orgId);
    },
  };
}
