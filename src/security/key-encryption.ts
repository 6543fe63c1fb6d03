import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Envelope for private signing keys at rest: AES-256-GCM under a key-encryption key (KEK)
 * from configuration (`KEY_ENCRYPTION_KEYS`). The KEK's id is recorded with each sealed
 * key, so KEKs rotate like cookie keys: the first seals, every listed one opens. The
 * key's own id is bound in as additional authenticated data, so a sealed blob cannot be
 * swapped onto another key record unnoticed (NIST SP 800-38D §5.2.1.2, AAD).
 */
export interface SealedJwk {
  v: 1;
  alg: 'A256GCM';
  kek: string;
  iv: string;
  tag: string;
  data: string;
}

export interface KeyCipher {
  seal(plain: object, boundTo: string): SealedJwk;
  open(sealed: SealedJwk, boundTo: string): Record<string, unknown>;
}

export interface Kek { id: string; key: Buffer }

export class KeyDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyDecryptionError';
  }
}

export const isSealed = (value: unknown): value is SealedJwk =>
  typeof value === 'object' && value !== null && (value as SealedJwk).alg === 'A256GCM' && typeof (value as SealedJwk).data === 'string';

/** `id:base64key` entries, each key 32 bytes (AES-256). */
export function parseKeks(entries: readonly string[]): Kek[] {
  return entries.map((entry, i) => {
    const at = entry.indexOf(':');
    const id = entry.slice(0, at);
    const key = Buffer.from(entry.slice(at + 1), 'base64');
    if (at < 1 || !/^[A-Za-z0-9._-]{1,32}$/.test(id)) throw new TypeError(`entry ${i + 1} must look like "<id>:<base64 key>"`);
    if (key.length !== 32) throw new TypeError(`entry ${i + 1} ("${id}") must hold a 32-byte key, base64-encoded`);
    return { id, key };
  });
}

export function createKeyCipher(keks: readonly Kek[]): KeyCipher {
  const [sealer] = keks;
  if (!sealer) throw new TypeError('at least one key-encryption key is needed');
  const byId = new Map(keks.map((k) => [k.id, k.key]));
  return {
    seal(plain, boundTo) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', sealer.key, iv);
      cipher.setAAD(Buffer.from(boundTo));
      const data = Buffer.concat([cipher.update(JSON.stringify(plain), 'utf8'), cipher.final()]);
      return { v: 1, alg: 'A256GCM', kek: sealer.id, iv: iv.toString('base64url'), tag: cipher.getAuthTag().toString('base64url'), data: data.toString('base64url') };
    },
    open(sealed, boundTo) {
      const key = byId.get(sealed.kek);
      if (!key) throw new KeyDecryptionError(`signing key sealed under key-encryption key "${sealed.kek}", which is not configured`);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64url'));
        decipher.setAAD(Buffer.from(boundTo));
        decipher.setAuthTag(Buffer.from(sealed.tag, 'base64url'));
        const plain = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64url')), decipher.final()]);
        return JSON.parse(plain.toString('utf8')) as Record<string, unknown>;
      } catch {
        // No detail: the cause is a wrong key or tampering, and neither helps an attacker to know.
        throw new KeyDecryptionError(`signing key could not be decrypted with key-encryption key "${sealed.kek}"`);
      }
    },
  };
}
