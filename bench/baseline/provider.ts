import { generateKeyPairSync, randomBytes } from 'node:crypto';

import Provider, { errors, type Configuration, type JWK } from 'oidc-provider';

import { BASELINE_SCOPES, type BaselineSeed } from './seed.ts';

const DAY = 24 * 60 * 60;

/**
 * The baseline: node-oidc-provider with its built-in in-memory adapter (no `adapter`
 * option) and the features Gatehouse switches on, with Gatehouse's default lifetimes and
 * policies. Everything Gatehouse adds on top (Redis storage, hashed secrets, its pages,
 * security headers, scope policy) is what the bench measures, so none of it is here.
 */
export function createBaselineProvider(issuer: string, seed: BaselineSeed): Provider {
  const byId = new Map([...seed.accounts.values()].map((a) => [a.id, a]));
  const configuration: Configuration = {
    clients: seed.clients,
    async findAccount(_ctx, sub) {
      const account = byId.get(sub);
      if (!account) return undefined;
      return {
        accountId: account.id,
        async claims() {
          return { sub: account.id, name: account.name, email: account.email, email_verified: false };
        },
      };
    },
    claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
    scopes: BASELINE_SCOPES,
    jwks: { keys: signingKeys() },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        async allowedPolicy(ctx, client, token) {
          return client.clientAuthMethod !== 'none' || token.clientId === ctx.oidc.client?.clientId;
        },
      },
      revocation: { enabled: true, async allowedPolicy(_ctx, client, token) { return token.clientId === client.clientId; } },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        async getResourceServerInfo(_ctx, resource) {
          const server = seed.resourceServers.get(resource);
          if (!server) throw new errors.InvalidTarget('resource indicator is not registered');
          return server;
        },
      },
      userinfo: { enabled: true },
    },
    // Gatehouse's defaults (src/config, src/oidc/ttl.ts).
    ttl: {
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? 3600,
      AuthorizationCode: 60,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? 3600,
      IdToken: 3600,
      Grant: 365 * DAY,
      Interaction: 3600,
      Session: 14 * DAY,
      RefreshToken: 14 * DAY,
    },
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    clientDefaults: {
      grant_types: ['authorization_code'], response_types: ['code'],
      id_token_signed_response_alg: 'ES256', token_endpoint_auth_method: 'client_secret_basic',
    },
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256', 'RS256'],
      clientAuthSigningAlgValues: ['ES256', 'RS256', 'PS256', 'EdDSA'],
    },
    rotateRefreshToken: true,
    allowOmittingSingleRegisteredRedirectUri: false,
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  };
  return new Provider(issuer, configuration);
}

/** ES256 first (signs ID tokens, as in Gatehouse), RS256 beside it. */
function signingKeys(): JWK[] {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  return [
    { ...ec, kid: 'baseline-es256', alg: 'ES256', use: 'sig' } as JWK,
    { ...rsa, kid: 'baseline-rs256', alg: 'RS256', use: 'sig' } as JWK,
  ];
}
