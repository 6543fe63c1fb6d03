import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { MIN_PEPPER_BYTES } from './client-secrets.ts';

/**
 * API key secrets have ≥ 256 bits of entropy (api-key-format.ts), so a fast keyed hash is
 * enough: a slow KDF only helps low-entropy inputs, and verification runs on every
 * introspection (RFC 7662 §2.1), where argon2 would cost tens of milliseconds per call.
 *
 * The HMAC key is not the pepper itself but a subkey derived from it with HKDF
 * (RFC 5869) under the label below. That domain-separates API-key hashes from
 * client-secret hashes (client-secrets.ts keys HMAC with the raw pepper): a stored
 * client-secret hash can never be replayed as an API-key hash or the other way round,
 * and "v1" leaves room to change the scheme (new label, new prefix) without ambiguity.
 */
export const API_KEY_HASH_LABEL = 'gatehouse api-key v1';
export const API_KEY_HASH_PREFIX = '$gh-ak-v1$';
// base64url of a 32-byte HMAC-SHA-256 output, unpadded: 43 characters.
const HASHED = /^\$gh-ak-v1\$[A-Za-z0-9_-]{43}$/;

export interface ApiKeyHasher {
  /** `$gh-ak-v1$<base64url(HMAC-SHA-256(HKDF(pepper, label), secret))>` */
  hash(secret: string): string;
  /** Constant-time comparison of a presented secret against a stored hash. */
  verify(stored: string, presented: string): boolean;
}

export function createApiKeyHasher(pepper: string | Buffer): ApiKeyHasher {
  const ikm = typeof pepper === 'string' ? Buffer.from(pepper, 'utf8') : Buffer.from(pepper);
  if (ikm.length < MIN_PEPPER_BYTES) {
    throw new TypeError(`API key pepper must be at least ${MIN_PEPPER_BYTES} bytes (got ${ikm.length})`);
  }
  // Derived once: the hot path pays for one HMAC only.
  const key = Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), API_KEY_HASH_LABEL, 32));
  const encode = (secret: string) => API_KEY_HASH_PREFIX + createHmac('sha256', key).update(secret, 'utf8').digest('base64url');

  return {
    hash: encode,
    verify(stored, presented) {
      if (!HASHED.test(stored)) return false;
      // Same reasoning as client-secrets.ts: compare canonical encodings of equal length,
      // so timingSafeEqual never throws and timing does not depend on the presented value.
      const expected = Buffer.from(stored, 'ascii');
      const actual = Buffer.from(encode(presented), 'ascii');
      return expected.length === actual.length && timingSafeEqual(expected, actual);
    },
  };
}
