import { errors, type KoaContextWithOIDC } from 'oidc-provider';

/**
 * Client credentials must not silently drop a scope the client asked for.
 *
 * node-oidc-provider quietly removes scope values it does not know from a client
 * credentials request (lib/shared/check_resource.js) and issues a token for the rest.
 * For a service that is a surprise at the resource server, so Gatehouse refuses the
 * request instead: RFC 6749 §5.2 `invalid_scope` ("unknown ... or exceeds the scope
 * granted"). `resourceIndicators.defaultResource` is the one public hook that runs with
 * the parsed request before that filtering, hence its use here.
 *
 * At the authorization endpoint unknown values keep being ignored, as OIDC Core §3.1.2.1
 * asks; a known scope outside the client's registered `scope` is refused there by
 * node-oidc-provider itself.
 */
export function rejectUnknownClientCredentialsScopes(knownScopes: ReadonlySet<string>) {
  return function defaultResource(ctx: KoaContextWithOIDC, client: { scope?: string | undefined }, oneOf?: readonly string[]) {
    const { params, route } = ctx.oidc;
    if (route === 'token' && params?.grant_type === 'client_credentials' && typeof params.scope === 'string') {
      const allowed = client.scope ? new Set(client.scope.split(' ')) : knownScopes;
      for (const scope of params.scope.split(' ')) {
        if (!knownScopes.has(scope) || !allowed.has(scope)) {
          throw new errors.InvalidScope('requested scope is not allowed', scope);
        }
      }
    }
    return oneOf;
  };
}
