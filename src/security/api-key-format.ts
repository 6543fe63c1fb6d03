import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * The shape of a Gatehouse API key (DESIGN.md, "Tokens"):
 *
 *   api-key = "gh_" env "_" id "_" secret "_" crc
 *   env     = 1*8( %x61-7A / DIGIT )   ; "live", "test", ... (lower-case a-z, 0-9)
 *   id      = 12BASE62                 ; public, random; the store's lookup key
 *   secret  = 43BASE62                 ; 43 × log2(62) ≈ 256.03 bits from the CSPRNG
 *   crc     = 6BASE62                  ; CRC-32 of every character before the last "_",
 *                                      ; as a big-endian base-62 number, "0"-padded
 *   BASE62  = DIGIT / %x41-5A / %x61-7A   ; 0-9 A-Z a-z, in that order (digit values 0..61)
 *
 * No part can contain "_", so the four separators are unambiguous and a key survives
 * double-click selection. The fixed prefix plus the checksum let secret scanners find
 * keys with few false positives (the GitHub token-format rationale: a checksum turns
 * "looks like a key" into "is almost certainly a key"), and let us reject a mistyped
 * key without a store lookup. CRC-32 detects every burst error of ≤ 32 bits, so every
 * single-character substitution and every adjacent transposition is caught; other
 * corruptions slip through with probability about 2^-32 and then fail the hash compare.
 * `gh_` does not collide with GitHub's own `ghp_`/`gho_`/`ghs_`/... prefixes.
 */
export const API_KEY_PREFIX = 'gh_';
export const API_KEY_ENV = /^[a-z0-9]{1,8}$/;

const ID_LENGTH = 12;
const SECRET_LENGTH = 43;
const CRC_LENGTH = 6; // 62^6 ≈ 5.7e10 > 2^32
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Exact match of one whole key (used by `parseApiKey`). */
export const API_KEY_PATTERN = /^gh_([a-z0-9]{1,8})_([0-9A-Za-z]{12})_([0-9A-Za-z]{43})_([0-9A-Za-z]{6})$/;

/**
 * For secret scanners (GitHub custom patterns, gitleaks, trufflehog): finds keys inside
 * any text. The look-arounds stop a match inside a longer word-like run such as
 * `xgh_...` or a key followed by more key characters. Verify hits with `parseApiKey`.
 */
export const API_KEY_SCAN_PATTERN = /(?<![0-9A-Za-z_])gh_[a-z0-9]{1,8}_[0-9A-Za-z]{12}_[0-9A-Za-z]{43}_[0-9A-Za-z]{6}(?![0-9A-Za-z_])/g;

/** Longest possible key: anything longer is rejected before the regex runs. */
const MAX_LENGTH = API_KEY_PREFIX.length + 8 + 1 + ID_LENGTH + 1 + SECRET_LENGTH + 1 + CRC_LENGTH;

export interface ApiKeyParts {
  env: string;
  id: string;
  secret: string;
}

/** Uniform base-62 characters by rejection sampling: bytes ≥ 248 (= 4 × 62) are dropped, so no modulo bias. */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length + 8)) {
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

function checksum(body: string): string {
  let n = crc32(body); // unsigned 32-bit
  let out = '';
  for (let i = 0; i < CRC_LENGTH; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/** Assembles a key from its parts and appends the checksum (no validation of the parts). */
export function formatApiKey({ env, id, secret }: ApiKeyParts): string {
  const body = `${API_KEY_PREFIX}${env}_${id}_${secret}`;
  return `${body}_${checksum(body)}`;
}

export function generateApiKey(env: string): { key: string; id: string; secret: string } {
  if (!API_KEY_ENV.test(env)) throw new TypeError(`API key environment tag must match [a-z0-9]{1,8} (got "${env}")`);
  const id = randomBase62(ID_LENGTH);
  const secret = randomBase62(SECRET_LENGTH);
  return { key: formatApiKey({ env, id, secret }), id, secret };
}

/**
 * Shape and checksum only, no store access. Distinguishes the two failures for metrics
 * and logs: "malformed" is not a key at all, "checksum" is a key with a typo (or a forgery).
 */
export function checkApiKey(candidate: string): { ok: true; parts: ApiKeyParts } | { ok: false; reason: 'malformed' | 'checksum' } {
  if (candidate.length > MAX_LENGTH) return { ok: false, reason: 'malformed' };
  const m = API_KEY_PATTERN.exec(candidate);
  if (!m) return { ok: false, reason: 'malformed' };
  const [, env, id, secret, crc] = m as unknown as [string, string, string, string, string];
  // Not constant-time, on purpose: the checksum is a public function of the key.
  if (checksum(candidate.slice(0, -(CRC_LENGTH + 1))) !== crc) return { ok: false, reason: 'checksum' };
  return { ok: true, parts: { env, id, secret } };
}

export function parseApiKey(candidate: string): ApiKeyParts | undefined {
  const r = checkApiKey(candidate);
  return r.ok ? r.parts : undefined;
}

/** Cheap routing test for a bearer value: API key or (opaque/JWT) access token? */
export const looksLikeApiKey = (s: string): boolean => s.startsWith(API_KEY_PREFIX);

/** What lists show to identify a key without revealing it: `gh_live_<id>`. */
export const apiKeyPrefix = (env: string, id: string): string => `${API_KEY_PREFIX}${env}_${id}`;
