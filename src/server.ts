import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';

import type Provider from 'oidc-provider';

import { adminResourceServer } from './admin/index.ts';
import { accountClient } from './account/index.ts';
import { createApp } from './app.ts';
import { knownScopes } from './oidc/provider.ts';
import type { Config } from './config/index.ts';
import type { Logger } from './observability/logger.ts';
import { listenForMetrics } from './observability/metrics-endpoint.ts';
import { createMetrics, gaugePasswordHashes, gaugeRevocationCopy, type Metrics } from './observability/metrics.ts';
import { hashingSlots, poolSizeOf } from './process-tuning.ts';
import { createApiKeyService, type ApiKeyService } from './security/api-keys.ts';
import { createSecretHasher } from './security/client-secrets.ts';
import { checkCredentials } from './security/credentials.ts';
import { openRateLimiting } from './security/rate-limit/index.ts';
import { createPasswordHasher } from './security/passwords.ts';
import { createInvitationService } from './security/invitations.ts';
import { createRoles } from './security/roles.ts';
import { createAccountAccessEnder, revokeGrant, trackAccountAccess, withGrantRevocation } from './oidc/revoke-grants.ts';
import { createRevocation, longestAccessTokenTtl, revokeTokensOnRemove } from './security/revocation.ts';
import { importSeed, parseSeed, type SeedSummary } from './seed/index.ts';
import { seedDepsFromStores } from './seed/store-deps.ts';
import { openStores, type Stores } from './stores/index.ts';
import { createKeyRing } from './oidc/key-ring.ts';
import type { SigningKeyStore } from './stores/signing-keys.ts';
import { createAuditLog } from './audit/index.ts';
import type { Scheduler } from './audit/webhook-dispatcher.ts';
import { createBackchannelLogout } from './oidc/backchannel.ts';
import { sweepUnusedClients } from './oidc/registration-clients.ts';
import { tlsServerOptions } from './oidc/mtls-listener.ts';

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
  /**
   * Signing keys from elsewhere than the configured store: lets several processes without
   * MongoDB sign alike (the multi-node tests). Production shares them through MongoDB.
   */
  signingKeyStore?: SigningKeyStore;
  /** Tests: the timers back-channel logout retries wait on. */
  backchannelSchedule?: Scheduler;
}

export async function startGatehouse(config: Config, logger: Logger, options: StartOptions = {}): Promise<Running> {
  const metrics: Metrics = createMetrics();
  const stores = await openStores(config, logger, (backend, operation, seconds) => {
    metrics.storeDuration.observe({ backend, operation }, seconds);
  });
  if (stores.revocationCopyCurrent) gaugeRevocationCopy(metrics, stores.revocationCopyCurrent);
  const rateLimiting = await openRateLimiting(config, logger, { onFailure: (limiter) => metrics.rateLimitFailures.inc({ limiter }) });
  try {
    await stores.prepare();
    // First, so everything built after it can record audit events.
    const auditLog = createAuditLog({ config, logger, metrics, stores });
    const keyRing = await createKeyRing({
      store: options.signingKeyStore ?? stores.signingKeys, rotateAfterDays: config.keys.rotateAfterDays, retainRetiredSeconds: config.keys.retainRetiredSeconds,
      // Every rotation, asked for or scheduled, is logged and audited here, once.
      onRotated: (event) => {
        logger.info({ keys: event }, 'signing keys rotated');
        auditLog.sink.record({ type: 'key.rotated', actor: event.by ?? 'system', reason: event.by ? 'requested' : 'scheduled', details: event });
      },
    });
    await stores.resourceServers.upsert(adminResourceServer(config.issuer));
    // The account pages' own sign-in client, in every deployment (account/client.ts).
    await stores.clients.save(accountClient(config.issuer, config.theme.name));
    const passwords = createPasswordHasher({
      ...config.argon2, concurrency: hashingSlots(poolSizeOf(process.env.UV_THREADPOOL_SIZE), availableParallelism(), config.workers),
    });
    gaugePasswordHashes(metrics, () => passwords.load());
    const secrets = createSecretHasher(config.secretPepper);
    const accounts = {
      // A disabled account is unknown to the provider: its sessions and refresh tokens stop working.
      findById: async (id: string) => { const a = await stores.accounts.findById(id); return a?.disabledAt ? undefined : a; },
      authenticate: (email: string, password: string) => checkCredentials(stores.accounts, passwords, email, password),
    };
    const apiKeys = createApiKeyService({
      store: stores.apiKeys, pepper: config.secretPepper, env: config.apiKeys.env,
      defaultExpiresInDays: config.apiKeys.defaultExpiresInDays, maxExpiresInDays: config.apiKeys.maxExpiresInDays,
      onError: (err, where) => logger.warn({ err, ...where }, 'api key bookkeeping failed'),
      rateLimitTiers: Object.keys(config.rateLimits.tiers),
    });
    // Revoking a grant, client or account reaches its JWTs too, on every node (security/revocation.ts).
    const revocation = createRevocation({
      list: stores.revocations, maxTokenTtlSeconds: longestAccessTokenTtl(config), metrics, audit: auditLog.sink,
    });
    const adapter = withGrantRevocation(stores.adapter, revocation);
    const tenancy = {
      accounts: stores.accounts, organizations: stores.organizations, memberships: stores.memberships, roles: createRoles(config.roles),
      invitations: createInvitationService({
        store: stores.invitations, accounts: stores.accounts, memberships: stores.memberships, passwords, pepper: config.secretPepper, issuer: config.issuer,
      }),
      endAccess: createAccountAccessEnder({ adapter, store: stores.accountAccess, revocation }),
    };
    // Logout tokens go out in the background, retried; shutdown cancels waiting retries.
    const backchannelLogout = createBackchannelLogout({ config, logger, ...(options.backchannelSchedule && { schedule: options.backchannelSchedule }) });
    // Deleting a client through this directory revokes its tokens too.
    const clients = revokeTokensOnRemove(stores.clients, revocation);
    const { koa, provider } = createApp({
      config, logger, adapter, accounts, secrets, keyRing, probes: stores.probes,
      resourceServers: stores.resourceServers, metrics, apiKeys, apiKeyStore: stores.apiKeys, tenancy,
      clients, revocation,
      grants: { access: stores.accountAccess, revokeGrant: (id) => revokeGrant(adapter, id) },
      audit: auditLog.sink,
      auditAdmin: auditLog.admin,
      rateLimiting,
      passwords,
      backchannelLogout,
      clientChanges: stores.clientChanges,
    });
    trackAccountAccess(provider, stores.accountAccess, (err) => logger.warn({ err }, 'recording an account grant or session failed'));

    let seeded: SeedSummary | undefined;
    if (config.seedPath) {
      const seed = await parseSeed(config.seedPath, { vars: config.seedVars });
      seeded = await importSeed(seed, seedDepsFromStores(stores, {
        passwords, secrets, apiKeys, roles: tenancy.roles, knownScopes: new Set(knownScopes(config)),
        validateClient: async (metadata) => { await provider.Client.validate(metadata); },
      }));
    }

    // Picks up rotations made on other nodes, drops expired retired keys, rotates when due.
    const keyTimer = setInterval(() => {
      keyRing.refresh().catch((err: unknown) => logger.warn({ err }, 'refreshing signing keys failed'));
    }, config.keys.refreshSeconds * 1000);
    keyTimer.unref();
    // Self-registered clients that never got a token expire (REGISTRATION_UNUSED_TTL_DAYS).
    const sweepTimer = config.registration.mode === 'off' ? undefined : setInterval(() => {
      sweepUnusedClients({ directory: clients, unusedTtlDays: config.registration.unusedTtlDays, audit: auditLog.sink })
        .catch((err: unknown) => logger.warn({ err }, 'deleting unused self-registered clients failed'));
    }, 3_600_000);
    sweepTimer?.unref();

    // TLS_CERT_FILE: Gatehouse terminates TLS itself and can see client certificates (oidc/mtls-listener.ts).
    const tls = config.mtls.tls;
    const server: Server = tls ? createHttpsServer(tlsServerOptions(tls), koa.callback()) : createServer(koa.callback());
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
      url: `${tls ? 'https' : 'http'}://localhost:${port}`,
      server,
      provider,
      stores,
      seeded,
      generatedKeys: keyRing.generated,
      metrics,
      apiKeys,
      async close() {
        clearInterval(keyTimer);
        clearInterval(sweepTimer);
        metricsServer?.close();
        await stopServer(server, config.shutdownTimeoutMs);
        backchannelLogout.close();
        // The requests are done: write the audit events they queued before the stores go.
        await auditLog.close();
        await rateLimiting.close();
        await stores.close();
      },
    };
  } catch (err) {
    await rateLimiting.close();
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
