import { formatApiKey, generateApiKey, parseApiKey } from '../../../src/security/api-key-format.ts';
import { ApiKeyInputError, createApiKeyService, type ApiKeyRequest, type ApiKeyService, type ApiKeyServiceOptions, type IssueContext } from '../../../src/security/api-keys.ts';
import { createMemoryApiKeyStore, type ApiKeyStore } from '../../../src/stores/api-keys.ts';

const PEPPER = 'test-pepper-0123456789abcdefghijklmnopqrstuvwxyz';
const T0 = new Date('2030-01-01T00:00:00.000Z');
const DAY = 86_400_000;

/** A real memory store that counts `touch` writes and can be told to fail them. */
function countingStore() {
  const inner = createMemoryApiKeyStore();
  const state = { touches: 0, touchFailure: undefined as 'reject' | 'throw' | 'hang' | undefined };
  const store: ApiKeyStore = {
    ...inner,
    touch(id, at) {
      state.touches++;
      if (state.touchFailure === 'throw') throw new Error('touch exploded');
      if (state.touchFailure === 'reject') return Promise.reject(new Error('mongo is down'));
      if (state.touchFailure === 'hang') return new Promise<void>(() => {});
      return inner.touch(id, at);
    },
  };
  return { store, state };
}

function setup(overrides: Partial<ApiKeyServiceOptions> = {}) {
  const { store, state } = countingStore();
  const clock = { now: T0 };
  const errors: unknown[] = [];
  const service = createApiKeyService({
    store, pepper: PEPPER, env: 'test', now: () => clock.now, onError: (err) => errors.push(err), ...overrides,
  });
  const advance = (ms: number) => { clock.now = new Date(clock.now.getTime() + ms); };
  return { service, store, state, clock, advance, errors };
}

const ACCOUNT: IssueContext = { owner: { type: 'account', id: 'acct-1' }, allowedScopes: ['read', 'write', 'admin'] };
const SERVICE: IssueContext = { owner: { type: 'service_account', id: 'svc-1' }, orgId: 'org-1', allowedScopes: ['read', 'write'] };
const flush = () => new Promise((resolve) => setImmediate(resolve));

async function inputError(service: ApiKeyService, input: Partial<ApiKeyRequest>, ctx = ACCOUNT) {
  const err = await service.issue({ name: 'ci', scopes: ['read'], ...input }, ctx).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApiKeyInputError);
  const { field, message } = err as ApiKeyInputError;
  return { field, message };
}

describe('issue', () => {
  test('returns the key once and stores only its keyed hash', async () => {
    const { service, store } = setup();
    const { key, record } = await service.issue({ name: '  deploy bot ', scopes: ['read', 'write', 'read'] }, SERVICE);
    const { id, secret } = parseApiKey(key)!;
    expect(key.startsWith(`gh_test_${id}_`)).toBe(true);
    const stored = await store.findById(id);
    expect(stored).toEqual(record);
    expect(stored).toMatchObject({
      id, env: 'test', name: 'deploy bot', owner: { type: 'service_account', id: 'svc-1' }, orgId: 'org-1',
      scopes: ['read', 'write'], createdAt: T0, expiresAt: new Date(T0.getTime() + 90 * DAY), ipAllowList: [], last4: key.slice(-4),
    });
    expect(stored!.hash).toMatch(/^\$gh-ak-v1\$/);
    const dump = JSON.stringify(stored);
    expect(dump).not.toContain(secret);
    expect(dump).not.toContain(key);
    expect(dump).not.toContain(secret.slice(0, 16));
  });

  test('expiry: expires_in_days, expires_at, and the configured maximum', async () => {
    const { service } = setup({ maxExpiresInDays: 30, defaultExpiresInDays: 7 });
    expect((await service.issue({ name: 'a', scopes: ['read'] }, ACCOUNT)).record.expiresAt).toEqual(new Date(T0.getTime() + 7 * DAY));
    expect((await service.issue({ name: 'a', scopes: ['read'], expires_in_days: 30 }, ACCOUNT)).record.expiresAt).toEqual(new Date(T0.getTime() + 30 * DAY));
    expect((await service.issue({ name: 'a', scopes: ['read'], expires_at: '2030-01-15T12:00:00+02:00' }, ACCOUNT)).record.expiresAt)
      .toEqual(new Date('2030-01-15T10:00:00Z'));
    expect(await inputError(service, { expires_in_days: 31 })).toEqual({ field: 'expires_in_days', message: 'expires_in_days must be an integer from 1 to 30' });
    expect(await inputError(service, { expires_in_days: 0 })).toEqual({ field: 'expires_in_days', message: 'expires_in_days must be an integer from 1 to 30' });
    expect(await inputError(service, { expires_in_days: 1.5 })).toMatchObject({ field: 'expires_in_days' });
    expect(await inputError(service, { expires_at: '2030-02-01T00:00:01Z' })).toEqual({ field: 'expires_at', message: 'expires_at must be at most 30 days from now' });
    expect(await inputError(service, { expires_at: '2029-12-31T23:59:59Z' })).toEqual({ field: 'expires_at', message: 'expires_at must be in the future' });
    for (const bad of ['2030-01-10', '2030-01-10T00:00:00', '2030-02-30T00:00:00Z', 'next tuesday']) {
      expect(await inputError(service, { expires_at: bad })).toEqual({ field: 'expires_at', message: 'expires_at must be an RFC 3339 date-time with a time zone, e.g. 2030-01-31T00:00:00Z' });
    }
    expect(await inputError(service, { expires_at: '2030-01-10T00:00:00Z', expires_in_days: 5 })).toEqual({ field: 'expires_in_days', message: 'give either expires_at or expires_in_days, not both' });
  });

  test('validates name, scopes, IP allow-list and rate-limit tier, naming the field', async () => {
    const { service, store } = setup({ rateLimitTiers: ['standard', 'bulk'] });
    expect(await inputError(service, { name: '   ' })).toEqual({ field: 'name', message: 'name must be 1 to 100 characters long' });
    expect(await inputError(service, { name: 'x'.repeat(101) })).toMatchObject({ field: 'name' });
    expect(await inputError(service, { name: 'a\nb' })).toEqual({ field: 'name', message: 'name must not contain control characters' });
    expect(await inputError(service, { scopes: [] })).toEqual({ field: 'scopes', message: 'at least one scope is required' });
    expect(await inputError(service, { scopes: ['read', 'admin'] }, SERVICE)).toEqual({ field: 'scopes[1]', message: '"admin" is not one of the owner\'s scopes' });
    expect(await inputError(service, { scopes: ['read write'] })).toMatchObject({ field: 'scopes[0]' });
    expect(await inputError(service, { ip_allow_list: ['10.0.0.0/8', '300.0.0.0/8'] })).toEqual({
      field: 'ip_allow_list[1]', message: '"300.0.0.0/8" is not a valid CIDR range: expected an IPv4 (a.b.c.d) or IPv6 address before the "/"',
    });
    expect(await inputError(service, { rate_limit_tier: 'platinum' })).toEqual({ field: 'rate_limit_tier', message: 'unknown rate-limit tier "platinum" (known: standard, bulk)' });
    expect((await store.list({ limit: 10 })).items).toEqual([]);

    const { record } = await service.issue({ name: 'x'.repeat(100), scopes: ['admin'], ip_allow_list: ['10.0.0.0/8', '::1'], rate_limit_tier: 'bulk' }, ACCOUNT);
    expect(record).toMatchObject({ ipAllowList: ['10.0.0.0/8', '::1/128'], rateLimitTier: 'bulk' });
  });

  test('refuses inconsistent options at construction', () => {
    const store = createMemoryApiKeyStore();
    expect(() => createApiKeyService({ store, pepper: PEPPER, env: 'Live' })).toThrow('API key environment tag must match [a-z0-9]{1,8} (got "Live")');
    expect(() => createApiKeyService({ store, pepper: PEPPER, env: 'live', maxExpiresInDays: 30 })).toThrow('defaultExpiresInDays must be a positive integer no greater than maxExpiresInDays');
    expect(() => createApiKeyService({ store, pepper: 'short', env: 'live' })).toThrow('API key pepper must be at least 32 bytes');
  });
});

describe('verify', () => {
  test('accepts the issued key and names each failure', async () => {
    const { service, advance } = setup();
    const { key, record } = await service.issue({ name: 'ci', scopes: ['read'], expires_in_days: 1, ip_allow_list: ['10.0.0.0/8'] }, ACCOUNT);
    const { id, secret } = parseApiKey(key)!;
    expect(await service.verify(key, { ip: '10.1.2.3' })).toEqual({ ok: true, record: expect.objectContaining({ id: record.id }) });
    expect(await service.verify(key, { ip: '::ffff:10.1.2.3' })).toMatchObject({ ok: true });

    const last = key.at(-1) === 'A' ? 'B' : 'A';
    expect(await service.verify('Bearer nonsense')).toEqual({ ok: false, reason: 'malformed' });
    expect(await service.verify(key.slice(0, -1) + last)).toEqual({ ok: false, reason: 'checksum' });
    expect(await service.verify(generateApiKey('test').key)).toEqual({ ok: false, reason: 'unknown' });
    const wrongSecret = formatApiKey({ env: 'test', id, secret: generateApiKey('test').secret });
    expect(await service.verify(wrongSecret, { ip: '10.0.0.1' })).toEqual({ ok: false, reason: 'unknown' });
    expect(await service.verify(formatApiKey({ env: 'live', id, secret }), { ip: '10.0.0.1' })).toEqual({ ok: false, reason: 'unknown' });
    expect(await service.verify(key, { ip: '192.0.2.1' })).toEqual({ ok: false, reason: 'ip_not_allowed' });
    expect(await service.verify(key)).toEqual({ ok: false, reason: 'ip_not_allowed' });

    advance(DAY); // expiresAt is exclusive
    expect(await service.verify(key, { ip: '10.1.2.3' })).toEqual({ ok: false, reason: 'expired' });
  });

  test('a revoked key is refused, and revoke is idempotent', async () => {
    const { service } = setup();
    const { key, record } = await service.issue({ name: 'ci', scopes: ['read'] }, ACCOUNT);
    expect((await service.revoke(record.id))?.revokedAt).toEqual(T0);
    expect((await service.revoke(record.id))?.revokedAt).toEqual(T0);
    await expect(service.revoke('unknown')).resolves.toBeUndefined();
    expect(await service.verify(key)).toEqual({ ok: false, reason: 'revoked' });
  });

  test('lastUsedAt: at most one write per key per interval, never awaited', async () => {
    const { service, store, state, advance } = setup({ touchIntervalMs: 60_000 });
    const a = await service.issue({ name: 'a', scopes: ['read'] }, ACCOUNT);
    const b = await service.issue({ name: 'b', scopes: ['read'] }, ACCOUNT);

    await service.verify(a.key);
    await service.verify(a.key);
    expect(state.touches).toBe(1);
    await flush();
    expect((await store.findById(a.record.id))?.lastUsedAt).toEqual(T0);

    await service.verify(b.key); // another key has its own budget
    expect(state.touches).toBe(2);

    advance(59_999);
    await Promise.all([service.verify(a.key), service.verify(a.key)]);
    expect(state.touches).toBe(2);
    advance(1);
    await Promise.all([service.verify(a.key), service.verify(a.key)]);
    expect(state.touches).toBe(3);
    await flush();
    expect((await store.findById(a.record.id))?.lastUsedAt).toEqual(new Date(T0.getTime() + 60_000));
  });

  test('a write made by another node within the interval counts too', async () => {
    const { service, store, state, advance } = setup();
    const { key, record } = await service.issue({ name: 'a', scopes: ['read'] }, ACCOUNT);
    await store.touch(record.id, T0); // "another node"
    state.touches = 0;
    advance(30_000);
    await service.verify(key);
    expect(state.touches).toBe(0);
  });

  test.each(['reject', 'throw', 'hang'] as const)('a touch that fails (%s) does not fail or block verify', async (failure) => {
    const { service, state, errors, advance } = setup();
    const { key, record } = await service.issue({ name: 'a', scopes: ['read'] }, ACCOUNT);
    state.touchFailure = failure;
    expect(await service.verify(key)).toMatchObject({ ok: true, record: { id: record.id } });
    await flush();
    expect(errors.map((e) => (e as Error).message)).toEqual(failure === 'hang' ? [] : [failure === 'throw' ? 'touch exploded' : 'mongo is down']);
    advance(60_000);
    expect(await service.verify(key)).toMatchObject({ ok: true });
    expect(state.touches).toBe(2);
  });

  test('a failing error reporter is contained as well', async () => {
    const { service, state } = setup({ onError: () => { throw new Error('reporter broke'); } });
    const { key } = await service.issue({ name: 'a', scopes: ['read'] }, ACCOUNT);
    state.touchFailure = 'reject';
    expect(await service.verify(key)).toMatchObject({ ok: true });
    await flush();
  });
});

describe('rotate', () => {
  test('without overlap: a new key with the same metadata, the old one revoked at once', async () => {
    const { service, advance } = setup();
    const old = await service.issue({ name: 'ci', scopes: ['read'], expires_in_days: 30, ip_allow_list: ['10.0.0.0/8'], rate_limit_tier: 'bulk' }, SERVICE);
    advance(DAY);
    const rotated = await service.rotate(old.record.id);
    if (!rotated.ok) throw new Error(rotated.reason);
    expect(rotated.key).not.toBe(old.key);
    expect(rotated.record).toMatchObject({
      name: 'ci', scopes: ['read'], owner: SERVICE.owner, orgId: 'org-1', ipAllowList: ['10.0.0.0/8'], rateLimitTier: 'bulk',
      rotatedFrom: old.record.id, createdAt: new Date(T0.getTime() + DAY), expiresAt: new Date(T0.getTime() + 31 * DAY),
    });
    expect(rotated.previous.revokedAt).toEqual(new Date(T0.getTime() + DAY));
    expect(await service.verify(rotated.key, { ip: '10.0.0.1' })).toMatchObject({ ok: true });
    expect(await service.verify(old.key, { ip: '10.0.0.1' })).toEqual({ ok: false, reason: 'revoked' });
    expect(await service.rotate(old.record.id)).toEqual({ ok: false, reason: 'revoked' });
  });

  test('with overlap: the old key stays valid until now + overlap, never longer than it was', async () => {
    const { service, advance } = setup();
    const old = await service.issue({ name: 'ci', scopes: ['read'], expires_in_days: 30 }, ACCOUNT);
    const rotated = await service.rotate(old.record.id, { overlapSeconds: 3600 });
    if (!rotated.ok) throw new Error(rotated.reason);
    expect(rotated.previous).toMatchObject({ expiresAt: new Date(T0.getTime() + 3_600_000) });
    expect(rotated.previous.revokedAt).toBeUndefined();
    advance(3_599_000);
    expect(await service.verify(old.key)).toMatchObject({ ok: true });
    expect(await service.verify(rotated.key)).toMatchObject({ ok: true });
    advance(1000);
    expect(await service.verify(old.key)).toEqual({ ok: false, reason: 'expired' });
    expect(await service.rotate(old.record.id)).toEqual({ ok: false, reason: 'expired' });

    const short = await service.issue({ name: 'short', scopes: ['read'], expires_at: '2030-01-01T01:02:00Z' }, ACCOUNT);
    const again = await service.rotate(short.record.id, { overlapSeconds: 7 * 86400 });
    expect(again.ok && again.previous.expiresAt).toEqual(short.record.expiresAt);
  });

  test('unknown ids and bad overlaps', async () => {
    const { service } = setup();
    expect(await service.rotate('unknown')).toEqual({ ok: false, reason: 'unknown' });
    const err = await service.rotate('unknown', { overlapSeconds: -1 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ApiKeyInputError', field: 'overlap_seconds', message: 'overlap_seconds must be an integer from 0 to 604800' });
  });
});

describe('introspect and toPublic', () => {
  test('RFC 7662 answers for a service-account key and an account key', async () => {
    const { service } = setup();
    const svc = await service.issue({ name: 'svc', scopes: ['read', 'write'], expires_in_days: 10 }, SERVICE);
    const exp = Math.floor(T0.getTime() / 1000) + 10 * 86400;
    expect(await service.introspect(svc.key)).toStrictEqual({
      active: true, scope: 'read write', sub: 'svc-1', client_id: 'svc-1', org_id: 'org-1',
      exp, iat: Math.floor(T0.getTime() / 1000), token_type: 'api_key', key_id: svc.record.id,
    });
    const acct = await service.issue({ name: 'me', scopes: ['admin'] }, ACCOUNT);
    const answer = await service.introspect(acct.key);
    expect(answer).toMatchObject({ active: true, scope: 'admin', sub: 'acct-1', token_type: 'api_key' });
    expect(answer).not.toHaveProperty('client_id');
    expect(answer).not.toHaveProperty('org_id');
  });

  test('anything not valid is just { active: false }', async () => {
    const { service, advance } = setup();
    const { key, record } = await service.issue({ name: 'a', scopes: ['read'], expires_in_days: 1, ip_allow_list: ['10.0.0.0/8'] }, ACCOUNT);
    expect(await service.introspect('garbage')).toStrictEqual({ active: false });
    // The allow-list is the resource server's to apply to its caller: it is in the answer.
    expect(await service.introspect(key)).toMatchObject({ active: true, ip_allow_list: ['10.0.0.0/8'] });
    advance(DAY);
    expect(await service.introspect(key)).toStrictEqual({ active: false });
    await service.revoke(record.id);
    expect(await service.introspect(key)).toStrictEqual({ active: false });
  });

  test('toPublic shows what lists need and never the hash or the key', async () => {
    const { service, advance } = setup();
    const { key, record } = await service.issue({ name: 'ci', scopes: ['read'] }, SERVICE);
    const { id } = parseApiKey(key)!;
    const shown = service.toPublic(record);
    expect(shown).toStrictEqual({
      id, name: 'ci', prefix: `gh_test_${id}`, last4: key.slice(-4), status: 'active', scopes: ['read'],
      owner: { type: 'service_account', id: 'svc-1' }, org_id: 'org-1', created_at: T0.toISOString(),
      expires_at: new Date(T0.getTime() + 90 * DAY).toISOString(), ip_allow_list: [],
    });
    expect(JSON.stringify(shown)).not.toContain(record.hash.slice(10));
    expect(JSON.stringify(shown)).not.toContain(parseApiKey(key)!.secret);
    advance(90 * DAY);
    expect(service.toPublic(record).status).toBe('expired');
    await service.revoke(record.id);
    expect(service.toPublic((await service.revoke(record.id))!)).toMatchObject({ status: 'revoked', revoked_at: expect.any(String) });
  });
});
