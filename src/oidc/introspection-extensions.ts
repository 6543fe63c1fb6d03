import type { Context, Next } from 'koa';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import type { KoaContextWithOIDC } from 'oidc-provider';

import { API_KEY_PATTERN } from '../security/api-key-format.ts';
import type { ApiKeyService } from '../security/api-keys.ts';

/** Answers RFC 7662 introspection for a credential node-oidc-provider does not keep. */
export interface ExtraIntrospection {
  /** Cheap shape test; true means this handler owns the token (even if it turns out inactive). */
  accepts(token: string): boolean;
  introspect(token: string, caller: { clientId: string; public: boolean; ip: string }): Promise<Record<string, unknown>>;
}

/**
 * One introspection endpoint for every credential a resource server may be handed
 * (RFC 7662): node-oidc-provider answers for the opaque tokens it stores; Gatehouse
 * answers for its JWT access tokens (which the provider refuses to introspect) and for
 * API keys. The provider still parses the request and authenticates the caller; this
 * middleware only replaces the answer, and only for an authenticated caller.
 */
export function extendIntrospection(handlers: readonly ExtraIntrospection[]) {
  return async function introspectOtherCredentials(ctx: Context, next: Next) {
    await next();
    const { oidc } = ctx as unknown as KoaContextWithOIDC;
    if (oidc?.route !== 'introspection' || !oidc.client) return;
    // `oidc.client` is set before its credentials are checked: only an answer the provider
    // gives *after* authenticating the caller counts (200, or its refusal of a JWT).
    const refusedJwt = ctx.status === 400 && (ctx.body as { error?: string } | undefined)?.error === 'unsupported_token_type';
    if (ctx.status !== 200 && !refusedJwt) return;
    const token = oidc.params?.token;
    if (typeof token !== 'string') return;
    const handler = handlers.find((h) => h.accepts(token));
    if (!handler) return;
    ctx.status = 200;
    ctx.body = await handler.introspect(token, {
      clientId: oidc.client.clientId, public: oidc.client.clientAuthMethod === 'none', ip: ctx.ip,
    });
  };
}

/**
 * Gatehouse's own RFC 9068 JWT access tokens: signature against the current JWKS, issuer,
 * `typ: at+jwt` and expiry. A public client may only introspect its own tokens, as for
 * opaque ones (see features.ts).
 */
export function jwtAccessTokens(options: { issuer: string; jwks: JSONWebKeySet }): ExtraIntrospection {
  const keys = createLocalJWKSet(options.jwks);
  return {
    accepts(token) {
      if (token.split('.').length !== 3) return false;
      try {
        return decodeProtectedHeader(token).typ === 'at+jwt';
      } catch {
        return false;
      }
    },
    async introspect(token, caller) {
      try {
        const { payload } = await jwtVerify(token, keys, {
          issuer: options.issuer, typ: 'at+jwt', algorithms: ['ES256', 'RS256'],
        });
        if (caller.public && payload.client_id !== caller.clientId) return { active: false };
        return { ...payload, active: true, token_type: 'Bearer' };
      } catch {
        return { active: false };
      }
    },
  };
}

/**
 * Gatehouse API keys, answered in the same shape as access tokens so a resource server
 * needs one code path for both. Only the full key shape is routed here: an opaque token
 * can never match it (its length and alphabet differ).
 */
export function apiKeys(service: Pick<ApiKeyService, 'introspect'>): ExtraIntrospection {
  return {
    accepts: (token) => API_KEY_PATTERN.test(token),
    introspect: (token, caller) => service.introspect(token, { ip: caller.ip }) as Promise<Record<string, unknown>>,
  };
}
