import { loadConfig } from '../../../src/config/index.ts';
import { attemptLogin, loginThrottleKey, type LoginAttemptDeps } from '../../../src/security/credentials.ts';
import { loginPolicies } from '../../../src/security/rate-limit/index.ts';
import { createRedisLoginThrottle } from '../../../src/security/rate-limit/login-throttle-redis.ts';
import {
  afterFailure, createMemoryLoginThrottle, type FailureState, type LoginPolicy, type LoginThrottle,
} from '../../../src/security/rate-limit/login-throttle.ts';
import { connectTestRedis, deleteKeysWithPrefix, testKeyPrefix } from '../../support/redis.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = 1_700_000_000_000;
const policy: LoginPolicy = { threshold: 5, lockMs: MIN, maxLockMs: 15 * MIN, windowMs: HOUR, cap: 100 };

describe('the lock policy (afterFailure)', () => {
  test('no lock below the threshold; then 1, 2, 4, 8 minutes ..., at most the maximum', () => {
    let state: FailureState | undefined;
    const locks: number[] = [];
    let now = T0;
    for (let i = 0; i < 10; i++) {
      state = afterFailure(state, now, policy);
      locks.push(Math.max(0, state.lockedUntil - now) / MIN);
      now = Math.max(now, state.lockedUntil); // the next attempt once the lock is over
    }
    expect(locks).toEqual([0, 0, 0, 0, 1, 2, 4, 8, 15, 15]);
  });

  test('a new window starts an hour after the first failure, once no lock runs', () => {
    let state = afterFailure(undefined, T0, policy);
    state = afterFailure(state, T0 + 1000, policy);
    expect(state.count).toBe(2);
    state = afterFailure(state, T0 + HOUR, policy);
    expect(state).toEqual({ count: 1, lockedUntil: 0, windowEnds: T0 + 2 * HOUR });
  });

  test('the cap: at 100 failures in a window the lock runs to the window\'s end', () => {
    const loose: LoginPolicy = { threshold: 1000, lockMs: 1000, maxLockMs: 1000, windowMs: HOUR, cap: 100 };
    let state: FailureState | undefined;
    for (let i = 0; i < 100; i++) state = afterFailure(state, T0 + i, loose);
    expect(state!.lockedUntil).toBe(T0 + HOUR);
  });

  // OWASP ASVS 4.0 V2.2.1: no more than 100 failed attempts per hour on one account. An
  // attacker retries the moment each lock ends, for six hours, with the loosest settings
  // the configuration accepts; no hour-long stretch may hold more than 100 failures.
  test.each([
    ['the defaults', {}],
    ['the loosest settings allowed', { LOGIN_LOCK_THRESHOLD: '20', LOGIN_LOCK_SECONDS: '1', LOGIN_LOCK_MAX_SECONDS: '300' }],
  ])('at most 100 failures in any hour with %s', (_name, env) => {
    const { account } = loginPolicies(loadConfig(env));
    const times: number[] = [];
    let state: FailureState | undefined;
    for (let now = T0; now < T0 + 6 * HOUR;) {
      state = afterFailure(state, now, account);
      times.push(now);
      now = Math.max(now + 1000, state.lockedUntil);
    }
    const worst = Math.max(...times.map((start) => times.filter((t) => t >= start && t < start + HOUR).length));
    expect(worst).toBeLessThanOrEqual(100);
    expect(worst).toBeGreaterThan(5); // the attacker did get some tries: the test measures something
  });

  test('the configuration refuses settings outside those bounds', () => {
    expect(() => loadConfig({ LOGIN_LOCK_THRESHOLD: '21' })).toThrow('LOGIN_LOCK_THRESHOLD must be a positive whole number between 1 and 20');
    expect(() => loadConfig({ LOGIN_LOCK_MAX_SECONDS: '60' })).toThrow('LOGIN_LOCK_MAX_SECONDS must be a positive whole number of seconds between 300 and 86400');
    expect(() => loadConfig({ LOGIN_LOCK_SECONDS: '600', LOGIN_LOCK_MAX_SECONDS: '300' })).toThrow('LOGIN_LOCK_MAX_SECONDS must not be less than LOGIN_LOCK_SECONDS');
  });
});

type Setup = () => Promise<{ throttle: LoginThrottle; clock: { now: number }; done: () => Promise<void> }>;
const policies = { account: { ...policy, threshold: 3 }, address: { ...policy, threshold: 5, cap: 0 } };

const memory: Setup = async () => {
  const clock = { now: T0 };
  return { throttle: createMemoryLoginThrottle(policies, { now: () => clock.now }), clock, done: async () => {} };
};
const redis: Setup = async () => {
  const client = await connectTestRedis();
  const prefix = testKeyPrefix('lf');
  const clock = { now: T0 };
  return {
    throttle: createRedisLoginThrottle(client, policies, { prefix, now: () => clock.now }),
    clock,
    done: async () => { await deleteKeysWithPrefix(client, prefix); await client.quit(); },
  };
};

describe.each([['memory', memory], ['redis', redis]] as const)('login throttle (%s)', (_name, setup) => {
  let s: Awaited<ReturnType<Setup>>;
  beforeEach(async () => { s = await setup(); });
  afterEach(() => s.done());

  test('the third failure locks the account for a minute; the lock then ends', async () => {
    expect(await s.throttle.fail('acct', 'ip1')).toEqual({ locked: false, retryAfterMs: 0 });
    expect(await s.throttle.fail('acct', 'ip2')).toEqual({ locked: false, retryAfterMs: 0 });
    expect(await s.throttle.fail('acct', 'ip3')).toEqual({ locked: true, retryAfterMs: MIN });
    s.clock.now += 30_000;
    expect(await s.throttle.check('acct', 'ip9')).toEqual({ locked: true, retryAfterMs: 30_000, accountFailures: true });
    expect(await s.throttle.check('other', 'ip9')).toEqual({ locked: false, retryAfterMs: 0, accountFailures: false });
    s.clock.now += 30_000;
    expect(await s.throttle.check('acct', 'ip9')).toEqual({ locked: false, retryAfterMs: 0, accountFailures: true });
    // The next failure doubles the lock.
    expect(await s.throttle.fail('acct', 'ip9')).toEqual({ locked: true, retryAfterMs: 2 * MIN });
  });

  test('a success forgets the account\'s failures', async () => {
    expect(await s.throttle.check('acct', 'ip')).toMatchObject({ accountFailures: false });
    await s.throttle.fail('acct', 'ip');
    await s.throttle.fail('acct', 'ip');
    expect(await s.throttle.check('acct', 'ip')).toMatchObject({ accountFailures: true });
    await s.throttle.succeed('acct');
    expect(await s.throttle.check('acct', 'ip')).toMatchObject({ accountFailures: false });
    expect(await s.throttle.fail('acct', 'ip')).toMatchObject({ locked: false });
    expect(await s.throttle.fail('acct', 'ip')).toMatchObject({ locked: false });
    expect(await s.throttle.fail('acct', 'ip')).toMatchObject({ locked: true });
  });

  test('an address guessing at many accounts is locked too, and a success does not clear it', async () => {
    for (let i = 0; i < 4; i++) expect(await s.throttle.fail(`acct${i}`, 'ip')).toMatchObject({ locked: false });
    await s.throttle.succeed('acct0');
    expect(await s.throttle.fail('acct4', 'ip')).toMatchObject({ locked: true, retryAfterMs: MIN });
    expect(await s.throttle.check('fresh', 'ip')).toMatchObject({ locked: true });
    expect(await s.throttle.check('fresh', 'elsewhere')).toMatchObject({ locked: false });
  });
});

describe('attemptLogin', () => {
  function setup(throttle: LoginThrottle = createMemoryLoginThrottle(policies)) {
    const calls: string[] = [];
    const deps: LoginAttemptDeps = {
      throttle,
      async authenticate(email, password) {
        calls.push(email);
        return email === 'ada@example.com' && password === 'right'
          ? { ok: true, account: { id: 'ada', email } }
          : { ok: false, reason: email === 'ada@example.com' ? 'wrong_password' : 'unknown_account' };
      },
      onThrottleError: () => calls.push('throttle error'),
    };
    return { deps, calls };
  }

  test('while locked the password is not checked, for a known email as for an unknown one', async () => {
    const { deps, calls } = setup();
    for (const email of ['ada@example.com', 'nobody@example.com']) {
      for (let i = 0; i < 3; i++) await attemptLogin(deps, email, 'wrong', `ip-${email}`);
      calls.length = 0;
      expect(await attemptLogin(deps, email, 'right', `ip-${email}`)).toMatchObject({ ok: false, reason: 'locked', locked: true });
      expect(calls).toEqual([]);
    }
  });

  test('the failure that reaches the threshold says so; the reason is kept for the audit log', async () => {
    const { deps } = setup();
    expect(await attemptLogin(deps, 'ada@example.com', 'x', 'ip')).toEqual({ ok: false, reason: 'wrong_password', locked: false });
    await attemptLogin(deps, 'ADA@example.com ', 'x', 'ip'); // the same account, normalised
    expect(await attemptLogin(deps, 'ada@example.com', 'x', 'ip')).toEqual({ ok: false, reason: 'wrong_password', locked: true });
  });

  test('a success clears the account\'s failures when some were counted, and skips the store when none were', async () => {
    const inner = createMemoryLoginThrottle(policies);
    const cleared: string[] = [];
    const { deps } = setup({ ...inner, succeed: async (account) => { cleared.push(account); await inner.succeed(account); } });
    expect(await attemptLogin(deps, 'ada@example.com', 'right', 'ip')).toMatchObject({ ok: true });
    expect(cleared).toEqual([]);
    await attemptLogin(deps, 'ada@example.com', 'wrong', 'ip');
    await attemptLogin(deps, 'ada@example.com', 'wrong', 'ip');
    expect(await attemptLogin(deps, 'ada@example.com', 'right', 'ip')).toMatchObject({ ok: true });
    expect(cleared).toEqual([loginThrottleKey('ada@example.com')]);
    // Cleared: two more failures do not lock (the third would).
    await attemptLogin(deps, 'ada@example.com', 'wrong', 'ip2');
    expect(await attemptLogin(deps, 'ada@example.com', 'wrong', 'ip3')).toMatchObject({ locked: false });
  });

  test('a throttle that fails lets the sign-in go on (fail open) and says so', async () => {
    const broken: LoginThrottle = {
      check: () => Promise.reject(new Error('down')), fail: () => Promise.reject(new Error('down')), succeed: () => Promise.reject(new Error('down')),
    };
    const { deps, calls } = setup(broken);
    expect(await attemptLogin(deps, 'ada@example.com', 'right', 'ip')).toMatchObject({ ok: true });
    expect(await attemptLogin(deps, 'ada@example.com', 'wrong', 'ip')).toMatchObject({ ok: false, reason: 'wrong_password', locked: false });
    expect(calls.filter((c) => c === 'throttle error')).toHaveLength(4);
  });

  test('counters are keyed by a hash of the normalised email, never the email itself', () => {
    expect(loginThrottleKey(' Ada@Example.com')).toBe(loginThrottleKey('ada@example.com'));
    expect(loginThrottleKey('ada@example.com')).not.toContain('ada');
    expect(loginThrottleKey('ada@example.com')).toMatch(/^[\w-]{32}$/);
  });
});
