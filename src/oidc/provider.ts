import Provider, { errors, type Configuration, type JWK, type KoaContextWithOIDC } from 'oidc-provider';

import type { Config } from '../config/index.ts';
import { claims, createExtraTokenClaims, createFindAccount, type AccountLookup } from './claims.ts';
import type { TenancyResolver } from '../security/tenancy.ts';
import { isPreviousClientSecret, useHashedClientSecrets, type SecretVerifier } from './client-secrets.ts';
import { guardAdapters, type AdapterFactory } from './adapter-guard.ts';
import { features, type LogoutPages } from './features.ts';
import { clientIdMetadataDocument } from './client-id-metadata.ts';
import { IMPERSONATE_SCOPE, withExchangeClaims } from './token-exchange.ts';
import { dpop } from './dpop.ts';
import { mtls, mtlsClientAuthMethods } from './mtls.ts';
import { par } from './par.ts';
import { jwtIntrospection } from './jwt-introspection.ts';
import { backchannelLogout, type BackchannelLogout } from './backchannel.ts';
import { deferLogoutTokens } from './backchannel-fetch.ts';
import { keepExpiredDeviceCodes } from './device-polling.ts';
import type { DeviceFlowPages } from '../interactions/device-pages.ts';
import { withGrantReference } from './revoke-grants.ts';
import { createResourceServerLookup } from './resource-servers.ts';
import type { ResourceServerStore } from '../stores/resource-servers.ts';
import { ttl } from './ttl.ts';
import { providerCookies } from './cookies.ts';
import { TIER_NAME } from '../security/rate-limit/tiers.ts';
import { FETCHED_DOCUMENT_LIMIT, guardedFetch } from '../http/guarded-fetch.ts';
import { ADMIN_SCOPES } from '../admin/scopes.ts';

export interface ProviderPages extends LogoutPages {
  renderError(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }, error: Error): Promise<void>;
}

export interface ProviderDeps {
  config: Config;
  adapter: AdapterFactory;
  accounts: AccountLookup;
  secrets: SecretVerifier;
  resourceServers: Pick<ResourceServerStore, 'find'>;
  /** Private signing JWKs, ES256 first: it is the default ID token algorithm. */
  signingKeys: JWK[];
  pages: ProviderPages;
  /** The device authorization grant's pages (RFC 8628); the server always gives them. */
  devicePages?: DeviceFlowPages;
  /** Tenant and roles of accounts: `org_id` / `roles` claims. */
  tenancy?: TenancyResolver;
  /** Delivers back-channel logout tokens in the background, with retries (oidc/backchannel*.ts). */
  backchannelLogout?: Pick<BackchannelLogout, 'enqueue'>;
}

/** Standard OIDC scopes, the API scopes configured for this deployment, and the admin API's. */
export function knownScopes(config: Config): string[] {
  return [
    'openid', 'offline_access', 'profile', 'email', ...config.scopes, ...ADMIN_SCOPES,
    // Only in clients' registered scope, where an administrator puts it (oidc/token-exchange.ts).
    ...(config.tokenExchange.enabled ? [IMPERSONATE_SCOPE] : []),
  ];
}

/** Builds node-oidc-provider from its per-concern pieces; see DESIGN.md "The shape". */
export function createProvider(deps: ProviderDeps): Provider {
  const { config, pages } = deps;
  const configuration: Configuration = {
    // Expired device codes stay findable for a while, so a device is told expired_token.
    adapter: keepExpiredDeviceCodes(guardAdapters(deps.adapter)),
    findAccount: createFindAccount(deps.accounts, deps.tenancy),
    claims,
    // `gid`: revoking a grant reaches its JWT access tokens (oidc/revoke-grants.ts); a
    // token exchange's claims are about its subject, not the caller (oidc/token-exchange.ts).
    extraTokenClaims: withExchangeClaims(withGrantReference(createExtraTokenClaims(deps.tenancy))),
    scopes: knownScopes(config),
    jwks: { keys: deps.signingKeys },
    cookies: providerCookies(config),
    features: {
      ...features(pages, new Set(knownScopes(config)), createResourceServerLookup(deps.resourceServers), deps.devicePages),
      // Each behind its own switch: DPOP, PAR, JWT_INTROSPECTION (docs/dpop.md, docs/par.md, docs/jwt-introspection.md).
      ...dpop(config.dpop), ...par(config.par), ...jwtIntrospection(config.jwtIntrospection),
      // BACKCHANNEL_LOGOUT (docs/backchannel-logout.md).
      ...backchannelLogout(config.backchannelLogout),
      // CLIENT_ID_METADATA_DOCUMENT (docs/registration.md).
      clientIdMetadataDocument: clientIdMetadataDocument(config.registration, { policy: config.clientUrls }),
      // MTLS (RFC 8705; docs/mtls.md).
      ...mtls(config.mtls),
    },
    ttl: ttl(config),
    // Only the authorization code flow: no implicit, no hybrid (RFC 9700 §2.1.2).
    responseTypes: ['code'],
    // PKCE for every client, public or confidential, unless PKCE_REQUIRED=public; S256 only
    // (RFC 9700 §2.1.1). A challenge a confidential client sends anyway is always checked.
    pkce: { required: config.pkceRequired === 'all' ? () => true : (_ctx, client) => client.clientAuthMethod === 'none' },
    // client_secret_jwt needs the plain secret, which Gatehouse never keeps.
    // tls_client_auth and self_signed_tls_client_auth only with MTLS=on (oidc/mtls.ts).
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt', ...mtlsClientAuthMethods(config.mtls)],
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256', 'RS256', 'EdDSA'],
      clientAuthSigningAlgValues: ['ES256', 'RS256', 'PS256', 'EdDSA'],
      // The algorithms Gatehouse holds signing keys for (RFC 9701 §6; RS256 is the default).
      introspectionSigningAlgValues: ['ES256', 'RS256', 'EdDSA'],
      userinfoSigningAlgValues: ['ES256', 'RS256', 'EdDSA'],
    },
    extraClientMetadata: {
      // Gatehouse's own metadata: a first-party client skips the consent page; org_id is
      // the owning organization; service accounts carry an IP allow-list; a rotated-out
      // secret's hash stays valid until it expires (client-secrets.ts); rate_limit_tier
      // names the client's rate-limit tier (security/rate-limit/).
      properties: ['first_party', 'org_id', 'service_account', 'ip_allow_list', 'client_secret_previous', 'rate_limit_tier'],
      validator(_ctx, key, value) {
        if (value === undefined) return;
        const bad = (why: string) => new errors.InvalidClientMetadata(`${key} ${why}`);
        if ((key === 'first_party' || key === 'service_account') && typeof value !== 'boolean') throw bad('must be a boolean');
        if (key === 'org_id' && (typeof value !== 'string' || !value)) throw bad('must be a non-empty string');
        if (key === 'ip_allow_list' && !(Array.isArray(value) && value.every((e) => typeof e === 'string'))) throw bad('must be an array of strings');
        if (key === 'client_secret_previous' && !isPreviousClientSecret(value)) throw bad('must be { hash, expires_at }');
        // A tier name only: a tier later removed from RATE_LIMIT_TIERS must not make the
        // client unloadable, so an unknown name falls back to `authenticated` at run time.
        if (key === 'rate_limit_tier' && !(typeof value === 'string' && TIER_NAME.test(value))) throw bad('must be a tier name');
      },
    },
    // A used refresh token is replaced by a new one on every use (RFC 9700 §4.14.2).
    rotateRefreshToken: true,
    allowOmittingSingleRegisteredRedirectUri: false,
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    renderError: pages.renderError,
    // URLs clients register are fetched only after the SSRF guard (CLIENT_URLS_* policy), and
    // only so much of them. Logout tokens are not fetched here but queued for delivery
    // (oidc/backchannel-fetch.ts).
    fetch: deps.backchannelLogout
      ? deferLogoutTokens(guardedFetch({ policy: config.clientUrls }), deps.backchannelLogout.enqueue)
      : guardedFetch({ policy: config.clientUrls }),
    fetchResponseBodyLimits: { jwks_uri: FETCHED_DOCUMENT_LIMIT, sector_identifier_uri: FETCHED_DOCUMENT_LIMIT },
  };

  const provider = new Provider(config.issuer, configuration);
  // Koa's ctx.ip: with `maxIpsCount` N, the N-th X-Forwarded-For entry from the right,
  // i.e. the address our own outermost proxy saw; entries further left are the caller's
  // word and are never used (IP allow-lists depend on it). See TRUST_PROXY.
  provider.proxy = config.trustProxy > 0;
  provider.maxIpsCount = config.trustProxy;
  useHashedClientSecrets(provider, deps.secrets);
  return provider;
}
