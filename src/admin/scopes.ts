/**
 * Scopes of the admin API, `admin:<resource>:<read|write>`. A caller needs the one a
 * route names; `write` does not imply `read`, so a key can be made to only create.
 */
export const ADMIN_RESOURCES = [
  'api-keys', 'resource-servers', 'clients', 'service-accounts', 'organizations', 'accounts', 'grants', 'keys',
] as const;
export type AdminResource = (typeof ADMIN_RESOURCES)[number];

export const adminScope = (resource: AdminResource, access: 'read' | 'write') => `admin:${resource}:${access}`;

export const ADMIN_SCOPES: readonly string[] = ADMIN_RESOURCES.flatMap((r) => [adminScope(r, 'read'), adminScope(r, 'write')]);

/** The resource indicator (RFC 8707) of the admin API: access tokens for it carry admin scopes. */
export const adminResourceFor = (issuer: string) => `${issuer}/api/v1`;
