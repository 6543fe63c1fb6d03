import type { AdapterFactory } from '../oidc/adapter-guard.ts';
import type { AccountAccessStore } from '../stores/account-access.ts';

/**
 * Ends every sign-in session of the account except `keepUid` (the one changing the
 * password): after a password change, whoever signed in with the old password elsewhere
 * is signed out (OWASP ASVS 5.0 V7.4.3 — terminate other sessions after a successful
 * password change). The sessions are those recorded as the provider saved them
 * (oidc/revoke-grants.ts); each is found by uid and destroyed by its current id, and only
 * if it still belongs to this account. Grants stay: connected apps are revoked on their
 * own page. Returns how many were ended.
 */
export async function endOtherSessions(
  deps: { adapter: AdapterFactory; access: Pick<AccountAccessStore, 'list'>; now?: () => Date },
  accountId: string, keepUid: string,
): Promise<number> {
  const entries = await deps.access.list(accountId, deps.now?.() ?? new Date());
  const sessions = deps.adapter('Session');
  const ended = await Promise.all(entries.filter((e) => e.kind === 'session' && e.id !== keepUid).map(async (e) => {
    const found = await sessions.findByUid(e.id);
    if (typeof found?.jti !== 'string' || found.accountId !== accountId) return false;
    await sessions.destroy(found.jti);
    return true;
  }));
  return ended.filter(Boolean).length;
}
