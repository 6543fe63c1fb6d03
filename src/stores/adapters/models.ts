/**
 * Facts about node-oidc-provider models that every backend needs.
 */

/**
 * Models whose entries carry a `grantId` and are removed by `revokeByGrantId`
 * (node-oidc-provider's lib/helpers/revoke.js calls it on exactly these).
 * ClientCredentials is deliberately absent: it is issued to a client, not within a grant.
 */
export const GRANTABLE_MODELS: ReadonlySet<string> = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

/** `consumed` is an epoch-seconds timestamp, as node-oidc-provider's own adapters write it. */
export function epochSeconds(nowMs: number): number {
  return Math.floor(nowMs / 1000);
}

/** A `grantId` worth indexing: a non-empty string on a grantable model. */
export function grantIdOf(model: string, payload: { grantId?: unknown }): string | undefined {
  const { grantId } = payload;
  return GRANTABLE_MODELS.has(model) && typeof grantId === 'string' && grantId !== '' ? grantId : undefined;
}

/** A secondary lookup value (uid, userCode) worth indexing. */
export function lookupValue(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
