import { randomUUID } from 'node:crypto';

import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';

import { usesSecret } from '../admin/clients/metadata.ts';
import { withNewSecret } from '../admin/clients/secret.ts';
import { GatehouseError } from '../errors.ts';
import { jsonBody } from '../http/json-body.ts';
import { retryAfterSeconds, setRateLimitHeaders } from '../security/rate-limit/headers.ts';
import { addressKey } from '../security/rate-limit/identity.ts';
import type { RateLimitTier } from '../security/rate-limit/tiers.ts';
import type { StoredClient } from '../stores/client-directory.ts';
import { allowanceFor, bearerToken, clientUri, noStore, REGISTRATION_PATH, unauthorized, type RegistrationDeps } from './registration-http.ts';
import { managementHandlers } from './registration-management.ts';
import { applyPolicy, checkMetadataUrls, parseMetadata, registrationView, validateForProvider } from './registration-policy.ts';

/**
 * Open registrations per source address, unless RATE_LIMIT_TIERS names a `registration`
 * tier: a developer registers a few clients, a script registering thousands is abuse.
 */
export const REGISTRATION_TIER: RateLimitTier = Object.freeze({ name: 'registration', rate: 10, periodMs: 3_600_000, burst: 10 });

type Admission = { via: 'open' } | { via: 'initial_access_token'; iatId: string; orgId: string | undefined; refund(): Promise<void> };

/**
 * The registration endpoint (RFC 7591 §3) and the client configuration endpoint
 * (RFC 7592), served by Gatehouse rather than node-oidc-provider: the provider's would
 * store and echo the client secret in plain text, write past the client directory, and
 * know none of the policy below. Mounted only when REGISTRATION is not `off`.
 */
export function registrationRouter(deps: RegistrationDeps): Router {
  const { config, issuer } = deps;
  const seconds = () => Math.floor((deps.now ?? Date.now)() / 1000);
  const router = new Router();

  /** Who may register: the holder of an initial access token (one use of it), or, when open, anyone within the address quota. */
  async function admit(ctx: Context): Promise<Admission> {
    const token = bearerToken(ctx);
    if (token === undefined) {
      if (ctx.get('Authorization')) throw unauthorized(ctx, issuer, 'the Authorization header must be a Bearer token', true);
      if (config.mode !== 'open') throw unauthorized(ctx, issuer, 'an initial access token is required', false);
      await withinQuota(ctx);
      return { via: 'open' };
    }
    const used = await deps.tokens.useInitialAccessToken(token);
    if (!used) throw unauthorized(ctx, issuer, 'the initial access token is unknown, expired or used up', true);
    return { via: 'initial_access_token', iatId: used.record.id, orgId: used.record.orgId, refund: used.refund };
  }

  async function withinQuota(ctx: Context): Promise<void> {
    let state;
    try {
      [state] = await deps.limiter.take([{ key: `registration:ip:${addressKey(ctx.ip)}`, tier: deps.tier }]);
    } catch (err) {
      deps.onLimiterFailure?.(err); // fail open, like every rate limit
      return;
    }
    if (!state) return;
    setRateLimitHeaders(ctx, deps.tier, state);
    if (state.allowed) return;
    const retryAfter = retryAfterSeconds(state);
    ctx.set('Retry-After', String(retryAfter));
    deps.audit.record({
      type: 'rate_limit.refused', ip: ctx.ip, reason: 'rate_limited', target: 'endpoint:registration',
      details: { endpoint: 'registration', bucket: 'ip', tier: deps.tier.name, retry_after: retryAfter },
    });
    throw new GatehouseError(429, 'rate_limited', `too many registrations from this address; try again in ${retryAfter} seconds`);
  }

  router.post(REGISTRATION_PATH, jsonBody(), async function registerClient(ctx) {
    noStore(ctx);
    const admission = await admit(ctx);
    try {
      const fields = applyPolicy(parseMetadata(ctx.request.json), allowanceFor(config, admission.via));
      const now = seconds();
      const orgId = admission.via === 'initial_access_token' ? admission.orgId : undefined;
      let client: StoredClient = {
        ...fields, client_id: randomUUID(), client_id_issued_at: now, ...(orgId !== undefined && { org_id: orgId }),
        registered_dynamically: true, registered_at: now, registration_via: admission.via,
        ...(admission.via === 'initial_access_token' && { registration_iat: admission.iatId }),
        registration_status: config.approval === 'required' ? 'pending' : 'active',
      };
      let secret: string | undefined;
      // Generated here, shown in this response only; the directory keeps its keyed hash.
      if (usesSecret(client.token_endpoint_auth_method)) ({ client, secret } = withNewSecret(client, deps.secrets));
      await validateForProvider(deps.provider, client);
      await checkMetadataUrls(client, deps.urlGuard, deps.resolve);
      if (!(await deps.directory.create(client))) throw new Error('a fresh random client_id is taken');
      const registrationAccessToken = await deps.tokens.issueRegistrationAccessToken(client.client_id);
      ctx.status = 201;
      ctx.body = {
        ...registrationView(client),
        // RFC 7591 §3.2.1: client_secret_expires_at is required with a secret; 0: it does not expire.
        ...(secret !== undefined && { client_secret: secret, client_secret_expires_at: 0 }),
        registration_access_token: registrationAccessToken,
        registration_client_uri: clientUri(issuer, client.client_id),
      };
      deps.audit.record({
        type: 'client.registered', actor: admission.via === 'initial_access_token' ? `initial_access_token:${admission.iatId}` : 'anonymous',
        clientId: client.client_id, orgId, ip: ctx.ip, target: `client:${client.client_id}`,
        details: { via: admission.via, status: client.registration_status, grant_types: client.grant_types, scope: client.scope },
      });
    } catch (err) {
      // A refused registration does not use up the initial access token.
      if (admission.via === 'initial_access_token') await admission.refund();
      throw err;
    }
  });

  const manage = managementHandlers(deps);
  router.get(`${REGISTRATION_PATH}/:clientId`, manage.read);
  router.put(`${REGISTRATION_PATH}/:clientId`, jsonBody(), manage.update);
  router.delete(`${REGISTRATION_PATH}/:clientId`, manage.remove);
  return router;
}

/** Discovery (RFC 8414 §2 / OIDC Discovery §3) names the registration endpoint when registration is on. */
export function advertiseRegistration(issuer: string) {
  return async function registrationEndpointMetadata(ctx: Context, next: Next) {
    await next();
    const { oidc } = ctx as unknown as Partial<KoaContextWithOIDC>;
    if (oidc?.route === 'discovery' && ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
      (ctx.body as Record<string, unknown>).registration_endpoint = `${issuer}${REGISTRATION_PATH}`;
    }
  };
}
