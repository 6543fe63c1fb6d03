import type { Configuration } from 'oidc-provider';

import type { Config } from '../config/index.ts';

type Features = NonNullable<Configuration['features']>;

/**
 * DPoP (RFC 9449): a client that sends a `DPoP` proof with its token request gets tokens
 * bound to the proof's key (`token_type: DPoP`, `cnf.jkt`); access tokens then need a
 * fresh proof with every use (§7), and a public client's refresh tokens too (§5).
 * node-oidc-provider checks the proofs at the token endpoint and userinfo; the admin API
 * checks them with oidc/dpop-proof.ts.
 *
 * Nonces (§8) are derived from the shared secret and a 60-second clock step, so any node
 * accepts a nonce another node issued, without storing anything. Proof `jti`s are kept
 * in ReplayDetection (Redis when configured), so a proof is single use on every node (§11.1).
 */
export function dpop(config: Config['dpop']): Pick<Features, 'dPoP'> {
  if (!config.enabled) return { dPoP: { enabled: false } };
  return {
    dPoP: {
      enabled: true,
      nonceSecret: config.nonceSecret,
      requireNonce: () => config.requireNonce,
      allowReplay: false,
    },
  };
}
