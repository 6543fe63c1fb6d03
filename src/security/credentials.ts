import { NO_PASSWORD, type Account, type AccountStore } from '../stores/accounts.ts';
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
  // An account without a password yet (invited, NO_PASSWORD) answers like an unknown email.
  if (!account || account.passwordHash === NO_PASSWORD) {
    await hasher.dummyVerify(password);
    return undefined;
  }
  // A disabled account pays for the real verification too, then fails like a wrong
  // password: neither the message nor the timing tells that it exists but is disabled.
  if (!(await hasher.verify(account.passwordHash, password)) || account.disabledAt) return undefined;

  const at = now();
  await accounts.recordLogin(account.id, at);
  return { ...account, lastLoginAt: at };
}
