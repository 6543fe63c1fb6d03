import { ADMIN_SCOPES } from '../admin/scopes.ts';
import type { AccountStore } from '../stores/accounts.ts';
import type { MembershipStore } from '../stores/memberships.ts';
import type { Roles } from './roles.ts';

/** Where an account stands when it signs in to one client: its tenant, roles and admin reach. */
export interface AccountTenancy {
  /** The organization the tokens speak for; undefined for a platform admin or an org-less sign-in. */
  orgId: string | undefined;
  /** The account's roles in that organization (`org_id` / `roles` claims). */
  roles: string[];
  platformAdmin: boolean;
  /** The admin API scopes the account may hold: all for a platform admin, its role's in an org, else none. */
  adminScopes: ReadonlySet<string>;
}

export interface TenancyResolver {
  resolve(accountId: string, clientOrgId: string | undefined): Promise<AccountTenancy>;
  /** Scopes that roles decide; any other scope is decided by the client's registration alone. */
  governs(scope: string): boolean;
}

const ALL_ADMIN = new Set(ADMIN_SCOPES);
const NONE: ReadonlySet<string> = new Set();

/**
 * Which organization a sign-in speaks for: the client's own organization when it has one
 * (and the account is a member there — otherwise none), else the account's only
 * organization. An account in several organizations signing in to an org-less client
 * gets no tenant: picking one silently would be a guess about which tenant it acts for.
 */
export function createTenancyResolver(deps: {
  accounts: Pick<AccountStore, 'findById'>; memberships: Pick<MembershipStore, 'find' | 'listByAccount'>; roles: Roles;
}): TenancyResolver {
  return {
    governs: (scope) => ALL_ADMIN.has(scope),
    async resolve(accountId, clientOrgId) {
      const account = await deps.accounts.findById(accountId);
      if (account?.platformAdmin === true && clientOrgId === undefined) {
        return { orgId: undefined, roles: [], platformAdmin: true, adminScopes: ALL_ADMIN };
      }
      const membership = clientOrgId !== undefined
        ? await deps.memberships.find(clientOrgId, accountId)
        : await deps.memberships.listByAccount(accountId).then((all) => (all.length === 1 ? all[0] : undefined));
      if (!membership) return { orgId: undefined, roles: [], platformAdmin: false, adminScopes: NONE };
      return {
        orgId: membership.orgId, roles: [membership.role], platformAdmin: false,
        adminScopes: new Set(deps.roles.scopesOf(membership.role)),
      };
    },
  };
}
