import Provider, { errors, type Configuration, type JWK, type KoaContextWithOIDC } from 'oidc-provider';

import type { Config } from '../config/index.ts';
import { claims, createFindAccount, type AccountLookup } from './claims.ts';
import { isPreviousClientSecret, useHashedClientSecrets, type SecretVerifier } from './client-secrets.ts';
import { guardAdapters, type AdapterFactory } from './adapter-guard.ts';
import { features, type LogoutPages } from './features.ts';
import { createResourceServerLookup } from './resource-servers.ts';
import type { ResourceServerStore } from '../stores/resource-servers.ts';
import { ttl } from './ttl.ts';
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
}

/** Standard OIDC scopes, the API scopes configured for this deployment, and the admin API's. */
export function knownScopes(config: Config): string[] {
  return ['openid', 'offline_access', 'profile', 'email', ...config.scopes, ...ADMIN_SCOPES];
}

/** Builds node-oidc-provider from its per-concern pieces; see DESIGN.md "The shape". */
export function createProvider(deps: ProviderDeps): Provider {
  const { config, pages } = deps;
  const configuration: Configuration = {
    adapter: guardAdapters(deps.adapter),
    findAccount: createFindAccount(deps.accounts),
    claims,
    scopes: knownScopes(config),
    jwks: { keys: deps.signingKeys },
    cookies: { keys: [...config.cookieKeys] },
    features: features(pages, new Set(knownScopes(config)), createResourceServerLookup(deps.resourceServers)),
    ttl: ttl(config),
    // Only the authorization code flow: no implicit, no hybrid (RFC 9700 §2.1.2).
    responseTypes: ['code'],
    // PKCE for every client, public or confidential; S256 only (RFC 9700 §2.1.1).
    pkce: { required: () => true },
    // client_secret_jwt needs the plain secret, which Gatehouse never keeps.
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256', 'RS256'],
      clientAuthSigningAlgValues: ['ES256', 'RS256', 'PS256', 'EdDSA'],
    },
    extraClientMetadata: {
      // Gatehouse's own metadata: a first-party client skips the consent page; org_id is
      // the owning organization; service accounts carry an IP allow-list; a rotated-out
      // secret's hash stays valid until it expires (client-secrets.ts).
      properties: ['first_party', 'org_id', 'service_account', 'ip_allow_list', 'client_secret_previous'],
      validator(_ctx, key, value) {
        if (value === undefined) return;
        const bad = (why: string) => new errors.InvalidClientMetadata(`${key} ${why}`);
        if ((key === 'first_party' || key === 'service_account') && typeof value !== 'boolean') throw bad('must be a boolean');
        if (key === 'org_id' && (typeof value !== 'string' || !value)) throw bad('must be a non-empty string');
        if (key === 'ip_allow_list' && !(Array.isArray(value) && value.every((e) => typeof e === 'string'))) throw bad('must be an array of strings');
        if (key === 'client_secret_previous' && !isPreviousClientSecret(value)) throw bad('must be { hash, expires_at }');
      },
    },
    // A used refresh token is replaced by a new one on every use (RFC 9700 §4.14.2).
    rotateRefreshToken: true,
    allowOmittingSingleRegisteredRedirectUri: false,
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    renderError: pages.renderError,
  };

  const provider = new Provider(config.issuer, configuration);
  provider.proxy = config.trustProxy;
  useHashedClientSecrets(provider, deps.secrets);
  return provider;
}
