import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';

/**
 * DPoP (RFC 9449) for the token exchange grant. node-oidc-provider validates DPoP proofs
 * for its own grants with helpers it passes only to them; a grant registered with
 * `registerGrantType` gets none. Re-implementing proof validation (signature, htm/htu,
 * iat window, nonces, replay) would be a second, drifting copy of security code, so this
 * is the one place that deep-imports node-oidc-provider internals
 * (lib/helpers/validate_dpop.js, 9.x), as DESIGN.md asks. Its results are cached per
 * request, so the provider and this module see the same proof.
 *
 * When the provider's DPoP feature is off, `validateDpop` returns undefined and tokens
 * are plain bearer tokens.
 */
interface DpopResult { thumbprint: string; jti: string; iat: number }
interface DpopHelpers {
  default(provider: Provider, ctx: KoaContextWithOIDC): Promise<DpopResult | undefined>;
  checkDpopReplay(provider: Provider, ctx: KoaContextWithOIDC, dPoP: DpopResult, clientId: string): Promise<void>;
}

// A non-literal specifier: the package has no types for its internals (the interface above is them).
const HELPERS: string = 'oidc-provider/lib/helpers/validate_dpop.js';
let helpers: Promise<DpopHelpers> | undefined;

/** The JWK thumbprint (`jkt`) of a valid, unreplayed DPoP proof on this token request; undefined without a proof. */
export async function dpopThumbprint(provider: Provider, ctx: KoaContextWithOIDC, clientId: string): Promise<string | undefined> {
  helpers ??= import(HELPERS) as Promise<DpopHelpers>;
  const { default: validateDpop, checkDpopReplay } = await helpers;
  const proof = await validateDpop(provider, ctx);
  if (!proof) return undefined;
  await checkDpopReplay(provider, ctx, proof, clientId);
  return proof.thumbprint;
}
