import { createHash } from 'node:crypto';

import { NO_PASSWORD, normaliseEmail, type Account, type AccountStore } from '../stores/accounts.ts';
import type { PasswordHasher } from './passwords.ts';
import type { LoginGate, LoginThrottle } from './rate-limit/login-throttle.ts';

/** Why a sign-in failed: for the audit log and metrics only, never for the person. */
export type CredentialFailure = 'unknown_account' | 'no_password' | 'wrong_password' | 'disabled';

export type CredentialCheck =
  | { ok: true; account: Account }
  | { ok: false; reason: CredentialFailure; accountId?: string };

/**
 * Checks an email/password pair and says why it failed. The caller shows one generic
 * "invalid email or password" message whatever the reason (OWASP Authentication Cheat
 * Sheet, "Authentication Responses"), and the response time must not tell the cases
 * apart either: an unknown email still pays for one argon2 verification (`dummyVerify`).
 * On success `lastLoginAt` is recorded.
 */
export async function checkCredentials(
  accounts: AccountStore,
  hasher: PasswordHasher,
  email: string,
  password: string,
  now: () => Date = () => new Date(),
): Promise<CredentialCheck> {
  const account = await accounts.findByEmail(email);
  // An account without a password yet (invited, NO_PASSWORD) answers like an unknown email.
  if (!account || account.passwordHash === NO_PASSWORD) {
    await hasher.dummyVerify(password);
    return account ? { ok: false, reason: 'no_password', accountId: account.id } : { ok: false, reason: 'unknown_account' };
  }
  // A disabled account pays for the real verification too, then fails like a wrong
  // password: neither the message nor the timing tells that it exists but is disabled.
  if (!(await hasher.verify(account.passwordHash, password))) return { ok: false, reason: 'wrong_password', accountId: account.id };
  if (account.disabledAt) return { ok: false, reason: 'disabled', accountId: account.id };

  const at = now();
  await accounts.recordLogin(account.id, at);
  return { ok: true, account: { ...account, lastLoginAt: at } };
}

/** The account on success, undefined otherwise (see checkCredentials). */
export async function verifyCredentials(
  accounts: AccountStore,
  hasher: PasswordHasher,
  email: string,
  password: string,
  now: () => Date = () => new Date(),
): Promise<Account | undefined> {
  const result = await checkCredentials(accounts, hasher, email, password, now);
  return result.ok ? result.account : undefined;
}

/**
 * The key failed sign-ins are counted under: a hash of the normalised email, so the
 * counters (in Redis) hold no email addresses, and unknown emails count like known ones.
 */
export function loginThrottleKey(email: string): string {
  return createHash('sha256').update(normaliseEmail(email)).digest('base64url').slice(0, 32);
}

export interface LoginAttemptDeps {
  authenticate(email: string, password: string): Promise<{ ok: true; account: { id: string; email: string } } | { ok: false; reason: CredentialFailure; accountId?: string }>;
  throttle: LoginThrottle;
  /** The throttle failed (Redis unreachable): the sign-in goes on without it (fail open). */
  onThrottleError(err: unknown): void;
}

export type LoginOutcome =
  | { ok: true; account: { id: string; email: string } }
  /** Locked: the password was not even checked. */
  | { ok: false; reason: 'locked'; retryAfterMs: number; accountId?: undefined; locked: true }
  /** Checked and wrong; `locked` when this failure locked the account or the address. */
  | { ok: false; reason: CredentialFailure; accountId?: string; locked: boolean };

const OPEN: LoginGate = { locked: false, retryAfterMs: 0 };

/**
 * One sign-in attempt with brute-force protection (login-throttle.ts): while the account
 * (by email) or the source address is locked, the password is not checked at all — no
 * argon2 work, for a known email exactly as for an unknown one, so the lock costs the
 * attacker time and tells nothing about which emails exist. A failure is counted for
 * both; a success forgets the account's failures.
 */
export async function attemptLogin(deps: LoginAttemptDeps, email: string, password: string, address: string): Promise<LoginOutcome> {
  const key = loginThrottleKey(email);
  const failOpen = (err: unknown) => {
    deps.onThrottleError(err);
    return OPEN;
  };
  const gate: LoginGate & { accountFailures?: boolean } = await deps.throttle.check(key, address).catch(failOpen);
  if (gate.locked) return { ok: false, reason: 'locked', retryAfterMs: gate.retryAfterMs, locked: true };

  const result = await deps.authenticate(email, password);
  if (result.ok) {
    // Nothing to forget when no failure was counted (a Redis round trip saved on most
    // sign-ins); unknown when the check failed open, so then it is cleared anyway.
    if (gate.accountFailures !== false) await deps.throttle.succeed(key).catch(failOpen);
    return result;
  }
  const after = await deps.throttle.fail(key, address).catch(failOpen);
  return { ...result, locked: after.locked };
}
