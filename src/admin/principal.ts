/** Who is calling the admin API, whatever credential they used. */
export interface Principal {
  subject: { type: 'account' | 'service_account'; id: string };
  /** The caller's organization; undefined for a platform-level caller. */
  orgId: string | undefined;
  scopes: ReadonlySet<string>;
  expiresAt: Date | undefined;
  via: 'api_key' | 'access_token';
  keyId: string | undefined;
}

/** Platform-level callers stand outside every organization (see DESIGN.md, tenants). */
export const isPlatform = (p: Principal): boolean => p.orgId === undefined;

/** Tenant isolation: an object of another organization does not exist for this caller. */
export const canSee = (p: Principal, orgId: string | undefined): boolean => isPlatform(p) || p.orgId === orgId;
