import { inspect } from 'node:util';

import { formatApiKey, generateApiKey, parseApiKey } from '../../../src/security/api-key-format.ts';
import { importSeed, SeedError, validateSeed } from '../../../src/seed/index.ts';
import { memoryDeps } from './helpers.ts';

const SECRET = 'service-secret-for-unit-tests-0123456789';
const PASSWORD = 'correct horse battery staple';
const GRACE_KEY = generateApiKey('test').key;
const SA_KEY = generateApiKey('test').key;
const ADA_KEY = generateApiKey('test').key;

/** Grace administers acme, Ada is a platform admin and a read-only member; a service account of acme; a key each. */
const seed = () => ({
  accounts: [
    { email: 'Ada@Example.com', name: 'Ada', password: PASSWORD, platform_admin: true },
    { email: 'grace@example.com', name: 'Grace', password: PASSWORD },
  ],
  organizations: [{
    slug: 'acme', name: 'Acme',
    members: [{ email: 'GRACE@example.com', role: 'admin' }, { email: 'ada@example.com', role: 'auditor' }],
  }],
  clients: [{
    client_id: 'billing', client_name: 'Billing', service_account: true, org: 'acme', client_secret: SECRET,
    grant_types: ['client_credentials'], scope: 'api:read api:write', ip_allow_list: ['10.0.0.0/8', '2001:db8::1'],
  }],
  api_keys: [
    { key: GRACE_KEY, name: 'acme ops', owner: { account: 'grace@example.com' }, org: 'acme', scopes: ['admin:accounts:read', 'admin:clients:write'], expires_in_days: 30 },
    { key: SA_KEY, name: 'batch', owner: { service_account: 'billing' }, scopes: ['api:read'], ip_allow_list: ['192.0.2.0/24'] },
    { key: ADA_KEY, name: 'platform', owner: { account: 'ada@example.com' }, scopes: ['admin:organizations:write'], expires_at: '2030-03-01T00:00:00Z' },
  ],
});
type Seed = ReturnType<typeof seed>;
const load = (data: unknown) => validateSeed(data, 'seed.json', {});
/** The message of the SeedError an import fails with, without the file name. */
async function failure(data: unknown, d = memoryDeps()): Promise<string> {
  const err = await importSeed(load(data), d.deps).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(SeedError);
  return (err as Error).message.replace(/^seed\.json: /, '');
}
const change = (f: (s: Seed) => void) => { const s = seed(); f(s); return s; };

describe('organizations, memberships, service accounts and API keys in a seed', () => {
  test('a valid file: everything stored as the admin API would store it, keys usable at once', async () => {
    const m = memoryDeps();
    const summary = await importSeed(load(seed()), m.deps);
    const org = (await m.organizations.findBySlug('acme'))!;
    const ada = (await m.accounts.findByEmail('ada@example.com'))!;
    const grace = (await m.accounts.findByEmail('grace@example.com'))!;
    expect(ada.platformAdmin).toBe(true);
    expect(grace.platformAdmin).toBeUndefined();
    expect(await m.memberships.find(org.id, grace.id)).toMatchObject({ role: 'admin' });
    expect(await m.memberships.find(org.id, ada.id)).toMatchObject({ role: 'auditor' });

    const billing = (await m.clients.find('billing'))!;
    expect(billing).toEqual({
      client_id: 'billing', client_name: 'Billing', service_account: true, org_id: org.id, client_secret: expect.stringMatching(/^\$hmac-sha256\$/),
      grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic',
      scope: 'api:read api:write', ip_allow_list: ['10.0.0.0/8', '2001:db8::1/128'],
    });
    // Listed where the admin API's GET /service-accounts looks.
    expect((await m.clients.list({ serviceAccounts: true, orgId: org.id, limit: 10 })).items.map((c) => c.client_id)).toEqual(['billing']);

    const verified = await m.apiKeys.verify(GRACE_KEY);
    expect(verified).toMatchObject({ ok: true, record: {
      owner: { type: 'account', id: grace.id }, orgId: org.id, scopes: ['admin:accounts:read', 'admin:clients:write'],
      expiresAt: new Date('2030-01-31T00:00:00Z'), last4: GRACE_KEY.slice(-4),
    } });
    expect(await m.apiKeys.introspect(SA_KEY)).toMatchObject({ active: true, client_id: 'billing', org_id: org.id, scope: 'api:read' });
    expect(await m.apiKeys.verify(SA_KEY, { ip: '10.1.1.1' })).toEqual({ ok: false, reason: 'ip_not_allowed' });
    expect(await m.apiKeys.verify(ADA_KEY)).toMatchObject({ ok: true, record: { owner: { id: ada.id }, expiresAt: new Date('2030-03-01T00:00:00Z') } });
    expect((await m.apiKeys.verify(ADA_KEY)).ok && (await m.apiKeyStore.findById(parseApiKey(ADA_KEY)!.id))!.orgId).toBeUndefined();

    expect(summary).toMatchObject({
      accounts: [{ email: 'ada@example.com', created: true, platform_admin: true }, { email: 'grace@example.com', created: true }],
      organizations: [{ slug: 'acme', name: 'Acme', id: org.id, action: 'create' }],
      memberships: [{ organization: 'acme', email: 'grace@example.com', role: 'admin', action: 'create' }, { email: 'ada@example.com', action: 'create' }],
      clients: [{ client_id: 'billing', created: true, organization: 'acme', service_account: true }],
      api_keys: [
        { id: parseApiKey(GRACE_KEY)!.id, prefix: `gh_test_${parseApiKey(GRACE_KEY)!.id}`, name: 'acme ops', owner: { account: 'grace@example.com' }, organization: 'acme', action: 'create' },
        { name: 'batch', owner: { service_account: 'billing' }, organization: 'acme', scopes: ['api:read'], action: 'create' },
        { name: 'platform', action: 'create' },
      ],
    });
  });

  test('importing again changes nothing; edits update in place; nothing is duplicated', async () => {
    const m = memoryDeps();
    await importSeed(load(seed()), m.deps);
    const org = (await m.organizations.findBySlug('acme'))!;
    const again = await importSeed(load(seed()), m.deps);
    expect(again.organizations).toEqual([{ slug: 'acme', name: 'Acme', id: org.id, action: 'unchanged' }]);
    expect(again.memberships.map((x) => x.action)).toEqual(['unchanged', 'unchanged']);
    expect(again.api_keys.map((k) => k.action)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(again.accounts.map((a) => a.created)).toEqual([false, false]);

    const edited = await importSeed(load(change((s) => {
      s.organizations[0]!.name = 'Acme Corp';
      s.organizations[0]!.members[1]!.role = 'readonly';
      s.api_keys[0]!.scopes = ['admin:accounts:read'];
      s.api_keys[0]!.name = 'acme ops v2';
      s.accounts[0]!.platform_admin = false;
      s.api_keys.pop(); // a key left out of the file is left alone
    })), m.deps);
    expect(edited.organizations[0]).toMatchObject({ id: org.id, name: 'Acme Corp', action: 'rename' });
    expect(edited.memberships.map((x) => x.action)).toEqual(['unchanged', 'update']);
    expect(edited.api_keys.map((k) => k.action)).toEqual(['update', 'unchanged']);
    expect((await m.apiKeys.verify(GRACE_KEY))).toMatchObject({ ok: true, record: { name: 'acme ops v2', scopes: ['admin:accounts:read'] } });
    expect((await m.accounts.findByEmail('ada@example.com'))!.platformAdmin).toBeUndefined();
    expect((await m.organizations.list({ limit: 10 })).items).toHaveLength(1);
    expect((await m.apiKeyStore.list({ limit: 10 })).items).toHaveLength(3);
    expect((await m.apiKeys.verify(ADA_KEY)).ok).toBe(true);
  });

  test('a revoked key stays revoked, and a seed never extends a key', async () => {
    const m = memoryDeps();
    await importSeed(load(seed()), m.deps);
    await m.apiKeys.revoke(parseApiKey(SA_KEY)!.id);
    // A rotation with overlap shortened Grace's key; the seed's 30 days must not undo it.
    await m.apiKeyStore.shortenExpiry(parseApiKey(GRACE_KEY)!.id, new Date('2030-01-02T00:00:00Z'));
    m.clock.now = new Date('2030-01-01T12:00:00Z');
    const again = await importSeed(load(change((s) => { s.api_keys[0]!.expires_in_days = 60; })), m.deps);
    expect(again.api_keys.map((k) => k.action)).toEqual(['unchanged', 'revoked', 'unchanged']);
    expect(await m.apiKeys.verify(SA_KEY)).toEqual({ ok: false, reason: 'revoked' });
    expect((await m.apiKeyStore.findById(parseApiKey(GRACE_KEY)!.id))!.expiresAt).toEqual(new Date('2030-01-02T00:00:00Z'));
  });

  test('a different key with a stored id is refused without echoing either key', async () => {
    const m = memoryDeps();
    await importSeed(load(seed()), m.deps);
    const { id } = parseApiKey(GRACE_KEY)!;
    const impostor = formatApiKey({ env: 'test', id, secret: generateApiKey('test').secret });
    const message = await failure(change((s) => { s.api_keys[0]!.key = impostor; }), m);
    expect(message).toBe(`api_keys[0] (name "acme ops"): key: a different key with the id ${id} is already stored`);
    expect((await m.apiKeys.verify(impostor)).ok).toBe(false);
  });

  test.each<[string, (s: Seed) => void, string]>([
    ['an unknown member', (s) => { s.organizations[0]!.members.push({ email: 'nobody@example.com', role: 'member' }); },
      'organizations[0] (slug "acme"): members[2].email: the account "nobody@example.com" is neither in this file nor stored'],
    ['an unknown role', (s) => { s.organizations[0]!.members[0]!.role = 'owner'; },
      'organizations[0] (slug "acme"): members[0].role: "owner" is not a role (known: admin, member, readonly, auditor; more with GATEHOUSE_ROLES)'],
    ["a client's unknown organization", (s) => { s.clients[0]!.org = 'globex'; },
      'clients[0] (client_id "billing"): org: the organization "globex" is neither in this file nor stored'],
    ["a key's unknown organization", (s) => { s.api_keys[0]!.org = 'globex'; },
      'api_keys[0] (name "acme ops"): org: the organization "globex" is neither in this file nor stored'],
    ['an unknown service account', (s) => { s.api_keys[1]!.owner = { service_account: 'nope' }; },
      'api_keys[1] (name "batch"): owner.service_account: the service account "nope" is neither in this file nor stored'],
    ['a key of a client that is not a service account', (s) => { s.clients[0]!.service_account = false as never; delete (s.clients[0] as { ip_allow_list?: unknown }).ip_allow_list; },
      'api_keys[1] (name "batch"): owner.service_account: "billing" is not a service account ("service_account": true)'],
    ['an account key in an organization it is not a member of', (s) => { s.organizations[0]!.members.pop(); s.api_keys[2]!.org = 'acme'; },
      'api_keys[2] (name "platform"): owner.account: "ada@example.com" is not a member of "acme" (list it in that organization\'s members)'],
    ['a key outside any organization for an account that is no platform admin', (s) => { delete (s.accounts[0] as { platform_admin?: boolean }).platform_admin; },
      'api_keys[2] (name "platform"): owner.account: "ada@example.com" is not a platform admin: a key outside any organization needs "platform_admin": true on its account (or give "org")'],
    ["scopes beyond the owner's role", (s) => { s.api_keys[0]!.scopes.push('admin:keys:read'); },
      'api_keys[0] (name "acme ops"): scopes[2]: "admin:keys:read" is not a scope the "admin" role in "acme" may have'],
    ["scopes beyond the service account's", (s) => { s.api_keys[1]!.scopes = ['api:read', 'admin:clients:read']; },
      'api_keys[1] (name "batch"): scopes[1]: "admin:clients:read" is not a scope the service account "billing" may have'],
    ["another organization than the service account's", (s) => { s.organizations.push({ slug: 'globex', name: 'Globex', members: [] }); (s.api_keys[1] as { org?: string }).org = 'globex'; },
      "api_keys[1] (name \"batch\"): org: must be the service account's organization, or be left out"],
    ['a key of another environment', (s) => { s.api_keys[0]!.key = generateApiKey('live').key; },
      'api_keys[0] (name "acme ops"): key: is a key for the environment "live"; this server\'s keys are "test" (API_KEY_ENV)'],
    ['an expiry beyond the maximum', (s) => { s.api_keys[0]!.expires_in_days = 400; },
      'api_keys[0] (name "acme ops"): expires_in_days: must be an integer from 1 to 365'],
    ['an expiry in the past', (s) => { s.api_keys[2]!.expires_at = '2029-12-31T00:00:00Z'; },
      'api_keys[2] (name "platform"): expires_at: must be in the future'],
  ])('%s is refused naming the place, and nothing is written', async (_name, edit, expected) => {
    const m = memoryDeps();
    expect(await failure(change(edit), m)).toBe(expected);
    expect(await m.accounts.findByEmail('grace@example.com')).toBeUndefined();
    expect(await m.organizations.findBySlug('acme')).toBeUndefined();
    expect(await m.clients.find('billing')).toBeUndefined();
    expect((await m.apiKeyStore.list({ limit: 10 })).items).toEqual([]);
  });

  test('every problem of a file is reported at once', async () => {
    const message = await failure(change((s) => {
      s.organizations[0]!.members[0]!.role = 'owner';
      s.api_keys[1]!.scopes = ['api:read', 'openid'];
      s.api_keys[2]!.owner = { account: 'nobody@example.com' };
    }));
    expect(message.split('\n')).toEqual([
      '3 problems:',
      '  - organizations[0] (slug "acme"): members[0].role: "owner" is not a role (known: admin, member, readonly, auditor; more with GATEHOUSE_ROLES)',
      '  - api_keys[1] (name "batch"): scopes[1]: "openid" is not a scope the service account "billing" may have',
      '  - api_keys[2] (name "platform"): owner.account: the account "nobody@example.com" is neither in this file nor stored',
    ]);
  });

  test.each<[string, unknown, string]>([
    ['a mistyped key', { key: `${GRACE_KEY.slice(0, -1)}${GRACE_KEY.endsWith('A') ? 'B' : 'A'}` }, 'key: the checksum does not match: the key is mistyped or truncated'],
    ['not a key', { key: 'sk_live_abcdef' }, 'key: is not a Gatehouse API key (gh_<env>_<id>_<secret>_<checksum>; make one with `gatehouse api-keys generate`)'],
    ['two owners', { owner: { account: 'grace@example.com', service_account: 'billing' } }, 'owner: give exactly one of account (an email) or service_account (a client_id)'],
    ['both expiries', { expires_at: '2030-02-01T00:00:00Z' }, 'expires_in_days: give either expires_at or expires_in_days, not both'],
    ['a bad CIDR', { ip_allow_list: ['10.0.0.1/8'] }, 'ip_allow_list[0]: "10.0.0.1/8" is not a valid CIDR range: host bits are set (did you mean 10.0.0.0/8?)'],
  ])('%s is refused by the schema without echoing the key', (_name, entryChange, expected) => {
    const data = change((s) => { Object.assign(s.api_keys[0]!, entryChange); });
    let message = '';
    try {
      load(data);
    } catch (err) {
      expect(err).toBeInstanceOf(SeedError);
      message = (err as Error).message;
    }
    expect(message).toBe(`seed.json: api_keys[0] (name "acme ops"): ${expected}`);
    expect(message).not.toContain(GRACE_KEY.slice(8, 40));
  });

  test.each<[string, (s: Seed) => void, string]>([
    ['the same key twice', (s) => { s.api_keys[1]!.key = GRACE_KEY; }, 'api_keys[1] (name "batch"): key: duplicates api_keys[0]'],
    ['a slug twice', (s) => { s.organizations.push({ slug: 'acme', name: 'Again', members: [] }); }, 'organizations[1] (slug "acme"): slug: duplicates organizations[0]'],
    ['a member twice', (s) => { s.organizations[0]!.members.push({ email: 'grace@example.com', role: 'member' }); }, 'organizations[0] (slug "acme"): members[2].email: duplicates members[0]'],
    ['an allow-list on a client that is no service account', (s) => { delete (s.clients[0] as { service_account?: boolean }).service_account; },
      'clients[0] (client_id "billing"): ip_allow_list: is only for service accounts ("service_account": true)'],
    ['a service account with a code grant', (s) => { s.clients[0]!.grant_types = ['authorization_code']; },
      'clients[0] (client_id "billing"): redirect_uris: is required for the authorization_code grant'],
    ['admin scopes on an organization\'s client', (s) => { s.clients[0]!.scope = 'api:read admin:clients:write'; },
      'clients[0] (client_id "billing"): scope: "admin:clients:write": admin scopes are only for clients outside any organization'],
  ])('%s is refused by the schema', (_name, edit, expected) => {
    expect(() => load(change(edit))).toThrow(expected);
  });

  test('no plain key, secret or password in the summary, stored data or errors', async () => {
    const m = memoryDeps();
    const loaded = load(seed());
    const summary = await importSeed(loaded, m.deps);
    const stored = [
      await m.clients.find('billing'), (await m.apiKeyStore.list({ limit: 10 })).items, await m.accounts.findByEmail('ada@example.com'),
    ];
    const failing = memoryDeps({ upsertClient: async () => { throw new Error(`cannot store ${SECRET} for ${SA_KEY}`); } });
    const err = await importSeed(loaded, failing.deps).catch((e: unknown) => e);
    expect((err as Error).message).toBe('seed.json: clients[0] (client_id "billing"): cannot store [REDACTED] for [REDACTED]');
    const everything = inspect([loaded, summary, stored, JSON.stringify(loaded), (err as Error).message], { depth: 10 });
    for (const plain of [GRACE_KEY, SA_KEY, ADA_KEY, SECRET, PASSWORD]) expect(everything).not.toContain(plain);
    for (const key of [GRACE_KEY, SA_KEY, ADA_KEY]) expect(everything).not.toContain(parseApiKey(key)!.secret);
  });

  test('a dry run checks everything and writes nothing; without stores, outside references are noted', async () => {
    const m = memoryDeps();
    const summary = await importSeed(load(seed()), m.deps, { dryRun: true });
    expect(summary.api_keys.map((k) => k.action)).toEqual(['create', 'create', 'create']);
    expect(summary.organizations).toEqual([{ slug: 'acme', name: 'Acme', action: 'create' }]);
    expect(await m.organizations.findBySlug('acme')).toBeUndefined();
    expect(await m.accounts.findByEmail('ada@example.com')).toBeUndefined();
    expect((await m.apiKeyStore.list({ limit: 10 })).items).toEqual([]);

    const outside = change((s) => { s.organizations[0]!.members.push({ email: 'stored@example.com', role: 'member' }); s.clients[0]!.org = 'stored-org'; });
    const offline = await importSeed(load(outside), memoryDeps().deps, { dryRun: true, offline: true });
    expect(offline.notes).toEqual([
      'organizations[0] (slug "acme"): members[2].email: the account "stored@example.com" is not in this file: not checked against stored data (no MONGODB_URI)',
      'clients[0] (client_id "billing"): org: the organization "stored-org" is not in this file: not checked against stored data (no MONGODB_URI)',
    ]);
    await expect(importSeed(load(outside), memoryDeps().deps, { dryRun: true })).rejects.toThrow(SeedError);
  });

  test('references to stored accounts, organizations and service accounts resolve', async () => {
    const m = memoryDeps();
    await importSeed(load(seed()), m.deps);
    // A later file that lists only what it adds: Bob in acme, and keys for stored owners.
    const bobKey = generateApiKey('test').key;
    const saKey = generateApiKey('test').key;
    const summary = await importSeed(load({
      accounts: [{ email: 'bob@example.com', name: 'Bob', password: PASSWORD }],
      organizations: [{ slug: 'acme', name: 'Acme', members: [{ email: 'bob@example.com', role: 'member' }] }],
      api_keys: [
        { key: bobKey, name: 'bob', owner: { account: 'bob@example.com' }, org: 'acme', scopes: ['admin:api-keys:write'] },
        { key: saKey, name: 'sa', owner: { service_account: 'billing' }, org: 'acme', scopes: ['api:write'] },
        { key: generateApiKey('test').key, name: 'grace', owner: { account: 'grace@example.com' }, org: 'acme', scopes: ['admin:clients:read'] },
      ],
    }), m.deps);
    expect(summary.api_keys.map((k) => k.action)).toEqual(['create', 'create', 'create']);
    const org = (await m.organizations.findBySlug('acme'))!;
    expect(await m.apiKeys.introspect(saKey)).toMatchObject({ active: true, client_id: 'billing', org_id: org.id });
    expect(await failure({ api_keys: [{ key: generateApiKey('test').key, name: 'x', owner: { account: 'bob@example.com' }, org: 'acme', scopes: ['admin:accounts:write'] }] }, m))
      .toBe('api_keys[0] (name "x"): scopes[0]: "admin:accounts:write" is not a scope the "member" role in "acme" may have');
  });
});
