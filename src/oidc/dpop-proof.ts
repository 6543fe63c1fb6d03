import { hash } from 'node:crypto';

import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify, type JWTPayload } from 'jose';

/** What discovery advertises as `dpop_signing_alg_values_supported` (node-oidc-provider's default). */
export const DPOP_ALGORITHMS = ['ES256', 'Ed25519', 'EdDSA'];
/** How far a proof's `iat` may be from now: the provider's window for proofs without a nonce. */
const IAT_WINDOW_SECONDS = 300;

export interface DpopProofUse {
  /** The `DPoP` request header as received; two headers arrive joined and fail. */
  proof: string | undefined;
  method: string;
  /** The request URL without query and fragment (RFC 9449 §4.3 point 9). */
  url: string;
  accessToken: string;
  /** The thumbprint the access token is bound to (its `cnf.jkt`). */
  jkt: string;
  /** Replay detection is per client, as at the provider, so one proof works once anywhere. */
  clientId: string;
}

export type DpopProofResult = { ok: true } | { ok: false; reason: string };

/**
 * Checks a DPoP proof presented with a bound access token at a resource Gatehouse itself
 * serves (the admin API), the way node-oidc-provider checks them at userinfo (RFC 9449
 * §4.3, §7.1): a `dpop+jwt` signed by the public key in its own header with an allowed
 * asymmetric algorithm, for this method and URL, recent, carrying the access token's hash
 * (`ath`), made with the very key the token is bound to, and never seen before (its `jti`
 * is recorded in the provider's ReplayDetection, shared by every node through Redis).
 * Server nonces are not asked for here; the `iat` window limits a proof's life instead.
 */
export function createDpopProofVerifier(options: {
  /** False when (clientId, jti) was seen before; records it until `exp` (epoch seconds) otherwise. */
  unique(clientId: string, jti: string, exp: number): Promise<boolean>;
  now?: () => number;
}) {
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const refuse = (reason: string): DpopProofResult => ({ ok: false, reason });

  return async function verifyDpopProof(use: DpopProofUse): Promise<DpopProofResult> {
    if (!use.proof) return refuse('a DPoP proof is required with a DPoP-bound access token');
    let payload: JWTPayload;
    let jwk: Parameters<typeof calculateJwkThumbprint>[0];
    try {
      // EmbeddedJWK refuses a header key with private members; `algorithms` refuses "none" and HMAC.
      const verified = await jwtVerify(use.proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: DPOP_ALGORITHMS });
      payload = verified.payload;
      jwk = verified.protectedHeader.jwk!;
    } catch {
      return refuse('the DPoP proof is not a valid dpop+jwt signed by the key in its header');
    }
    if (typeof payload.jti !== 'string' || !payload.jti) return refuse('the DPoP proof has no jti');
    if (payload['htm'] !== use.method) return refuse('the DPoP proof htm does not match the request method');
    if (typeof payload['htu'] !== 'string' || stripped(payload['htu']) !== use.url) return refuse('the DPoP proof htu does not match the request URL');
    if (typeof payload.iat !== 'number' || Math.abs(now() - payload.iat) > IAT_WINDOW_SECONDS) return refuse('the DPoP proof iat is not recent');
    if (payload['ath'] !== hash('sha256', use.accessToken, 'base64url')) return refuse('the DPoP proof ath does not match the access token');
    if (await calculateJwkThumbprint(jwk) !== use.jkt) return refuse('the DPoP proof is signed by another key than the access token is bound to');
    if (!await options.unique(use.clientId, payload.jti, now() + IAT_WINDOW_SECONDS)) return refuse('the DPoP proof was used before');
    return { ok: true };
  };
}

/** A URL without its query and fragment, normalised as the WHATWG parser does; '' if not a URL. */
function stripped(value: string): string {
  const url = URL.parse(value);
  if (!url) return '';
  url.search = '';
  url.hash = '';
  return url.href;
}
