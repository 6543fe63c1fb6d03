import type { Context } from 'koa';
import { decodeJwt } from 'jose';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';

import type { Config } from '../config/index.ts';

type Features = NonNullable<Configuration['features']>;

/** RFC 9701 §4: the media type a resource server asks for, and that the answer is sent as. */
export const INTROSPECTION_JWT = 'application/token-introspection+jwt';

/**
 * JWT-secured introspection responses (RFC 9701): a resource server that sends
 * `Accept: application/token-introspection+jwt` gets the RFC 7662 answer inside a JWT
 * (`typ: token-introspection+jwt`, claims `iss`, `aud` = the caller, `iat` and
 * `token_introspection`), signed with the caller's `introspection_signed_response_alg`
 * (RS256 unless registered otherwise, §6) by a key in the JWKS. The answer is then
 * evidence the resource server can keep: it proves what Gatehouse said about the token.
 */
export function jwtIntrospection(config: Config['jwtIntrospection']): Pick<Features, 'jwtIntrospection'> {
  return { jwtIntrospection: { enabled: config.enabled } };
}

/**
 * Whether the answer to this introspection request is to be signed: the provider's own
 * rule (lib/actions/introspection.js), so answers Gatehouse gives itself (JWT access
 * tokens, API keys: oidc/introspection-extensions.ts) come in the same form as the
 * provider's. The client has a signing alg only while the feature is on.
 */
export function wantsSignedIntrospection(ctx: KoaContextWithOIDC): boolean {
  const alg = (ctx.oidc.client as { introspectionSignedResponseAlg?: unknown } | undefined)?.introspectionSignedResponseAlg;
  return typeof alg === 'string' && ctx.accepts('json', INTROSPECTION_JWT) === INTROSPECTION_JWT;
}

/** Whether the provider already answered with a signed introspection response. */
export function isSignedIntrospection(ctx: Context): boolean {
  return ctx.type === INTROSPECTION_JWT && typeof ctx.body === 'string';
}

/**
 * The RFC 7662 answer inside a signed response the provider made in this very request
 * (nothing to verify: it has not left the process), so Gatehouse can still check it
 * against the revocation list.
 */
export function answerInside(signed: string): Record<string, unknown> | undefined {
  const answer = decodeJwt(signed)['token_introspection'];
  return answer && typeof answer === 'object' && !Array.isArray(answer) ? answer as Record<string, unknown> : undefined;
}

/** Sends `answer` signed for the calling client, as the provider signs its own (RFC 9701 §5). */
export async function sendSigned(ctx: KoaContextWithOIDC, answer: Record<string, unknown>): Promise<void> {
  const token = new ctx.oidc.provider.IdToken({}, { ctx });
  token.set('token_introspection', answer);
  ctx.status = 200;
  ctx.body = await token.issue({ use: 'introspection' });
  ctx.type = `${INTROSPECTION_JWT}; charset=utf-8`;
}
