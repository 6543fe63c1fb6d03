import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';

import type { DeviceFlowPages } from '../interactions/device-pages.ts';
import type { createResourceServerLookup } from './resource-servers.ts';
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
export function features(
  pages: LogoutPages, knownScopes: ReadonlySet<string>, getResourceServerInfo: ReturnType<typeof createResourceServerLookup>,
  devicePages?: DeviceFlowPages,
): NonNullable<Configuration['features']> {
  return {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: {
      enabled: true,
      // RFC 7662 §2.1: the caller must be authorised. A confidential client (a resource
      // server) may introspect any token; a public client only its own.
      // A deleted client's tokens are inactive (RFC 7662 §2.2); node-oidc-provider's
      // introspection does not look the token's client up itself.
      async allowedPolicy(ctx, client, token) {
        if (token.clientId !== client.clientId && !(await ctx.oidc.provider.Client.find(token.clientId!))) return false;
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
      // Without a `resource` parameter, access tokens are opaque (userinfo, or client
      // credentials for introspection); with one, the registered resource server decides.
      getResourceServerInfo,
      defaultResource: rejectUnknownClientCredentialsScopes(knownScopes),
    },
    userinfo: { enabled: true },
    // A client that registered `userinfo_signed_response_alg` gets its userinfo as a signed
    // JWT (OIDC Core §5.3.2); the others get JSON, as before.
    jwtUserinfo: { enabled: true },
    // RFC 8628, for CLIs and TVs: `/device/auth`, and the person's pages at `/device`
    // (interactions/device-pages.ts). User codes are base-20 (no vowels, so no words and
    // no 0/O or 1/I mix-ups) in two groups of four: about 2^34.6, with entry rate-limited
    // (RFC 8628 §5.1; interactions/device-limits.ts). Always on, so a provider built only
    // to validate client metadata (seed/client-validator.ts) accepts device clients too.
    deviceFlow: { enabled: true, charset: 'base-20', mask: '****-****', ...devicePages },
  };
}
