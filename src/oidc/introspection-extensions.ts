import type { Context, Next } from 'koa';
import type { JSONWebKeySet } from 'jose';
import type { KoaContextWithOIDC } from 'oidc-provider';

import { API_KEY_PATTERN } from '../security/api-key-format.ts';
import type { ApiKeyService } from '../security/api-keys.ts';
import type { Revocation } from '../security/revocation.ts';
import { RevocationListUnavailableError } from '../stores/revocation-list.ts';
import { createJwtAccessTokenVerifier } from './jwt-access-tokens.ts';
import { answerInside, isSignedIntrospection, sendSigned, wantsSignedIntrospection } from './jwt-introspection.ts';
import { answerUnavailable } from './unavailable.ts';
import { anySourceRevoked, sourcesOf, SOURCES_CLAIM, type SourceCheckDeps } from './token-exchange-sources.ts';

const unavailable = (ctx: Context) => answerUnavailable(ctx, 'the token status cannot be checked right now; try again shortly');

/** Answers RFC 7662 introspection for a credential node-oidc-provider does not keep. */
export interface ExtraIntrospection {
  /** Cheap shape test; true means this handler owns the token (even if it turns out inactive). */
  accepts(token: string): boolean;
  introspect(token: string, caller: { clientId: string; public: boolean; ip: string }): Promise<Record<string, unknown>>;
}

export interface IntrospectionOptions {
  /** Consulted for every token the provider itself would call active (opaque tokens). */
  revocation?: Pick<Revocation, 'isRevoked'>;
  /** What an exchanged opaque token was made from is checked too (token-exchange-sources.ts). */
  sources?: SourceCheckDeps;
}

/**
 * One introspection endpoint for every credential a resource server may be handed
 * (RFC 7662): node-oidc-provider answers for the opaque tokens it stores; Gatehouse
 * answers for its JWT access tokens (which the provider refuses to introspect) and for
 * API keys. The provider still parses the request and authenticates the caller; this
 * middleware only replaces the answer, and only for an authenticated caller.
 *
 * Every "active" answer also passes the revocation list, and when the list or a store
 * cannot be read the answer is 503 `temporarily_unavailable`, never a guess: a resource
 * server must not let a revoked token in because Redis was away (fail closed).
 *
 * A caller that asked for a JWT-secured answer (RFC 9701) gets every answer signed, the
 * provider's and Gatehouse's own alike (oidc/jwt-introspection.ts); a signed answer of the
 * provider's is opened to check it against the revocation list, and re-signed if changed.
 */
export function extendIntrospection(handlers: readonly ExtraIntrospection[], options: IntrospectionOptions = {}) {
  const { revocation } = options;
  return async function introspectOtherCredentials(ctx: Context, next: Next) {
    await next();
    const { oidc } = ctx as unknown as KoaContextWithOIDC;
    if (oidc?.route !== 'introspection') return;
    // The provider answers 500 when a store throws (its token or grant look-up with Redis
    // or MongoDB away); the caller can only retry. Logged by oidc/events.ts (server_error).
    if (ctx.status === 500) return unavailable(ctx);
    if (!oidc.client) return;
    // `oidc.client` is set before its credentials are checked: only an answer the provider
    // gives *after* authenticating the caller counts (200, or its refusal of a JWT).
    const refusedJwt = ctx.status === 400 && (ctx.body as { error?: string } | undefined)?.error === 'unsupported_token_type';
    if (ctx.status !== 200 && !refusedJwt) return;
    const token = oidc.params?.token;
    if (typeof token !== 'string') return;
    const handler = handlers.find((h) => h.accepts(token));
    try {
      if (handler) {
        await respond(ctx as unknown as KoaContextWithOIDC, await handler.introspect(token, {
          clientId: oidc.client.clientId, public: oidc.client.clientAuthMethod === 'none', ip: ctx.ip,
        }));
        return;
      }
      const answer = (isSignedIntrospection(ctx) ? answerInside(ctx.body as string) : ctx.body) as
        { active?: boolean; client_id?: unknown; sub?: unknown; iat?: unknown; [SOURCES_CLAIM]?: unknown } | undefined;
      if (answer?.active !== true) return;
      if ((revocation && await revocation.isRevoked(factsOf(answer)))
        || (options.sources && await anySourceRevoked(sourcesOf(answer[SOURCES_CLAIM]), options.sources))) {
        await respond(ctx as unknown as KoaContextWithOIDC, { active: false });
      }
    } catch (err) {
      if (!(err instanceof RevocationListUnavailableError)) throw err;
      unavailable(ctx);
    }
  };
}

/** The 200 answer: signed when the caller asked for a signed one (RFC 9701 §4), else JSON. */
async function respond(ctx: KoaContextWithOIDC, answer: Record<string, unknown>): Promise<void> {
  if (wantsSignedIntrospection(ctx)) return sendSigned(ctx, answer);
  ctx.status = 200;
  ctx.body = answer;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** What the revocation list is asked about a token: from its claims or its introspection. */
function factsOf(claims: { jti?: unknown; gid?: unknown; client_id?: unknown; sub?: unknown; iat?: unknown }) {
  return {
    jti: str(claims.jti), grant: str(claims.gid), clientId: str(claims.client_id), sub: str(claims.sub),
    iat: typeof claims.iat === 'number' ? claims.iat : undefined,
  };
}

/**
 * Gatehouse's own RFC 9068 JWT access tokens (oidc/jwt-access-tokens.ts). A public client
 * may only introspect its own tokens, as for opaque ones (see features.ts). A token is
 * inactive once revoked (its jti, or its client, account or grant: security/revocation.ts)
 * and once its client is deleted, as opaque tokens are (RFC 7662 §2.2).
 */
export function jwtAccessTokens(options: {
  issuer: string; jwks: () => JSONWebKeySet;
  revocation?: Pick<Revocation, 'isRevoked'>;
  clientExists?: (clientId: string) => Promise<boolean>;
  /** What an exchanged token was made from is checked too (token-exchange-sources.ts). */
  sources?: SourceCheckDeps;
}): ExtraIntrospection {
  const verifier = createJwtAccessTokenVerifier(options);
  return {
    accepts: (token) => verifier.looksLike(token),
    async introspect(token, caller) {
      const payload = await verifier.verify(token);
      if (!payload) return { active: false };
      const clientId = str(payload.client_id);
      if (caller.public && clientId !== caller.clientId) return { active: false };
      if (options.clientExists && !(clientId && await options.clientExists(clientId))) return { active: false };
      if (options.revocation && await options.revocation.isRevoked(factsOf(payload))) return { active: false };
      if (options.sources && await anySourceRevoked(sourcesOf(payload[SOURCES_CLAIM]), options.sources)) return { active: false };
      // A DPoP-bound token carries its key's thumbprint in `cnf.jkt` (RFC 9449 §6.1), which
      // the answer passes on (§6.2); its type is then DPoP, as for opaque tokens.
      const bound = typeof (payload.cnf as { jkt?: unknown } | undefined)?.jkt === 'string';
      return { ...payload, active: true, token_type: bound ? 'DPoP' : 'Bearer' };
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
    introspect: (token) => service.introspect(token) as Promise<Record<string, unknown>>,
  };
}
