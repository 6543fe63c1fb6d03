/**
 * Scopes of the admin API, `admin:<resource>:<read|write>`. A caller needs the one a
 * route names; `write` does not imply `read`, so a key can be made to only create.
 */
export const ADMIN_RESOURCES = [
  'api-keys', 'resource-servers', 'clients', 'service-accounts', 'organizations', 'accounts', 'grants', 'keys',
  'audit', 'webhooks',
] as const;
export type AdminResource = (typeof ADMIN_RESOURCES)[number];

export const adminScope = (resource: AdminResource, access: 'read' | 'write') => `admin:${resource}:${access}`;

/** The audit log is written by Gatehouse itself, never through the API: it has no write scope. */
const READ_ONLY: ReadonlySet<AdminResource> = new Set(['audit']);

export const ADMIN_SCOPES: readonly string[] = ADMIN_RESOURCES.flatMap((r) => (READ_ONLY.has(r)
  ? [adminScope(r, 'read')] : [adminScope(r, 'read'), adminScope(r, 'write')]));

/** The resource indicator (RFC 8707) of the admin API: access tokens for it carry admin scopes. */
export const adminResourceFor = (issuer: string) => `${issuer}/api/v1`;
