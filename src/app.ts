import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import Router from '@koa/router';
import type Koa from 'koa';
import compose from 'koa-compose';
import type Provider from 'oidc-provider';

import type { Config } from './config/index.ts';
import { demoRouter } from './demo/router.ts';
import { bodyLimit } from './http/body-limit.ts';
import { onlyUnder } from './http/path-gate.ts';
import { errorHandler } from './http/error-handler.ts';
import { securityHeaders } from './http/security-headers.ts';
import { createProviderPages } from './interactions/pages.ts';
import { interactionRouter, type Authenticator } from './interactions/router.ts';
import { createRenderer } from './interactions/views.ts';
import { healthRouter, type Probe } from './observability/health.ts';
import type { Logger } from './observability/logger.ts';
import { metricsRouter } from './observability/metrics-endpoint.ts';
import type { Metrics } from './observability/metrics.ts';
import { requestObserver } from './observability/request-observer.ts';
import { observeProviderEvents } from './oidc/events.ts';
import type { AccountLookup } from './oidc/claims.ts';
import type { SecretHasher } from './security/client-secrets.ts';
import type { ClientDirectory } from './stores/client-directory.ts';
import type { AdapterFactory } from './oidc/adapter-guard.ts';
import type { ResourceServerStore } from './stores/resource-servers.ts';
import type { ApiKeyService } from './security/api-keys.ts';
import { createAdminApi, type AdminDeps } from './admin/index.ts';
import type { TenancyDeps } from './admin/routes/tenancy.ts';
import { invitationRouter } from './interactions/invitation.ts';
import type { ApiKeyStore } from './stores/api-keys.ts';
import type { AuditSink } from './audit/events.ts';
import { knownScopes } from './oidc/provider.ts';
import { apiKeys, extendIntrospection, jwtAccessTokens } from './oidc/introspection-extensions.ts';
import { enforceClientIpAllowLists } from './oidc/client-auth-ip.ts';
import { revokeJwtAccessTokens } from './oidc/revocation-extensions.ts';
import type { Revocation } from './security/revocation.ts';
import type { KeyRing } from './oidc/key-ring.ts';
import { createProvider } from './oidc/provider.ts';
import { createTenancyResolver } from './security/tenancy.ts';
import { requestLimits, type RateLimiting } from './security/rate-limit/index.ts';
import { deviceFlowPages } from './interactions/device-pages.ts';
import { limitUserCodeEntry, USER_CODE_TIER } from './interactions/device-limits.ts';
import { createMemoryRateLimiter } from './security/rate-limit/memory-limiter.ts';
import { devicePolling } from './oidc/device-polling.ts';
import { accountPages } from './account/index.ts';
import { assetsRouter } from './interactions/assets.ts';
import { createTheme } from './interactions/theme.ts';
import type { PasswordHasher } from './security/passwords.ts';
import type { BackchannelLogout } from './oidc/backchannel.ts';
import { hidePendingClients } from './oidc/registration-clients.ts';
import { listDestroyedOpaqueTokens } from './oidc/opaque-token-references.ts';
import { setUpRegistration } from './oidc/registration.ts';
import { registerTokenExchange } from './oidc/token-exchange.ts';
import { createJwtAccessTokenVerifier } from './oidc/jwt-access-tokens.ts';
import { adminResourceFor } from './admin/scopes.ts';
import { postAsGet } from './oidc/post-requests.ts';
import { rememberClients } from './oidc/client-memo.ts';
import type { ClientChanges } from './stores/invalidation-bus.ts';

export interface AppDeps {
  config: Config;
  logger: Logger;
  adapter: AdapterFactory;
  accounts: AccountLookup & Authenticator;
  secrets: SecretHasher;
  clients: ClientDirectory;
  resourceServers: ResourceServerStore;
  /** The signing keys, rotated in stages and reloaded live (oidc/key-ring.ts). */
  keyRing: KeyRing;
  probes: readonly Probe[];
  metrics: Metrics;
  apiKeys: ApiKeyService;
  apiKeyStore: ApiKeyStore;
  tenancy: TenancyDeps;
  grants: AdminDeps['grants'];
  /** Where audit events go (store, log, webhooks); never blocks a request. */
  audit: AuditSink;
  /** Revocation every node honours: introspection and the admin API consult it (security/revocation.ts). */
  revocation: Revocation;
  /** The audit log and webhooks as the admin API serves them (audit/index.ts). */
  auditAdmin: Pick<AdminDeps, 'auditEvents' | 'webhooks'>;
  /** Request rate limits and failed-login counters (security/rate-limit/). */
  rateLimiting: RateLimiting;
  /** Hashes the new password set on the account pages (security/passwords.ts). */
  passwords: Pick<PasswordHasher, 'hash'>;
  /** Back-channel logout delivery, in the background with retries (oidc/backchannel.ts). */
  backchannelLogout?: BackchannelLogout;
  /** Every change to a client: loaded clients are remembered until one (oidc/client-memo.ts). */
  clientChanges?: ClientChanges | undefined;
}

export interface App {
  /** The Koa application: node-oidc-provider's, with Gatehouse's middleware in front. */
  koa: Koa;
  provider: Provider;
}

/** Where Gatehouse's own pages and admin API live (and nothing of the provider's). */
const OWN_PATHS = /^\/(?:$|api\/|assets\/|account(?:\/|$)|invitations\/|demo\/|interaction\/)/;

const CSS = readFileSync(fileURLToPath(new URL('../views/assets/gatehouse.css', import.meta.url)));

/**
 * The one composition root: builds the HTTP application from config and stores. Nothing
 * here opens a connection; main.ts and the tests hand in what they opened.
 */
export function createApp(deps: AppDeps): App {
  const { config, logger } = deps;
  const theme = createTheme(config.theme);
  const render = createRenderer({ cache: !config.reloadViews, theme });
  const tenancy = createTenancyResolver(deps.tenancy);
  const provider = createProvider({
    tenancy,
    // A self-registered client waiting for approval does not exist for the provider (oidc/registration-clients.ts).
    config, adapter: listDestroyedOpaqueTokens(hidePendingClients(deps.adapter), deps.revocation), accounts: deps.accounts, secrets: deps.secrets, resourceServers: deps.resourceServers,
    signingKeys: deps.keyRing.providerKeys(), pages: createProviderPages(render), devicePages: deviceFlowPages(render),
    ...(deps.backchannelLogout && { backchannelLogout: deps.backchannelLogout }),
  });
  deps.keyRing.attach(provider);
  if (deps.clientChanges) rememberClients(provider, deps.clientChanges);

  // Client IP allow-lists wherever a client authenticates (token, introspection, revocation).
  enforceClientIpAllowLists(provider, { audit: deps.audit });
  observeProviderEvents(provider, { logger, metrics: deps.metrics, audit: deps.audit });

  const site = new Router();
  site.get('/', async function landingPage(ctx) {
    await render(ctx, 'index', { issuer: config.issuer, demo: !config.production });
  });
  site.get('/assets/gatehouse.css', function stylesheet(ctx) {
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = CSS;
  });

  const interactions = interactionRouter({
    provider, render, accounts: deps.accounts, tenancy, csrfKey: config.cookieKeys[0]!, issuer: config.issuer, audit: deps.audit,
    onLoginFailed: (reason) => deps.metrics.authenticationFailures.inc({ reason }),
    throttle: deps.rateLimiting.logins, onThrottleError: (err) => deps.rateLimiting.reportFailure('logins', err),
  });

  // Order: request id, log and metrics around everything; headers on everything; then
  // Gatehouse's own routes; then the provider's.
  provider.use(requestObserver({ logger, metrics: deps.metrics }));
  provider.use(securityHeaders({ https: config.issuer.startsWith('https:'), imageSources: theme.imageOrigin ? [theme.imageOrigin] : [] }));
  // Oversized bodies are refused before anything reads them (src/http/body-limit.ts).
  provider.use(bodyLimit({ maxBytes: config.maxBodyBytes, render }));
  // Rate limits come before anything that works on the request (security/rate-limit/).
  if (deps.rateLimiting.requests) {
    provider.use(requestLimits({
      limiter: deps.rateLimiting.requests, tiers: config.rateLimits.tiers, clients: provider.Client, apiKeys: deps.apiKeyStore,
      audit: deps.audit, render, onRefused: (endpoint) => deps.metrics.rateLimitRefusals.inc({ endpoint }),
      reportFailure: deps.rateLimiting.reportFailure,
    }));
  }
  // Device authorization grant (RFC 8628): user-code entry is rate limited per address
  // (§5.1), devices are told their polling interval and slowed down past it (§3.5). The
  // user-code limit guards against guessing codes, so RATE_LIMITS=off keeps it (per process).
  provider.use(onlyUnder(/^\/device$/, limitUserCodeEntry({
    limiter: deps.rateLimiting.requests ?? createMemoryRateLimiter(), tier: config.rateLimits.tiers['user_code'] ?? USER_CODE_TIER,
    render, audit: deps.audit, onFailure: (err) => deps.rateLimiting.reportFailure('requests', err),
  })));
  provider.use(onlyUnder(/^\/(?:token|device\/auth)$/, devicePolling({
    intervalSeconds: config.devicePollInterval, limiter: deps.rateLimiting.requests,
    onFailure: (err) => deps.rateLimiting.reportFailure('requests', err),
  })));
  const jwks = () => deps.keyRing.publicJwks() as never;
  // Exchanged tokens die with what they were exchanged from (oidc/token-exchange-sources.ts).
  const sources = { revocation: deps.revocation, apiKeys: deps.apiKeyStore };
  provider.use(onlyUnder(/^\/token\/introspection$/, extendIntrospection([
    jwtAccessTokens({
      issuer: config.issuer, jwks, revocation: deps.revocation, clientExists: async (id) => Boolean(await provider.Client.find(id)), sources,
    }),
    apiKeys(deps.apiKeys),
  ], { revocation: deps.revocation, sources })));
  // RFC 8693 token exchange (TOKEN_EXCHANGE=on; docs/token-exchange.md).
  if (config.tokenExchange.enabled) {
    registerTokenExchange(provider, {
      provider, jwt: createJwtAccessTokenVerifier({ issuer: config.issuer, jwks }), apiKeys: deps.apiKeys, revocation: deps.revocation,
      apiKeyStore: deps.apiKeyStore,
      ttlSeconds: config.tokenExchange.ttlSeconds, resourceServers: deps.resourceServers, adminResource: adminResourceFor(config.issuer),
    });
  }
  // RFC 7591 / RFC 7592 dynamic client registration (REGISTRATION; docs/registration.md).
  const registration = setUpRegistration(provider, {
    config: config.registration, issuer: config.issuer, adapter: deps.adapter, directory: deps.clients, secrets: deps.secrets,
    audit: deps.audit, limiter: deps.rateLimiting.requests, tiers: config.rateLimits.tiers, urlPolicy: config.clientUrls,
    onError: (err, what) => logger.warn({ err }, what),
  });
  provider.use(onlyUnder(/^\/token\/revocation$/, revokeJwtAccessTokens({
    issuer: config.issuer, jwks, revocation: deps.revocation, onError: (err) => logger.error({ err }, 'revoking a JWT access token failed'),
  })));
  provider.use(onlyUnder(/^\/(?:healthz|readyz)$/, healthRouter(deps.probes).routes() as Koa.Middleware));
  if (config.metrics.token) {
    const { registry } = deps.metrics;
    provider.use(onlyUnder(/^\/metrics$/, metricsRouter({ contentType: registry.contentType, body: () => registry.metrics() }, config.metrics.token).routes() as Koa.Middleware));
  }
  provider.use(errorHandler({ render, logger }));
  // POST at /auth and /session/end, served as a GET so that session cookies stay SameSite=Lax.
  provider.use(onlyUnder(/^\/(?:auth|session\/end)$/, postAsGet()));
  registration.mount();
  const admin = createAdminApi({
    provider, issuer: config.issuer, knownScopes: new Set(knownScopes(config)),
    apiKeys: deps.apiKeys, apiKeyStore: deps.apiKeyStore, resourceServers: deps.resourceServers, tenancy: deps.tenancy,
    clients: deps.clients, secrets: deps.secrets, grants: deps.grants, signingKeys: deps.keyRing, tenancyResolver: tenancy, audit: deps.audit,
    revocation: deps.revocation, backchannelPolicy: config.backchannelLogout, clientUrlPolicy: config.clientUrls,
    ...(registration.tokens && { registration: { tokens: registration.tokens, directory: deps.clients } }),
    ...deps.auditAdmin,
  });
  // Gatehouse's own pages and APIs, in one group that only requests under their paths enter:
  // the provider's endpoints (/token, /auth, /me, …) do not walk these routers at all.
  provider.use(onlyUnder(OWN_PATHS, compose(([
    admin.routes(), admin.allowedMethods(), site.routes(), assetsRouter({ theme }).routes(),
    accountPages(deps, { provider, render, tenancy }).routes(),
    invitationRouter({ invitations: deps.tenancy.invitations, render, csrfKey: config.cookieKeys[0]!, issuer: config.issuer }).routes(),
    ...(config.production ? [] : [demoRouter({ render, issuer: config.issuer }).routes()]),
    interactions.routes(), interactions.allowedMethods(),
  ] as Koa.Middleware[]))));

  return { koa: provider, provider };
}
