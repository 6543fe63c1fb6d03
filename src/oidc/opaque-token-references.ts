import { createHash } from 'node:crypto';
import type { Adapter } from 'oidc-provider';

import type { AdapterFactory } from './adapter-guard.ts';
import type { Revocation } from '../security/revocation.ts';

/**
 * What a token exchanged from an opaque access token calls its source: a digest of the
 * token, never the token (its value is the bearer secret, and `gh_sources` travels in
 * other tokens and introspection answers).
 */
export function opaqueTokenReference(token: string): string {
  return createHash('sha256').update(token).digest('base64url').slice(0, 22);
}

/** Opaque access tokens: an RFC 7009 revocation destroys one of these. */
const RECALLABLE = new Set(['AccessToken', 'ClientCredentials']);

/**
 * Destroying an opaque access token (RFC 7009) also puts its reference on the revocation
 * list until the token would have expired, so that tokens exchanged from it (RFC 8693,
 * token-exchange-sources.ts) die with it. The entry is written first: when it cannot be,
 * the token is not destroyed either, and the caller is told to try again.
 */
export function listDestroyedOpaqueTokens(factory: AdapterFactory, revocation: Pick<Revocation, 'revokeOpaque'>): AdapterFactory {
  const wrapped = new Map<string, Adapter>();
  return function destroyedTokensListed(model: string): Adapter {
    if (!RECALLABLE.has(model)) return factory(model);
    let adapter = wrapped.get(model);
    if (!adapter) {
      const inner = factory(model);
      adapter = Object.assign(Object.create(inner) as Adapter, {
        async destroy(id: string) {
          const payload = await inner.find(id);
          if (typeof payload?.exp === 'number') await revocation.revokeOpaque(opaqueTokenReference(id), payload.exp);
          await inner.destroy(id);
        },
      });
      wrapped.set(model, adapter);
    }
    return adapter;
  };
}
