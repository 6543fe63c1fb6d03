import { runAutocannon, type FixedRequest } from '../lib/autocannon.ts';
import { FORM, form, httpClient } from '../lib/http.ts';
import { clientCredentials, introspect, RESOURCE_SERVER, SERVICE } from '../lib/oauth.ts';
import type { Side, Target } from '../lib/types.ts';

/** A client-credentials token request of the bench service (client_secret_basic). */
export function clientCredentialsRequest(target: Target, params: Record<string, string> = {}): FixedRequest {
  return {
    url: `${target.url}/token`, method: 'POST',
    headers: { authorization: SERVICE.auth, 'content-type': FORM, accept: 'application/json' },
    body: form({ grant_type: 'client_credentials', scope: 'api:read', ...params }),
  };
}

/** Client credentials as a fixed autocannon request. */
export function clientCredentialsSide(target: Target, params: Record<string, string> = {}, label = target.name): Side {
  const request = clientCredentialsRequest(target, params);
  return { label, target, run: (window) => runAutocannon(request, window) };
}

/** Introspection of one token by the bench resource server, repeated. */
export function introspectionSide(target: Target, token: string, label = target.name): Side {
  return {
    label,
    target,
    run: (window) => runAutocannon({
      url: `${target.url}/token/introspection`, method: 'POST',
      headers: { authorization: RESOURCE_SERVER.auth, 'content-type': FORM, accept: 'application/json' },
      body: form({ token }),
    }, window),
  };
}

/** A fresh opaque client-credentials token, checked to introspect as active. */
export async function activeOpaqueToken(target: Target): Promise<string> {
  const http = httpClient(target.url, 1);
  try {
    const { access_token: token } = await clientCredentials(http);
    const answer = await introspect(http, token);
    if (!answer.active) throw new Error(`${target.name}: a fresh client-credentials token introspects as inactive`);
    return token;
  } finally {
    http.close();
  }
}

/** The baseline's opaque introspection: the reference of every introspection scenario. */
export async function baselineOpaqueIntrospection(baseline: Target): Promise<Side> {
  return introspectionSide(baseline, await activeOpaqueToken(baseline), 'baseline (opaque)');
}

/** Three base64url parts: a JWS in compact serialisation (RFC 7515 §7.1). */
export const isJwt = (token: string): boolean => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token);
