import type { Configuration, FindAccount } from 'oidc-provider';

/** What the account store must answer for `sub` lookups (src/stores/accounts.ts). */
export interface AccountLookup {
  findById(id: string): Promise<{ id: string; email: string; name: string } | undefined>;
}

/**
 * Standard claims released per scope (OIDC Core §5.4). `email_verified` is false until
 * Gatehouse can verify addresses: a relying party must not treat the email as proven.
 */
export const claims: NonNullable<Configuration['claims']> = {
  openid: ['sub'],
  profile: ['name'],
  email: ['email', 'email_verified'],
};

export function createFindAccount(accounts: AccountLookup): FindAccount {
  return async function findAccount(_ctx, sub) {
    const account = await accounts.findById(sub);
    if (!account) return undefined;
    return {
      accountId: account.id,
      async claims() {
        return { sub: account.id, name: account.name, email: account.email, email_verified: false };
      },
    };
  };
}
