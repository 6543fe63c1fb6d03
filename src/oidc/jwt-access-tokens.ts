import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';

export interface JwtAccessTokenOptions {
  issuer: string;
  /** The public keys Gatehouse signs with; a function, since they change when keys rotate. */
  jwks: () => JSONWebKeySet;
  /** The clock (epoch ms) expiry is checked against; tests set it. */
  now?: () => number;
}

export interface JwtAccessTokenVerifier {
  /** Cheap shape test: a compact JWS whose header says `typ: at+jwt` (RFC 9068 §2.1). */
  looksLike(token: string): boolean;
  /** The claims of a valid, unexpired JWT access token Gatehouse issued; else undefined. */
  verify(token: string): Promise<JWTPayload | undefined>;
}

/** Verified tokens remembered per verifier (about a kilobyte each). */
const MAX_VERIFIED = 1000;

/** jwtVerify's time checks (no clock tolerance): expired at `exp`, not valid before `nbf`. */
function stillValid(payload: JWTPayload, nowMs: number): boolean {
  const now = Math.floor(nowMs / 1000);
  return (payload.exp === undefined || payload.exp > now) && (payload.nbf === undefined || payload.nbf <= now);
}

/**
 * Gatehouse's own RFC 9068 JWT access tokens: signature against Gatehouse's JWKS, issuer,
 * `typ: at+jwt` and expiry. Used by introspection and by RFC 7009 revocation, which must
 * not act on a token someone else made up.
 */
export function createJwtAccessTokenVerifier(options: JwtAccessTokenOptions): JwtAccessTokenVerifier {
  // The key set changes when signing keys rotate (oidc/key-ring.ts); rebuild on change only.
  let source: JSONWebKeySet | undefined;
  let cached: ReturnType<typeof createLocalJWKSet> | undefined;
  const keys: JWTVerifyGetKey = (header, token) => {
    const jwks = options.jwks();
    if (jwks !== source || !cached) [source, cached] = [jwks, createLocalJWKSet(jwks)];
    return cached(header, token);
  };
  // Tokens verified lately, as JSON (callers get fresh objects): a resource server tends to
  // introspect the same token again and again, and for the same bytes the signature, issuer,
  // `typ` and `alg` checks always give the same answer, so only the times are checked again.
  // The map starts afresh whenever the key set changes (a key dropped must stop verifying).
  let verifiedWith: JSONWebKeySet | undefined;
  let verified = new Map<string, string>();
  return {
    looksLike(token) {
      if (token.split('.').length !== 3) return false;
      try {
        return decodeProtectedHeader(token).typ === 'at+jwt';
      } catch {
        return false;
      }
    },
    async verify(token) {
      const now = options.now?.() ?? Date.now();
      const jwks = options.jwks();
      if (jwks !== verifiedWith) [verifiedWith, verified] = [jwks, new Map()];
      const seen = verified.get(token);
      if (seen) {
        const payload = JSON.parse(seen) as JWTPayload;
        if (stillValid(payload, now)) return payload;
        verified.delete(token);
        return undefined;
      }
      try {
        const { payload } = await jwtVerify(token, keys, {
          issuer: options.issuer, typ: 'at+jwt', algorithms: ['ES256', 'RS256', 'EdDSA'], currentDate: new Date(now),
        });
        if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value!);
        verified.set(token, JSON.stringify(payload));
        return payload;
      } catch {
        return undefined;
      }
    },
  };
}
