/**
 * Failed sign-ins, counted per account and per source address (OWASP ASVS 5.0 V6.3.1;
 * ASVS 4.0 V2.2.1: "no more than 100 failed attempts per hour is possible on a single
 * account"). Each key has one small state:
 *
 *   count        failures in the current window (a window starts with the first failure
 *                and lasts `windowMs`; it ends only when no lock is running)
 *   lockedUntil  once count ≥ threshold, each failure locks the key for
 *                lockMs · 2^(count − threshold), at most maxLockMs; the account's count
 *                may never pass `cap` (100) in a window: at the cap the lock runs to the
 *                window's end
 *
 * With the bounds the configuration allows (threshold ≤ 20, maxLockMs ≥ 300 s) a window
 * holds well under 50 failures, so no hour, however it straddles two windows, holds 100.
 * A success clears the account's state, never the address's (one known password must not
 * wipe an address's record of guessing at others).
 *
 * Accounts are keyed by the normalised email, whether or not an account has it: an
 * unknown email locks exactly like a known one, so a lock tells nothing about existence.
 */
export interface LoginPolicy {
  threshold: number;
  lockMs: number;
  maxLockMs: number;
  windowMs: number;
  /** Most failures in one window (0: none). */
  cap: number;
}

export interface FailureState {
  count: number;
  lockedUntil: number;
  windowEnds: number;
}

/** The state after one more failure at `now`. */
export function afterFailure(state: FailureState | undefined, now: number, policy: LoginPolicy): FailureState {
  let { count, lockedUntil, windowEnds } = state ?? { count: 0, lockedUntil: 0, windowEnds: 0 };
  if (windowEnds <= now && lockedUntil <= now) {
    count = 0;
    windowEnds = now + policy.windowMs;
  }
  count += 1;
  if (count >= policy.threshold) {
    const lock = Math.min(policy.lockMs * 2 ** Math.min(count - policy.threshold, 40), policy.maxLockMs);
    lockedUntil = Math.max(lockedUntil, now + lock);
  }
  if (policy.cap > 0 && count >= policy.cap) lockedUntil = Math.max(lockedUntil, windowEnds);
  return { count, lockedUntil, windowEnds };
}

/** How long a state must be kept (ms from `now`). */
export const keepFor = (s: FailureState, now: number): number => Math.max(s.windowEnds, s.lockedUntil) - now;

export interface LoginGate {
  /** The account or the address is locked: do not check the password. */
  locked: boolean;
  /** Until the later of the two locks ends (ms); 0 when not locked. */
  retryAfterMs: number;
}

/** What check() answers: the gate, and whether the account had failures counted. */
export interface LoginCheck extends LoginGate {
  /** Failures are counted for the account: a success must clear them (succeed). */
  accountFailures: boolean;
}

export interface LoginThrottle {
  check(account: string, address: string): Promise<LoginCheck>;
  /** Counts one failure for both; the gate says whether they are locked now. */
  fail(account: string, address: string): Promise<LoginGate>;
  /** The account signed in: its failures are forgotten. */
  succeed(account: string): Promise<void>;
}

export interface LoginThrottlePolicies {
  account: LoginPolicy;
  address: LoginPolicy;
}

export function gate(lockedUntil: readonly number[], now: number): LoginGate {
  const until = Math.max(0, ...lockedUntil);
  return until > now ? { locked: true, retryAfterMs: until - now } : { locked: false, retryAfterMs: 0 };
}

/** In-process counts, for a Gatehouse without Redis. Bounded: expired states are swept. */
export function createMemoryLoginThrottle(policies: LoginThrottlePolicies, options: { now?: () => number; maxKeys?: number } = {}): LoginThrottle {
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 100_000;
  const states = new Map<string, FailureState>();
  const live = (key: string, at: number) => {
    const s = states.get(key);
    if (s && keepFor(s, at) <= 0) states.delete(key);
    return states.get(key);
  };

  function record(key: string, at: number, policy: LoginPolicy): FailureState {
    const next = afterFailure(live(key, at), at, policy);
    states.delete(key);
    states.set(key, next);
    if (states.size > maxKeys) {
      for (const [k, s] of states) if (keepFor(s, at) <= 0) states.delete(k);
      for (const k of states.keys()) { if (states.size <= maxKeys * 0.9) break; states.delete(k); }
    }
    return next;
  }

  return {
    async check(account, address) {
      const at = now();
      const counted = live(`acct:${account}`, at);
      return { ...gate([counted?.lockedUntil ?? 0, live(`ip:${address}`, at)?.lockedUntil ?? 0], at), accountFailures: counted !== undefined };
    },
    async fail(account, address) {
      const at = now();
      const a = record(`acct:${account}`, at, policies.account);
      const b = record(`ip:${address}`, at, policies.address);
      return gate([a.lockedUntil, b.lockedUntil], at);
    },
    async succeed(account) {
      states.delete(`acct:${account}`);
    },
  };
}
