import * as z from 'zod';

import { GatehouseError, notFound } from '../../errors.ts';
import type { ApiKeyService } from '../../security/api-keys.ts';
import type { InvitationService } from '../../security/invitations.ts';
import type { Roles } from '../../security/roles.ts';
import { NO_PASSWORD, normaliseEmail, type Account, type AccountStore } from '../../stores/accounts.ts';
import type { ApiKeyListQuery, ApiKeyStore } from '../../stores/api-keys.ts';
import type { MembershipStore } from '../../stores/memberships.ts';
import type { Organization, OrganizationStore } from '../../stores/organizations.ts';
import { isPlatform, type Principal } from '../principal.ts';

/** What the organization, account, membership and invitation routes need (wired in server.ts). */
export interface TenancyDeps {
  accounts: AccountStore;
  organizations: OrganizationStore;
  memberships: MembershipStore;
  invitations: InvitationService;
  roles: Roles;
  /** Ends the account's sessions and revokes its grants and tokens (oidc/revoke-grants.ts). */
  endAccess(accountId: string): Promise<unknown>;
}
export type TenancyRouteDeps = TenancyDeps & { apiKeys: ApiKeyService; apiKeyStore: ApiKeyStore };

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional(),
};
export const personName = z.string().trim().min(1).max(200);
export const email = z.string().transform(normaliseEmail).pipe(z.email());

export const conflict = (description: string) => new GatehouseError(409, 'conflict', description);

export const organizationJson = z.object({ id: z.string(), name: z.string(), slug: z.string(), created_at: z.string() });
export const toOrganizationJson = (o: Organization) => ({ id: o.id, name: o.name, slug: o.slug, created_at: o.createdAt.toISOString() });

export const accountJson = z.object({
  id: z.string(), email: z.string(), name: z.string(), created_at: z.string(), last_login_at: z.string().optional(),
  disabled: z.boolean(), disabled_at: z.string().optional(),
  password_set: z.boolean().describe('false until the owner accepts an invitation'),
});
export const toAccountJson = (a: Account) => ({
  id: a.id, email: a.email, name: a.name, created_at: a.createdAt.toISOString(),
  ...(a.lastLoginAt && { last_login_at: a.lastLoginAt.toISOString() }),
  disabled: a.disabledAt !== undefined, ...(a.disabledAt && { disabled_at: a.disabledAt.toISOString() }),
  password_set: a.passwordHash !== NO_PASSWORD,
});

export const invitationJson = z.object({
  url: z.string().describe('the single-use link: shown this once, never again'), expires_at: z.string(),
});

/** Tenant isolation: another organization (or none at all) is the same 404. */
export async function visibleOrganization(deps: TenancyDeps, principal: Principal, id: string): Promise<Organization> {
  const org = isPlatform(principal) || principal.orgId === id ? await deps.organizations.findById(id) : undefined;
  if (!org) throw notFound('no organization with this id');
  return org;
}

/** An organization caller sees the accounts that are members of its organization; a platform caller all. */
export async function visibleAccount(deps: TenancyDeps, principal: Principal, id: string): Promise<Account> {
  const member = isPlatform(principal) || (await deps.memberships.find(principal.orgId!, id)) !== undefined;
  const account = member ? await deps.accounts.findById(id) : undefined;
  if (!account) throw notFound('no account with this id');
  return account;
}

/** Every key the filter matches that is not revoked yet, page by page. */
export async function revokeKeys(deps: TenancyRouteDeps, filter: Omit<ApiKeyListQuery, 'limit' | 'cursor'>): Promise<void> {
  let cursor: string | undefined;
  do {
    const page = await deps.apiKeyStore.list({ ...filter, limit: 200, cursor });
    for (const key of page.items) await deps.apiKeys.revoke(key.id);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
}

/** The tenancy routes' dependencies out of AdminDeps (`tenancy` may be absent when only listing routes). */
export const tenancyDeps = (d: { tenancy: TenancyDeps; apiKeys: ApiKeyService; apiKeyStore: ApiKeyStore }): TenancyRouteDeps =>
  ({ ...d.tenancy, apiKeys: d.apiKeys, apiKeyStore: d.apiKeyStore });
