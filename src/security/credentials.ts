import type { Account, AccountStore } from '../stores/accounts.ts';
import type { PasswordHasher } from './passwords.ts';

/**
 * Checks an email/password pair. Returns the account on success (with `lastLoginAt`
 * recorded), undefined otherwise — the caller shows one generic "invalid email or
 * password" message either way (OWASP Authentication Cheat Sheet, "Authentication
 * Responses"), and the response time must not tell the two cases apart either: an
 * unknown email still pays for one argon2 verification via `dummyVerify`.
 */
export async function verifyCredentials(
  accounts: AccountStore,
  hasher: PasswordHasher,
  email: string,
  password: string,
  now: () => Date = () => new Date(),
): Promise<Account | undefined> {
  const account = await accounts.findByEmail(email);
  if (!account) {
    await hasher.dummyVerify(password);
    return undefined;
  }
  if (!(await hasher.verify(account.passwordHash, password))) return undefined;

  const at = now();
  await accounts.recordLogin(account.id, at);
  return { ...account, lastLoginAt: at };
}
