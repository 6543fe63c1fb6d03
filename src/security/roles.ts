import { ADMIN_SCOPES } from '../admin/scopes.ts';

/**
 * Roles of an account within an organization, each a set of admin API scopes.
 *
 * Organizations are tenants: creating them (`admin:organizations:write`) and managing the
 * server's signing keys (`admin:keys:*`) reach beyond one tenant, so no organization role
 * carries those scopes; only platform-level credentials do.
 */
const PLATFORM_ONLY = new Set(['admin:organizations:write', 'admin:keys:read', 'admin:keys:write']);
const TENANT_SCOPES = ADMIN_SCOPES.filter((s) => !PLATFORM_ONLY.has(s));
const READ_SCOPES = TENANT_SCOPES.filter((s) => s.endsWith(':read'));

export const BUILT_IN_ROLES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  admin: TENANT_SCOPES,
  // A member reads everything in its organization and may make API keys for itself
  // (never with more scopes than it has: the api-keys route enforces that).
  member: [...READ_SCOPES, 'admin:api-keys:write'],
  readonly: READ_SCOPES,
});

export const ROLE_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

export interface Roles {
  readonly names: readonly string[];
  has(role: string): boolean;
  /** The role's scopes; an unknown role has none. */
  scopesOf(role: string): string[];
}

/**
 * The built-in roles plus `custom` ones (from configuration, when the lead wires it).
 * A custom role may not redefine a built-in one, and may only name tenant scopes: a
 * typo or a platform-only scope fails at start rather than at the first request.
 */
export function createRoles(custom: Readonly<Record<string, readonly string[]>> = {}): Roles {
  const all = new Map<string, readonly string[]>(Object.entries(BUILT_IN_ROLES));
  for (const [name, scopes] of Object.entries(custom)) {
    if (!ROLE_NAME.test(name)) throw new TypeError(`role name "${name}" must match ${ROLE_NAME.source}`);
    if (all.has(name)) throw new TypeError(`role "${name}" is built in and cannot be redefined`);
    const wrong = scopes.find((s) => !TENANT_SCOPES.includes(s));
    if (wrong !== undefined) throw new TypeError(`role "${name}": "${wrong}" is not an admin scope an organization role may have`);
    all.set(name, Object.freeze([...new Set(scopes)]));
  }
  return {
    names: Object.freeze([...all.keys()]),
    has: (role) => all.has(role),
    scopesOf: (role) => [...(all.get(role) ?? [])],
  };
}
