/**
 * Settings of dynamic client registration (RFC 7591, RFC 7592) and of client ID metadata
 * documents, as config/index.ts parses them from REGISTRATION* and CLIENT_ID_METADATA_DOCUMENT.
 */
export type RegistrationMode = 'off' | 'initial-access-token' | 'open';

export interface RegistrationConfig {
  /** `off`: no registration endpoint; `initial-access-token`: only with an admin-issued token; `open`: anyone, per-address quota. */
  mode: RegistrationMode;
  /** `required`: a self-registered client is `pending` (gets no token) until an admin approves it. */
  approval: 'none' | 'required';
  /** Grants a self-registered client may ask for; client_credentials only with an initial access token. */
  grantTypes: readonly string[];
  /** Scopes a self-registered client may ask for (also its scope when it asks for none). */
  scopes: readonly string[];
  /** A self-registered client that got no token within this many days is deleted. */
  unusedTtlDays: number;
  /** node-oidc-provider's client ID metadata document support (an https URL as client_id). */
  clientIdMetadataDocument: boolean;
}

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** What REGISTRATION_GRANT_TYPES may list. Token exchange is never self-registered. */
export const REGISTRABLE_GRANT_TYPES: readonly string[] = ['authorization_code', 'refresh_token', 'client_credentials', DEVICE_CODE_GRANT];
export const DEFAULT_REGISTRATION_GRANT_TYPES: readonly string[] = ['authorization_code', 'refresh_token'];

/** OIDC Core §5.4 scopes plus offline_access: what REGISTRATION_SCOPES may list besides API_SCOPES. */
export const STANDARD_SCOPES: readonly string[] = ['openid', 'offline_access', 'profile', 'email'];
export const DEFAULT_REGISTRATION_SCOPES: readonly string[] = STANDARD_SCOPES;

/**
 * Why a scope may not be offered to self-registered clients, or undefined when it may.
 * Admin API scopes and Gatehouse's own markers (`token-exchange:…`) are decided by an
 * administrator per client, never by the client itself.
 */
export function unregistrableScope(scope: string, apiScopes: readonly string[]): string | undefined {
  if (scope.startsWith('admin:') || scope.startsWith('token-exchange:')) return 'is only ever given by an administrator';
  if (!STANDARD_SCOPES.includes(scope) && !apiScopes.includes(scope)) return 'is neither a standard scope nor in API_SCOPES';
  return undefined;
}
