import type { Adapter, Configuration } from 'oidc-provider';
import type Provider from 'oidc-provider';

import { grantReference, type Revocation } from '../security/revocation.ts';
import type { AccessEntry, AccountAccessStore } from '../stores/account-access.ts';
import { GRANTABLE_MODELS } from '../stores/adapters/models.ts';
import type { AdapterFactory } from './adapter-guard.ts';
import { thenClaims } from './claims.ts';

/**
 * Every destroyed grant, whoever destroys it (the admin API, an account being disabled,
 * node-oidc-provider on refresh-token reuse, RFC 7009 revocation of a refresh token, or
 * logout), also revokes the JWT access tokens issued under it: the opaque ones are deleted
 * with the grant, but a JWT is in its holder's hands. Its `gid` claim (withGrantReference)
 * goes on the revocation list first, so a failure leaves the grant in place rather than
 * gone with live JWTs behind it.
 */
export function withGrantRevocation(factory: AdapterFactory, revocation: Pick<Revocation, 'revokeGrant'>): AdapterFactory {
  let grants: Adapter | undefined;
  return function grantRevokingAdapter(model: string): Adapter {
    if (model !== 'Grant') return factory(model);
    if (grants) return grants;
    const inner = factory(model);
    grants = {
      upsert: inner.upsert.bind(inner),
      find: inner.find.bind(inner),
      findByUid: inner.findByUid.bind(inner),
      findByUserCode: inner.findByUserCode.bind(inner),
      consume: inner.consume.bind(inner),
      revokeByGrantId: inner.revokeByGrantId.bind(inner),
      async destroy(id: string) {
        await revocation.revokeGrant(id);
        await inner.destroy(id);
      },
    };
    return grants;
  };
}

type ExtraTokenClaims = NonNullable<Configuration['extraTokenClaims']>;

/**
 * Adds `gid` (security/revocation.ts: grantReference) to JWT access tokens issued under a
 * grant, so that revoking the grant reaches them (RFC 9068 defines no such claim; this is
 * a private claim, RFC 7519 §4.3). Opaque tokens need none: they are deleted with it.
 */
export function withGrantReference(inner: ExtraTokenClaims): ExtraTokenClaims {
  return function extraTokenClaimsWithGrant(ctx, token) {
    const grantId = 'grantId' in token ? token.grantId : undefined;
    if (typeof grantId !== 'string' || token.resourceServer?.accessTokenFormat !== 'jwt') return inner(ctx, token);
    return thenClaims(inner(ctx, token), (claims) => ({ ...claims, gid: grantReference(grantId) }));
  };
}

/** Every token issued within the grant (RFC 7009 §2.1: revoking a grant revokes its tokens), then the grant. */
export async function revokeGrant(adapter: AdapterFactory, grantId: string): Promise<void> {
  await Promise.all([
    ...[...GRANTABLE_MODELS].map((model) => adapter(model).revokeByGrantId(grantId)),
    adapter('Grant').destroy(grantId),
  ]);
}

// Stored entries outlive the object by this much, so a session whose expiry slides
// forward on every request is re-recorded at most once per SLACK instead of per request.
const SLACK_MS = 3_600_000;
const MAX_REMEMBERED = 10_000;
const FALLBACK_TTL_MS = 365 * 86_400_000;

/**
 * Records which grants and sessions each account holds, from the provider's model events
 * (`<snake_kind>.saved`, emitted by BaseModel#save with the instance). A failed write is
 * reported and does not fail the request that saved the grant or session.
 */
export function trackAccountAccess(provider: Provider, store: AccountAccessStore, onError: (err: unknown) => void): void {
  const covered = new Map<string, number>(); // `<kind>:<id>` → expiry already stored (ms)

  function record(accountId: unknown, kind: AccessEntry['kind'], id: unknown, exp: unknown) {
    if (typeof accountId !== 'string' || accountId === '' || typeof id !== 'string') return;
    const expMs = typeof exp === 'number' ? exp * 1000 : Date.now() + FALLBACK_TTL_MS;
    const key = `${kind}:${id}`;
    if ((covered.get(key) ?? 0) >= expMs) return;
    if (covered.size >= MAX_REMEMBERED) covered.clear();
    covered.set(key, expMs + SLACK_MS);
    store.record(accountId, { kind, id, expiresAt: new Date(expMs + SLACK_MS) }).catch((err: unknown) => {
      covered.delete(key);
      onError(err);
    });
  }

  provider.on('grant.saved', (grant) => record(grant.accountId, 'grant', grant.jti, grant.exp));
  provider.on('session.saved', (session) => record(session.accountId, 'session', session.uid, session.exp));
}

/**
 * Ends everything an account holds: its grants with their tokens, and its sessions (found
 * by uid, destroyed by their current id). Used when an account is disabled or deleted.
 */
export function createAccountAccessEnder(deps: {
  adapter: AdapterFactory; store: AccountAccessStore; now?: () => Date;
  /** Revokes every token of the account, JWTs included, even a grant the store missed. */
  revocation?: Pick<Revocation, 'revokeAccount'>;
}) {
  const { adapter, store, now = () => new Date() } = deps;
  return async function endAccountAccess(accountId: string): Promise<{ grants: number; sessions: number }> {
    await deps.revocation?.revokeAccount(accountId);
    const entries = await store.list(accountId, now());
    const grants = entries.filter((e) => e.kind === 'grant');
    const sessions = entries.filter((e) => e.kind === 'session');
    const sessionAdapter = adapter('Session');
    await Promise.all([
      ...grants.map((g) => revokeGrant(adapter, g.id)),
      ...sessions.map(async (s) => {
        const found = await sessionAdapter.findByUid(s.id);
        if (typeof found?.jti === 'string') await sessionAdapter.destroy(found.jti);
      }),
    ]);
    await store.forget(accountId);
    return { grants: grants.length, sessions: sessions.length };
  };
}
