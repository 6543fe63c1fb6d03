import type { Configuration } from 'oidc-provider';

import type { Config } from '../config/index.ts';

type Features = NonNullable<Configuration['features']>;

/**
 * Pushed authorization requests (RFC 9126): a client POSTs its authorization request to
 * `/request` (authenticated like at the token endpoint) and sends only the `request_uri`
 * it gets back to `/auth`, so the parameters never pass through the browser.
 *
 * node-oidc-provider keeps each pushed request for 60 seconds (§2.2: short-lived), binds it
 * to the pushing client (the stored request names it, and /auth refuses it for another
 * client_id) and consumes it when the authorization response is sent (§4: one-time use).
 * Unregistered redirect URIs stay refused (§2.4 would allow them for authenticated
 * clients; Gatehouse keeps exact registered redirect URIs everywhere).
 */
export function par(config: Config['par']): Pick<Features, 'pushedAuthorizationRequests'> {
  return {
    pushedAuthorizationRequests: {
      enabled: config.enabled,
      requirePushedAuthorizationRequests: config.required,
      allowUnregisteredRedirectUris: false,
    },
  };
}
