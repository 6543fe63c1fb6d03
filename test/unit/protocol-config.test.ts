import { loadConfig } from '../../src/config/index.ts';

/** DPOP, DPOP_NONCE_SECRET, DPOP_REQUIRE_NONCE, PAR, PAR_REQUIRED, PKCE_REQUIRED, JWT_INTROSPECTION (config/gatehouse.example.env). */
describe('protocol extension settings', () => {
  const production = {
    NODE_ENV: 'production', ISSUER: 'https://id.example.com', COOKIE_KEYS: 'k'.repeat(32), SECRET_PEPPER: 'p'.repeat(32),
    REDIS_URL: 'redis://127.0.0.1:6379', MONGODB_URI: 'mongodb://127.0.0.1/gh', KEY_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
  };

  test('everything is on by default; PAR is not required and DPoP nonces are optional', () => {
    const config = loadConfig({});
    expect(config.dpop).toMatchObject({ enabled: true, requireNonce: false });
    expect(config.dpop.nonceSecret).toHaveLength(32);
    expect(config.par).toEqual({ enabled: true, required: false });
    expect(config.jwtIntrospection).toEqual({ enabled: true });
    expect(config.pkceRequired).toBe('all');
  });

  test('PKCE_REQUIRED=public lets confidential clients leave PKCE out', () => {
    expect(loadConfig({ PKCE_REQUIRED: 'public' }).pkceRequired).toBe('public');
    expect(() => loadConfig({ PKCE_REQUIRED: 'none' })).toThrow('PKCE_REQUIRED must be one of all, public (got "none")');
  });

  test('each switch turns its feature off', () => {
    const config = loadConfig({ DPOP: 'off', PAR: 'off', JWT_INTROSPECTION: 'off' });
    expect([config.dpop.enabled, config.par.enabled, config.jwtIntrospection.enabled]).toEqual([false, false, false]);
  });

  test('outside production each process makes its own nonce secret; a given one is used as is', () => {
    expect(loadConfig({}).dpop.nonceSecret.equals(loadConfig({}).dpop.nonceSecret)).toBe(false);
    const secret = Buffer.alloc(32, 5);
    expect(loadConfig({ DPOP_NONCE_SECRET: secret.toString('base64url') }).dpop.nonceSecret.equals(secret)).toBe(true);
  });

  test.each(['short', 'A'.repeat(44), `${'A'.repeat(42)}=`, `${'A'.repeat(42)}+`])('DPOP_NONCE_SECRET "%s" is refused', (value) => {
    expect(() => loadConfig({ DPOP_NONCE_SECRET: value })).toThrow(/^DPOP_NONCE_SECRET must be 32 random bytes, base64url-encoded/);
  });

  test('production needs DPOP_NONCE_SECRET while DPoP is on, so every node agrees on nonces', () => {
    expect(() => loadConfig(production)).toThrow('DPOP_NONCE_SECRET is required when NODE_ENV=production and DPOP=on');
    expect(loadConfig({ ...production, DPOP: 'off' }).dpop.enabled).toBe(false);
    expect(loadConfig({ ...production, DPOP_NONCE_SECRET: 'a'.repeat(43) }).production).toBe(true);
  });

  test('bad values name the variable', () => {
    expect(() => loadConfig({ DPOP: 'yes' })).toThrow('DPOP must be one of on, off (got "yes")');
    expect(() => loadConfig({ PAR_REQUIRED: 'on' })).toThrow('PAR_REQUIRED must be one of true, false (got "on")');
    expect(() => loadConfig({ PAR: 'off', PAR_REQUIRED: 'true' })).toThrow('PAR_REQUIRED=true needs PAR=on');
    expect(() => loadConfig({ JWT_INTROSPECTION: '1' })).toThrow('JWT_INTROSPECTION must be one of on, off (got "1")');
  });
});
