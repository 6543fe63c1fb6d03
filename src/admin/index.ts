import type Provider from 'oidc-provider';

import type { ApiKeyService } from '../security/api-keys.ts';
import type { SecretHasher } from '../security/client-secrets.ts';
import type { ClientDirectory } from '../stores/client-directory.ts';
import type { ApiKeyStore } from '../stores/api-keys.ts';
import type { ResourceServerStore } from '../stores/resource-servers.ts';
import { adminRouter } from './router.ts';
import type { AuditStore } from '../stores/audit.ts';
import { auditEventRoutes } from './routes/audit-events.ts';
import { webhookRoutes, type WebhookRouteDeps } from './routes/webhooks.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { clientRoutes, type ClientRouteDeps } from './routes/clients.ts';
import { serviceAccountRoutes } from './routes/service-accounts.ts';
import { resourceServerRoutes } from './routes/resource-servers.ts';
import { whoamiRoutes } from './routes/whoami.ts';
import { registrationRoutes, type RegistrationRouteDeps } from './routes/registrations.ts';
import { grantRoutes, type GrantRouteDeps } from './routes/grants.ts';
import { keyRoutes } from './routes/keys.ts';
import type { KeyRing } from '../oidc/key-ring.ts';
import type { AuditSink } from '../audit/events.ts';
import { accountRoutes } from './routes/accounts.ts';
import { invitationRoutes } from './routes/invitations.ts';
import { membershipRoutes } from './routes/memberships.ts';
import { organizationRoutes } from './routes/organizations.ts';
import { tenancyDeps, type TenancyDeps } from './routes/tenancy.ts';
import { ADMIN_SCOPES, adminResourceFor } from './scopes.ts';
import type { TenancyResolver } from '../security/tenancy.ts';
import type { Revocation } from '../security/revocation.ts';

export interface AdminDeps {
  provider: Provider;
  issuer: string;
  knownScopes: ReadonlySet<string>;
  apiKeys: ApiKeyService;
  apiKeyStore: ApiKeyStore;
  resourceServers: ResourceServerStore;
  clients: ClientDirectory;
  secrets: Pick<SecretHasher, 'hash'>;
  tenancy: TenancyDeps;
  grants: Omit<GrantRouteDeps, 'tenancy' | 'provider'>;
  signingKeys: Pick<KeyRing, 'list' | 'rotate' | 'refresh'>;
  audit?: AuditSink;
  /** The audit log to query (GET /audit-events); every write route is recorded through `audit`. */
  auditEvents: Pick<AuditStore, 'list'>;
  webhooks: WebhookRouteDeps;
  /** Tenant and roles of a person's sign-in, for their access tokens at this API. */
  tenancyResolver?: TenancyResolver;
  /** Access tokens revoked with their client, account or grant are refused (security/revocation.ts). */
  revocation?: Pick<Revocation, 'isRevoked'>;
  /** Where clients' `backchannel_logout_uri`s may point (config.backchannelLogout). */
  backchannelPolicy?: ClientRouteDeps['backchannelPolicy'];
  /** Where clients' `jwks_uri`s may point (config.clientUrls). */
  clientUrlPolicy?: ClientRouteDeps['clientUrlPolicy'];
  /** Dynamic client registration's tokens and clients; undefined when REGISTRATION=off (no routes then). */
  registration?: RegistrationRouteDeps;
}

/** Every admin API route, in the order the OpenAPI document lists them. */
export function adminRoutes(deps: AdminDeps) {
  return [
    ...whoamiRoutes,
    ...apiKeyRoutes({ service: deps.apiKeys, store: deps.apiKeyStore }),
    ...resourceServerRoutes({ store: deps.resourceServers, knownScopes: deps.knownScopes }),
    ...clientRoutes({
      directory: deps.clients, secrets: deps.secrets, provider: deps.provider, backchannelPolicy: deps.backchannelPolicy, clientUrlPolicy: deps.clientUrlPolicy,
    }),
    ...(deps.registration ? registrationRoutes(deps.registration) : []),
    ...serviceAccountRoutes({
      directory: deps.clients, secrets: deps.secrets, provider: deps.provider, knownScopes: deps.knownScopes, clientUrlPolicy: deps.clientUrlPolicy,
    }),
    ...organizationRoutes(tenancyDeps(deps)),
    ...accountRoutes(tenancyDeps(deps)),
    ...invitationRoutes(tenancyDeps(deps)),
    ...membershipRoutes(tenancyDeps(deps)),
    ...grantRoutes({ ...deps.grants, tenancy: deps.tenancy, provider: deps.provider }),
    ...keyRoutes({ ring: deps.signingKeys }),
    ...auditEventRoutes({ store: deps.auditEvents }),
    ...webhookRoutes(deps.webhooks),
  ];
}

export function createAdminApi(deps: AdminDeps) {
  return adminRouter({
    provider: deps.provider, apiKeys: deps.apiKeys, issuer: deps.issuer,
    adminResource: adminResourceFor(deps.issuer), routes: adminRoutes(deps), tenancy: deps.tenancyResolver,
    ...(deps.audit && { audit: deps.audit }),
    ...(deps.revocation && { revocation: deps.revocation }),
  });
}

/**
 * The admin API is itself a resource server (RFC 8707): a service account asks for
 * `resource=<issuer>/api/v1` with admin scopes and gets an opaque, revocable token.
 */
export const adminResourceServer = (issuer: string) => ({
  identifier: adminResourceFor(issuer), scope: ADMIN_SCOPES.join(' '), accessTokenFormat: 'opaque' as const,
});
