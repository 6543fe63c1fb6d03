import { errors, type ResourceServer as ProviderResourceServer } from 'oidc-provider';

import type { ResourceServer, ResourceServerStore } from '../stores/resource-servers.ts';

/**
 * `resourceIndicators.getResourceServerInfo`: what an access token for `resource` looks
 * like. An unregistered resource is `invalid_target` (RFC 8707 §2). JWT access tokens
 * follow RFC 9068 (`typ: at+jwt`, `aud` = the resource) and are signed with ES256 unless
 * the resource server asks for RS256.
 */
export function createResourceServerLookup(store: Pick<ResourceServerStore, 'find'>) {
  return async function getResourceServerInfo(_ctx: unknown, resource: string): Promise<ProviderResourceServer> {
    const server = await store.find(resource);
    if (!server) throw new errors.InvalidTarget('resource indicator is not registered');
    return toProviderShape(server);
  };
}

function toProviderShape(server: ResourceServer): ProviderResourceServer {
  const info: ProviderResourceServer = {
    scope: server.scope,
    audience: server.identifier,
    accessTokenFormat: server.accessTokenFormat,
  };
  if (server.accessTokenTtl !== undefined) info.accessTokenTTL = server.accessTokenTtl;
  if (server.accessTokenFormat === 'jwt') info.jwt = { sign: { alg: server.jwtAlg ?? 'ES256' } };
  return info;
}
