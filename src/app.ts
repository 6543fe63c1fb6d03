import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import Router from '@koa/router';
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import type { JWK } from 'oidc-provider';

import type { Config } from './config/index.ts';
import { demoRouter } from './demo/router.ts';
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
import { toPublicJwk } from './stores/signing-keys.ts';
import { createProvider } from './oidc/provider.ts';

export interface AppDeps {
  config: Config;
  logger: Logger;
  adapter: AdapterFactory;
  accounts: AccountLookup & Authenticator;
  secrets: SecretHasher;
  clients: ClientDirectory;
  resourceServers: ResourceServerStore;
  signingKeys: JWK[];
  probes: readonly Probe[];
  metrics: Metrics;
  apiKeys: ApiKeyService;
  apiKeyStore: ApiKeyStore;
  tenancy: TenancyDeps;
  grants: AdminDeps['grants'];
  signingKeyStore: AdminDeps['signingKeys'];
  /** Where audit events go (store, log, webhooks); never blocks a request. */
  audit: AuditSink;
}

export interface App {
  /** The Koa application: node-oidc-provider's, with Gatehouse's middleware in front. */
  koa: Koa;
  provider: Provider;
}

const CSS = readFileSync(fileURLToPath(new URL('../views/assets/gatehouse.css', import.meta.url)));

/**
 * The one composition root: builds the HTTP application from config and stores. Nothing
 * here opens a connection; main.ts and the tests hand in what they opened.
 */
export function createApp(deps: AppDeps): App {
  const { config, logger } = deps;
  const render = createRenderer({ cache: config.production });
  const provider = createProvider({
    config, adapter: deps.adapter, accounts: deps.accounts, secrets: deps.secrets, resourceServers: deps.resourceServers,
    signingKeys: deps.signingKeys, pages: createProviderPages(render),
  });

  observeProviderEvents(provider, { logger, metrics: deps.metrics });

  const site = new Router();
  site.get('/', async function landingPage(ctx) {
    await render(ctx, 'index', { issuer: config.issuer });
  });
  site.get('/assets/gatehouse.css', function stylesheet(ctx) {
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = CSS;
  });

  const interactions = interactionRouter({
    provider, render, accounts: deps.accounts, csrfKey: config.cookieKeys[0]!, issuer: config.issuer,
    onLoginFailed: () => deps.metrics.authenticationFailures.inc({ reason: 'invalid_credentials' }),
  });

  // Order: request id, log and metrics around everything; headers on everything; then
  // Gatehouse's own routes; then the provider's.
  provider.use(requestObserver({ logger, metrics: deps.metrics }));
  provider.use(securityHeaders({ https: config.issuer.startsWith('https:') }));
  provider.use(extendIntrospection([
    jwtAccessTokens({ issuer: config.issuer, jwks: { keys: deps.signingKeys.map(toPublicJwk) as never } }),
    apiKeys(deps.apiKeys),
  ]));
  provider.use(healthRouter(deps.probes).routes());
  if (config.metrics.token) {
    const { registry } = deps.metrics;
    provider.use(metricsRouter({ contentType: registry.contentType, body: () => registry.metrics() }, config.metrics.token).routes());
  }
  provider.use(errorHandler({ render, logger }));
  const admin = createAdminApi({
    provider, issuer: config.issuer, knownScopes: new Set(knownScopes(config)),
    apiKeys: deps.apiKeys, apiKeyStore: deps.apiKeyStore, resourceServers: deps.resourceServers, tenancy: deps.tenancy,
    clients: deps.clients, secrets: deps.secrets, grants: deps.grants, signingKeys: deps.signingKeyStore,
  });
  provider.use(admin.routes());
  provider.use(admin.allowedMethods());
  provider.use(site.routes());
  provider.use(invitationRouter({ invitations: deps.tenancy.invitations, render, csrfKey: config.cookieKeys[0]!, issuer: config.issuer }).routes());
  if (!config.production) provider.use(demoRouter({ render, issuer: config.issuer }).routes());
  provider.use(interactions.routes());
  provider.use(interactions.allowedMethods());

  return { koa: provider, provider };
}
