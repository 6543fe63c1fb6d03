import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';

export interface JwtAccessTokenOptions {
  issuer: string;
  /** The public keys Gatehouse signs with; a function, since they change when keys rotate. */
  jwks: () => JSONWebKeySet;
}

export interface JwtAccessTokenVerifier {
  /** Cheap shape test: a compact JWS whose header says `typ: at+jwt` (RFC 9068 §2.1). */
  looksLike(token: string): boolean;
  /** The claims of a valid, unexpired JWT access token Gatehouse issued; else undefined. */
  verify(token: string): Promise<JWTPayload | undefined>;
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
      try {
        const { payload } = await jwtVerify(token, keys, { issuer: options.issuer, typ: 'at+jwt', algorithms: ['ES256', 'RS256', 'EdDSA'] });
        return payload;
      } catch {
        return undefined;
      }
    },
  };
}
