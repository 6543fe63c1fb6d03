import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type Provider from 'oidc-provider';

import { adminResourceServer } from './admin/index.ts';
import { createApp } from './app.ts';
import { knownScopes } from './oidc/provider.ts';
import type { Config } from './config/index.ts';
import type { Logger } from './observability/logger.ts';
import { listenForMetrics } from './observability/metrics-endpoint.ts';
import { createMetrics, type Metrics } from './observability/metrics.ts';
import { createApiKeyService, type ApiKeyService } from './security/api-keys.ts';
import { createSecretHasher } from './security/client-secrets.ts';
import { verifyCredentials } from './security/credentials.ts';
import { createPasswordHasher } from './security/passwords.ts';
import { createInvitationService } from './security/invitations.ts';
import { createRoles } from './security/roles.ts';
import { createAccountAccessEnder, revokeGrant, trackAccountAccess } from './oidc/revoke-grants.ts';
import { importSeed, parseSeed, type SeedSummary } from './seed/index.ts';
import { openStores, type Stores } from './stores/index.ts';
import { ensureSigningKeys } from './stores/signing-keys.ts';
import { discardAudit } from './audit/events.ts';

export interface Running {
  readonly url: string;
  readonly server: Server;
  readonly provider: Provider;
  readonly stores: Stores;
  readonly seeded: SeedSummary | undefined;
  readonly generatedKeys: boolean;
  readonly metrics: Metrics;
  readonly apiKeys: ApiKeyService;
  /** Stops accepting, lets in-flight requests finish (up to the timeout), closes stores. */
  close(): Promise<void>;
}

/** Opens the stores, builds the app, imports the seed and listens. Used by main.ts and tests. */
export interface StartOptions {
  /** Serve METRICS_PORT from this process (false in cluster workers: the primary aggregates). */
  metricsListener?: boolean;
}

export async function startGatehouse(config: Config, logger: Logger, options: StartOptions = {}): Promise<Running> {
  const metrics: Metrics = createMetrics();
  const stores = await openStores(config, logger, (backend, operation, seconds) => {
    metrics.storeDuration.observe({ backend, operation }, seconds);
  });
  try {
    await stores.prepare();
    const { keys, generated } = await ensureSigningKeys(stores.signingKeys);
    await stores.resourceServers.upsert(adminResourceServer(config.issuer));
    const passwords = createPasswordHasher(config.argon2);
    const secrets = createSecretHasher(config.secretPepper);
    const accounts = {
      // A disabled account is unknown to the provider: its sessions and refresh tokens stop working.
      findById: async (id: string) => { const a = await stores.accounts.findById(id); return a?.disabledAt ? undefined : a; },
      authenticate: (email: string, password: string) => verifyCredentials(stores.accounts, passwords, email, password),
    };
    const apiKeys = createApiKeyService({
      store: stores.apiKeys, pepper: config.secretPepper, env: config.apiKeys.env,
      defaultExpiresInDays: config.apiKeys.defaultExpiresInDays, maxExpiresInDays: config.apiKeys.maxExpiresInDays,
      onError: (err, where) => logger.warn({ err, ...where }, 'api key bookkeeping failed'),
    });
    const tenancy = {
      accounts: stores.accounts, organizations: stores.organizations, memberships: stores.memberships, roles: createRoles(config.roles),
      invitations: createInvitationService({
        store: stores.invitations, accounts: stores.accounts, memberships: stores.memberships, passwords, pepper: config.secretPepper, issuer: config.issuer,
      }),
      endAccess: createAccountAccessEnder({ adapter: stores.adapter, store: stores.accountAccess }),
    };
    const { koa, provider } = createApp({
      config, logger, adapter: stores.adapter, accounts, secrets, signingKeys: keys, probes: stores.probes,
      resourceServers: stores.resourceServers, metrics, apiKeys, apiKeyStore: stores.apiKeys, tenancy,
      clients: stores.clients,
      grants: { access: stores.accountAccess, revokeGrant: (id) => revokeGrant(stores.adapter, id) },
      signingKeyStore: stores.signingKeys,
      audit: discardAudit,
    });
    trackAccountAccess(provider, stores.accountAccess, (err) => logger.warn({ err }, 'recording an account grant or session failed'));

    let seeded: SeedSummary | undefined;
    if (config.seedPath) {
      const seed = await parseSeed(config.seedPath, { vars: config.seedVars });
      seeded = await importSeed(seed, {
        accounts: stores.accounts,
        passwords,
        secrets,
        validateClient: async (metadata) => { await provider.Client.validate(metadata); },
        upsertResourceServer: (server) => stores.resourceServers.upsert(server),
        knownScopes: new Set(knownScopes(config)),
        // Through the directory, so the admin API lists seeded clients too.
        upsertClient: (metadata) => stores.clients.save(metadata),
      });
    }

    const server = createServer(koa.callback());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const metricsServer = config.metrics.port !== undefined && options.metricsListener !== false
      ? await listenForMetrics({ contentType: metrics.registry.contentType, body: () => metrics.registry.metrics() }, {
        port: config.metrics.port, host: config.metrics.host,
      })
      : undefined;

    return {
      url: `http://localhost:${port}`,
      server,
      provider,
      stores,
      seeded,
      generatedKeys: generated,
      metrics,
      apiKeys,
      async close() {
        metricsServer?.close();
        await stopServer(server, config.shutdownTimeoutMs);
        await stores.close();
      },
    };
  } catch (err) {
    await stores.close();
    throw err;
  }
}

/** Graceful stop: no new connections, idle keep-alive sockets closed, in-flight requests finish. */
function stopServer(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), timeoutMs);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
