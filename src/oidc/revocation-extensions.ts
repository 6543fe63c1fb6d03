import type { Context, Next } from 'koa';
import type { JSONWebKeySet } from 'jose';
import type { KoaContextWithOIDC } from 'oidc-provider';

import type { Revocation } from '../security/revocation.ts';
import { createJwtAccessTokenVerifier } from './jwt-access-tokens.ts';
import { answerUnavailable } from './unavailable.ts';

/**
 * RFC 7009 revocation of Gatehouse's JWT access tokens. node-oidc-provider refuses every
 * JWT at its revocation endpoint (`unsupported_token_type`): it cannot recall a token it
 * never stored. Gatehouse can: the token's jti goes on the revocation list until it
 * expires, and introspection on every node answers `active: false` from then on.
 *
 * The provider still parses the request and authenticates the caller; only its refusal of
 * a JWT, given after authentication, is replaced. As for opaque tokens (features.ts):
 * - a token that is not a valid JWT access token of ours (bad signature, expired, another
 *   issuer's) is answered 200 and changes nothing (RFC 7009 §2.2: invalid tokens do not
 *   cause an error);
 * - a client may revoke only tokens issued to it (§2.1), and another client's token is
 *   answered 200 too, so the answer reveals nothing about the token;
 * - when the revocation list cannot be written, the answer is 503: "not revoked, retry"
 *   (§2.2.1), never a 200 for a token that still works.
 */
export function revokeJwtAccessTokens(options: {
  issuer: string; jwks: () => JSONWebKeySet; revocation: Pick<Revocation, 'revokeJwt'>;
  /** A failed write to the revocation list (the caller is told 503). */
  onError?: (err: unknown) => void;
}) {
  const verifier = createJwtAccessTokenVerifier(options);
  return async function revokeJwtAccessToken(ctx: Context, next: Next) {
    await next();
    const { oidc } = ctx as unknown as KoaContextWithOIDC;
    if (oidc?.route !== 'revocation') return;
    // The provider answers 500 when its store throws; §2.2.1 says what 503 means instead.
    if (ctx.status === 500) return unavailable(ctx);
    if (!oidc.client) return;
    const refusedJwt = ctx.status === 400 && (ctx.body as { error?: string } | undefined)?.error === 'unsupported_token_type';
    const token = oidc.params?.token;
    if (!refusedJwt || typeof token !== 'string' || !verifier.looksLike(token)) return;
    const claims = await verifier.verify(token);
    if (claims && claims.client_id === oidc.client.clientId) {
      try {
        await options.revocation.revokeJwt(claims, { clientId: oidc.client.clientId, ip: ctx.ip });
      } catch (err) {
        options.onError?.(err);
        return unavailable(ctx);
      }
    }
    ctx.status = 200;
    ctx.body = '';
  };
}

const unavailable = (ctx: Context) => answerUnavailable(ctx, 'the token could not be revoked right now; try again shortly');
