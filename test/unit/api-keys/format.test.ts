import { randomBytes, randomInt } from 'node:crypto';
import {
  API_KEY_PATTERN, API_KEY_SCAN_PATTERN, apiKeyPrefix, checkApiKey, formatApiKey, generateApiKey, looksLikeApiKey, parseApiKey,
} from '../../../src/security/api-key-format.ts';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const TYPO_CHARS = `${BASE62}_-.+/= `;

const scan = (text: string) => [...text.matchAll(API_KEY_SCAN_PATTERN)].map((m) => m[0]);

describe('generateApiKey / parseApiKey', () => {
  test('gh_<env>_<id>_<secret>_<crc> round trip', () => {
    const { key, id, secret } = generateApiKey('live');
    expect(key).toMatch(/^gh_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{43}_[0-9A-Za-z]{6}$/);
    expect(key).toBe(`gh_live_${id}_${secret}_${key.slice(-6)}`);
    expect(parseApiKey(key)).toEqual({ env: 'live', id, secret });
    expect(checkApiKey(key)).toEqual({ ok: true, parts: { env: 'live', id, secret } });
    expect(formatApiKey({ env: 'live', id, secret })).toBe(key);
    expect(apiKeyPrefix('live', id)).toBe(key.slice(0, 'gh_live_'.length + 12));
    expect(parseApiKey(generateApiKey('t3st0000').key)?.env).toBe('t3st0000');
  });

  test('the secret carries at least 256 bits: 43 uniform base-62 characters from the CSPRNG', () => {
    expect(43 * Math.log2(62)).toBeGreaterThanOrEqual(256);
    const secrets = Array.from({ length: 1000 }, () => generateApiKey('test').secret);
    expect(new Set(secrets).size).toBe(1000);
    const counts = new Map<string, number>();
    for (const s of secrets) {
      expect(s).toMatch(/^[0-9A-Za-z]{43}$/);
      for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    // 43,000 draws, 693.5 expected per character, σ ≈ 26: ±5σ catches a biased alphabet.
    expect(counts.size).toBe(62);
    for (const n of counts.values()) expect(Math.abs(n - 43000 / 62)).toBeLessThan(130);
  });

  test('refuses an environment tag outside [a-z0-9]{1,8}', () => {
    for (const env of ['', 'LIVE', 'live_1', 'toolongtag', 'li-ve']) {
      expect(() => generateApiKey(env)).toThrow(`API key environment tag must match [a-z0-9]{1,8} (got "${env}")`);
    }
  });

  test('every single-character substitution of a key is caught without a store lookup', () => {
    const { key } = generateApiKey('live');
    let checked = 0;
    for (let i = 0; i < key.length; i++) {
      for (const c of TYPO_CHARS) {
        if (c === key[i]) continue;
        const typo = key.slice(0, i) + c + key.slice(i + 1);
        const result = checkApiKey(typo);
        expect({ typo, ok: result.ok }).toEqual({ typo, ok: false });
        checked++;
      }
    }
    expect(checked).toBe(key.length * (TYPO_CHARS.length - 1)); // ≈ 4,800 typos
  });

  test('a few hundred random typos over many keys: substitutions, transpositions, drops, doubles', () => {
    for (let n = 0; n < 400; n++) {
      const { key } = generateApiKey(n % 2 ? 'live' : 'test');
      const i = randomInt(key.length - 1);
      let typo: string;
      switch (n % 4) {
        case 0: { // substitution within the key alphabet: only the checksum can catch it
          const c = BASE62.replace(key[i]!, '')[randomInt(61)]!;
          typo = key.slice(0, i) + c + key.slice(i + 1);
          break;
        }
        case 1: typo = key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2); break;
        case 2: typo = key.slice(0, i) + key.slice(i + 1); break;
        default: typo = key.slice(0, i) + key[i] + key.slice(i); break;
      }
      if (typo === key) continue; // transposing two equal characters changes nothing
      expect({ typo, parsed: parseApiKey(typo) }).toEqual({ typo, parsed: undefined });
    }
  });

  test('names the failure: malformed shape vs. bad checksum', () => {
    const { key } = generateApiKey('live');
    const last = key.at(-1) === 'A' ? 'B' : 'A';
    expect(checkApiKey(key.slice(0, -1) + last)).toEqual({ ok: false, reason: 'checksum' });
    for (const bad of ['', 'gh_', 'Bearer x', key.slice(1), `${key}_`, `${key}x`, key.replace('gh_', 'GH_'), 'gh_'.padEnd(10_000, 'a')]) {
      expect(checkApiKey(bad)).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  test('looksLikeApiKey is a prefix test for routing bearer values', () => {
    expect(looksLikeApiKey(generateApiKey('live').key)).toBe(true);
    expect(looksLikeApiKey('gh_anything')).toBe(true);
    expect(looksLikeApiKey('eyJhbGciOiJFUzI1NiJ9.e30.sig')).toBe(false);
    expect(looksLikeApiKey('ghp_16C7e42F292c6912E7710c838347Ae178B4a')).toBe(false);
  });
});

describe('secret-scanner regex', () => {
  test('finds generated keys inside text, whole and exactly', () => {
    const keys = Array.from({ length: 50 }, (_, i) => generateApiKey(['live', 'test', 'dev1'][i % 3]!).key);
    for (const key of keys) {
      expect(API_KEY_PATTERN.test(key)).toBe(true);
      expect(scan(key)).toEqual([key]);
      expect(scan(`export GATEHOUSE_KEY="${key}"\n`)).toEqual([key]);
      expect(scan(`{"key":"${key}"}`)).toEqual([key]);
      expect(scan(`Authorization: Bearer ${key}`)).toEqual([key]);
    }
    expect(scan(keys.join(' '))).toEqual(keys);
  });

  test('matches nothing else: random strings and near misses', () => {
    const { key } = generateApiKey('live');
    const nearMisses = [
      `x${key}`, `_${key}`, `${key}0`, `${key}_`, key.slice(0, -1), key.replace('gh_', 'ghp_'),
      key.replace('_live_', '_LIVE_'), key.replace('_live_', '_toolongenv_'), key.replace(/_/g, '-'),
      'ghp_16C7e42F292c6912E7710c838347Ae178B4a', 'gh_live_short_secret_abcdef',
    ];
    for (const s of nearMisses) expect({ s, hits: scan(s) }).toEqual({ s, hits: [] });

    const alphabet = `${BASE62}_-./+= "'\n`;
    for (let n = 0; n < 2000; n++) {
      const length = randomInt(1, 200);
      const bytes = randomBytes(length);
      // Half the samples start like a key, so the regex has something to chew on.
      const s = (n % 2 ? 'gh_live_' : '') + Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
      expect({ s, hits: scan(s) }).toEqual({ s, hits: [] });
    }
  });
});
