import Provider, { errors, type Adapter } from 'oidc-provider';

import { API_KEY_PATTERN } from '../security/api-key-format.ts';
import { ConsumeConflictError } from '../stores/types.ts';
import { revokeGrant } from './revoke-grants.ts';

export type AdapterFactory = (model: string) => Adapter;

const LABELS: Record<string, string> = {
  AuthorizationCode: 'authorization code',
  RefreshToken: 'refresh token',
  DeviceCode: 'device code',
};

/**
 * Two guards between node-oidc-provider and the stores.
 *
 * API keys are introspected at the same endpoint as tokens (introspection-extensions.ts),
 * and the provider first looks the presented value up as a token of each kind. A value
 * with the API-key shape can never be a stored token's id (those are 43-character
 * base64url strings), so those look-ups are answered here without a store round trip.
 *
 * And it makes the loser of a consume race look exactly like a replay. node-oidc-provider
 * checks `consumed` and then calls `consume()`; between the two, a parallel request can
 * pass the same check. Every backend's consume is an atomic check-and-set that throws
 * ConsumeConflictError for the loser, which this wrapper turns into `invalid_grant`
 * after revoking the whole grant, as a reused code or refresh token must
 * (RFC 6749 §4.1.2, RFC 9700 §4.14.2). It then emits `grant.revoked` as node-oidc-provider
 * does on its own reuse path, so metrics and the audit log (oidc/events.ts) see both alike.
 */
export function guardAdapters(factory: AdapterFactory): AdapterFactory {
  const guarded = new Map<string, Adapter>();
  return function guardedAdapter(model: string): Adapter {
    let adapter = guarded.get(model);
    if (adapter) return adapter;
    const inner = factory(model);
    adapter = {
      upsert: inner.upsert.bind(inner),
      find: (id: string) => (API_KEY_PATTERN.test(id) ? Promise.resolve(undefined) : inner.find(id)),
      findByUid: inner.findByUid.bind(inner),
      findByUserCode: inner.findByUserCode.bind(inner),
      destroy: inner.destroy.bind(inner),
      revokeByGrantId: inner.revokeByGrantId.bind(inner),
      async consume(id: string) {
        try {
          await inner.consume(id);
        } catch (err) {
          if (!(err instanceof ConsumeConflictError)) throw err;
          if (err.grantId) {
            await revokeGrant(factory, err.grantId);
            const ctx = Provider.ctx;
            ctx?.oidc?.provider.emit('grant.revoked', ctx, err.grantId);
          }
          throw new errors.InvalidGrant(`${LABELS[model] ?? model} already used`);
        }
      },
    };
    guarded.set(model, adapter);
    return adapter;
  };
}
