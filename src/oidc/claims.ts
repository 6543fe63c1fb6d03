import type { Configuration, FindAccount, KoaContextWithOIDC } from 'oidc-provider';

import type { TenancyResolver } from '../security/tenancy.ts';

/** What the account store must answer for `sub` lookups (src/stores/accounts.ts). */
export interface AccountLookup {
  findById(id: string): Promise<{ id: string; email: string; name: string } | undefined>;
}

/**
 * Standard claims released per scope (OIDC Core §5.4). `email_verified` is false until
 * Gatehouse can verify addresses: a relying party must not treat the email as proven.
 * `org_id` and `roles` ride on `openid` itself: which tenant a sign-in speaks for is part
 * of who the user is to the client, and a client that asks for it separately would get
 * ID tokens that differ from its access tokens.
 */
export const claims: NonNullable<Configuration['claims']> = {
  openid: ['sub', 'org_id', 'roles'],
  profile: ['name'],
  email: ['email', 'email_verified'],
};

/** The organization a client belongs to (Gatehouse's `org_id` client metadata). */
export function clientOrgOf(ctx: KoaContextWithOIDC | undefined): string | undefined {
  const orgId = ctx?.oidc?.client?.['org_id'];
  return typeof orgId === 'string' ? orgId : undefined;
}

/** `org_id` and `roles` for a token or ID token, when the account speaks for an organization. */
export async function tenantClaims(
  tenancy: TenancyResolver | undefined, accountId: string, clientOrgId: string | undefined,
): Promise<{ org_id: string; roles: string[] } | undefined> {
  const t = await tenancy?.resolve(accountId, clientOrgId);
  return t?.orgId === undefined ? undefined : { org_id: t.orgId, roles: t.roles };
}

export function createFindAccount(accounts: AccountLookup, tenancy?: TenancyResolver): FindAccount {
  return async function findAccount(ctx, sub) {
    const account = await accounts.findById(sub);
    if (!account) return undefined;
    return {
      accountId: account.id,
      async claims() {
        const tenant = await tenantClaims(tenancy, account.id, clientOrgOf(ctx));
        return { sub: account.id, name: account.name, email: account.email, email_verified: false, ...tenant };
      },
    };
  };
}

/**
 * Extra claims of access tokens (JWT and opaque; introspection shows them too): the
 * tenant of the subject — the account's organization and roles, or the service account's
 * organization for client credentials. Cheap for client credentials (the client is in hand):
 * answered without a promise, as are the wrappers around it (thenClaims).
 */
export function createExtraTokenClaims(tenancy?: TenancyResolver): NonNullable<Configuration['extraTokenClaims']> {
  return function extraTokenClaims(ctx, token) {
    const clientOrgId = clientOrgOf(ctx);
    const accountId = 'accountId' in token ? token.accountId : undefined;
    if (typeof accountId === 'string') return tenantClaims(tenancy, accountId, clientOrgId);
    return clientOrgId === undefined ? undefined : { org_id: clientOrgId };
  };
}

type Claims = Record<string, unknown> | undefined;

/**
 * `then` for extraTokenClaims wrappers: applies `more` to what `inner` returned, at once
 * when that is a value (client credentials), after it when it is a promise (an account's
 * organization is looked up).
 */
export function thenClaims(claims: Claims | Promise<Claims>, more: (claims: Claims) => Claims): Claims | Promise<Claims> {
  return claims instanceof Promise ? claims.then(more) : more(claims);
}
