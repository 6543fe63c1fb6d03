import { randomBytes } from 'node:crypto';
import * as argon2 from 'argon2';
import pLimit from 'p-limit';

/** argon2id cost parameters. OWASP Password Storage Cheat Sheet minimum: m=19456 KiB, t=2, p=1. */
export interface PasswordHashOptions {
  /** Memory in KiB. */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
  /**
   * How many hashes or verifications run at once; the rest wait their turn. Each takes a
   * thread of libuv's pool for tens of milliseconds, a pool that JWT signing and DNS
   * look-ups share (process-tuning.ts: hashingSlots). Unlimited when absent.
   */
  concurrency?: number;
}

export interface PasswordHasher {
  /** A PHC-format argon2id string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`). */
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /**
   * Burns the same time as a real `verify` and always answers false: called for an
   * unknown email so that response time does not reveal which emails have accounts
   * (OWASP Authentication Cheat Sheet, "Authentication Responses").
   */
  dummyVerify(password: string): Promise<false>;
  /** True when `hash` was made with other parameters (rehash after the next login). */
  needsRehash(hash: string): boolean;
  /** Hashes and verifications under way, and those waiting for a turn. */
  load(): { running: number; waiting: number };
}

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

/**
 * NIST SP 800-63B §5.1.1.2: passwords SHOULD be Unicode-normalised (NFKC or NFKD) before
 * hashing, so that the same password typed on two keyboards/IMEs verifies the same way.
 */
function normalise(password: string): string {
  return password.normalize('NFKC');
}

/**
 * NIST SP 800-63B §5.1.1.2: at least 8 characters, allow at least 64 (we allow 128),
 * every printable character and space allowed, and no composition rules. Length is
 * counted in Unicode code points ("each Unicode code point SHALL be counted as a single
 * character"), so "🔐" is one character, not two UTF-16 units.
 * Returns an error message, or undefined when the password is acceptable.
 */
export function validatePasswordPolicy(password: string): string | undefined {
  const length = [...normalise(password)].length;
  if (length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  return undefined;
}

export function createPasswordHasher(opts: PasswordHashOptions): PasswordHasher {
  const params = {
    type: argon2.argon2id,
    memoryCost: opts.memoryCost,
    timeCost: opts.timeCost,
    parallelism: opts.parallelism,
  } as const;
  const limit = pLimit(opts.concurrency ?? Number.POSITIVE_INFINITY);

  // Made once, eagerly, with the same parameters as real hashes so that verifying
  // against it costs the same as verifying a real account's hash. The password is
  // random and thrown away: nothing can ever match it.
  const dummyHash = limit(() => argon2.hash(randomBytes(32), params));
  dummyHash.catch(() => {}); // surfaced to the first dummyVerify caller instead

  return {
    hash: (password) => limit(() => argon2.hash(normalise(password), params)),

    async verify(hash, password) {
      // A non-argon2 value (corrupt row, unmigrated hash) simply does not verify.
      if (!hash.startsWith('$argon2')) return false;
      return limit(() => argon2.verify(hash, normalise(password)));
    },

    async dummyVerify(password) {
      const hash = await dummyHash;
      await limit(() => argon2.verify(hash, normalise(password)));
      return false;
    },

    needsRehash: (hash) => argon2.needsRehash(hash, params),

    load: () => ({ running: limit.activeCount, waiting: limit.pendingCount }),
  };
}
