import { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

import { rejectUnknownClientCredentialsScopes } from './scope-policy.ts';

export interface LogoutPages {
  logoutSource(ctx: KoaContextWithOIDC, form: string): Promise<void>;
  postLogoutSuccessSource(ctx: KoaContextWithOIDC): Promise<void>;
}

/**
 * Which protocol features are on. Gatehouse renders its own interaction pages, so the
 * development interactions are off; everything else listed here is part of the core
 * profile (code + PKCE, client credentials, introspection, revocation, logout).
 */
export function features(pages: LogoutPages, knownScopes: ReadonlySet<string>): NonNullable<Configuration['features']> {
  return {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: {
      enabled: true,
      // RFC 7662 §2.1: the caller must be authorised. A confidential client (a resource
      // server) may introspect any token; a public client only its own.
      async allowedPolicy(ctx, client, token) {
        return client.clientAuthMethod !== 'none' || token.clientId === ctx.oidc.client?.clientId;
      },
    },
    revocation: {
      enabled: true,
      // RFC 7009 §2.1: a client may revoke only tokens issued to it. For another client's
      // token the answer is still 200 (§2.2), so token existence is not revealed.
      async allowedPolicy(_ctx, client, token) {
        return token.clientId === client.clientId;
      },
    },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: pages.logoutSource,
      postLogoutSuccessSource: pages.postLogoutSuccessSource,
    },
    resourceIndicators: {
      enabled: true,
      // No resource servers are registered yet: access tokens are for userinfo or, with
      // client credentials, opaque tokens for introspection. An unknown resource is
      // refused with invalid_target (RFC 8707 §2).
      async getResourceServerInfo() {
        throw new errors.InvalidTarget();
      },
      defaultResource: rejectUnknownClientCredentialsScopes(knownScopes),
    },
    userinfo: { enabled: true },
  };
}
