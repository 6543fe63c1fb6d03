import type { Configuration } from 'oidc-provider';

import type { Config } from '../config/index.ts';

/**
 * Token and session lifetimes (seconds). Refresh tokens never outlive the grant they
 * belong to, and codes are single use and short-lived (RFC 6749 §4.1.2).
 */
export function ttl(config: Config): NonNullable<Configuration['ttl']> {
  const { ttl: t } = config;
  return {
    // A resource server's own access-token lifetime wins over the server-wide one.
    AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? t.accessToken,
    AuthorizationCode: t.authorizationCode,
    ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? t.clientCredentials,
    IdToken: t.idToken,
    Grant: t.grant,
    Interaction: t.interaction,
    Session: t.session,
    DeviceCode: t.deviceCode,
    BackchannelAuthenticationRequest: 600,
    // Rotation (RFC 9700 §4.14.2) issues a fresh refresh token with a full life on each use.
    RefreshToken: t.refreshToken,
  };
}
