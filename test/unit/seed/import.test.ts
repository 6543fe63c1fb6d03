import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { loadConfig } from '../../../src/config/index.ts';
import { createSecretHasher } from '../../../src/security/client-secrets.ts';
import { createPasswordHasher } from '../../../src/security/passwords.ts';
import { createClientValidator } from '../../../src/seed/client-validator.ts';
import { importSeed, parseSeed, SeedError, type SeedClientMetadata, type SeedDeps } from '../../../src/seed/index.ts';
import { GOOD_PASSWORD, GOOD_SECRET, goodSeed, memoryDeps, PEPPER, seedFile } from './helpers.ts';

const passwords = createPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
const secrets = createSecretHasher(PEPPER);

function deps(overrides: Partial<SeedDeps> = {}) {
  const clients = new Map<string, SeedClientMetadata>();
  const { deps: d, accounts } = memoryDeps({
    passwords,
    upsertClient: async (metadata) => { clients.set(metadata.client_id, metadata); },
    findClient: async (id) => clients.get(id),
    ...overrides,
  });
  return { d, accounts, clients };
}

const parsedGood = async () => parseSeed(await seedFile(goodSeed()));

describe('importSeed', () => {
  test('imports accounts and clients with hashed password and secret', async () => {
    const { d, accounts, clients } = deps();
    const summary = await importSeed(await parsedGood(), d);
    expect(summary).toEqual({
      accounts: [{ email: 'ada@example.com', created: true }], organizations: [], memberships: [],
      clients: [{ client_id: 'spa', client_name: undefined, created: true }, { client_id: 'web', client_name: 'Web', created: true }],
      resource_servers: [], api_keys: [], notes: [],
    });

    const ada = await accounts.findByEmail('ada@example.com');
    expect(ada).toMatchObject({ name: 'Ada Lovelace' });
    await expect(passwords.verify(ada!.passwordHash, GOOD_PASSWORD)).resolves.toBe(true);

    const web = clients.get('web')!;
    expect(secrets.isHashed(web.client_secret as string)).toBe(true);
    expect(secrets.verify(web.client_secret as string, GOOD_SECRET)).toBe(true);
    expect(web).toMatchObject({ response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic', post_logout_redirect_uris: ['https://app.example/bye'] });
    expect(clients.get('spa')).toEqual({
      client_id: 'spa', token_endpoint_auth_method: 'none', redirect_uris: ['https://spa.example/cb'],
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], scope: 'openid profile', first_party: true,
    });
  });

  test('re-importing updates in place and never duplicates', async () => {
    const { d, accounts, clients } = deps();
    await importSeed(await parsedGood(), d);
    const before = await accounts.findByEmail('ada@example.com');
    const changed = goodSeed();
    changed.accounts[0]!.name = 'Countess Lovelace';
    changed.clients[1]!.client_name = 'Web v2';
    const summary = await importSeed(await parseSeed(await seedFile(changed)), d);
    expect(summary.accounts).toEqual([{ email: 'ada@example.com', created: false }]);
    await expect(accounts.count()).resolves.toBe(1);
    expect(await accounts.findByEmail('ada@example.com')).toMatchObject({ id: before!.id, name: 'Countess Lovelace' });
    expect(clients.size).toBe(2);
    expect(clients.get('web')!.client_name).toBe('Web v2');
  });

  test('plain secrets and passwords appear in no result and no stored value', async () => {
    const { d, accounts, clients } = deps();
    const seed = await parsedGood();
    const everything = inspect([seed, await importSeed(seed, d), [...clients.values()], await accounts.findByEmail('ada@example.com')], { depth: 10 });
    expect(everything).not.toContain(GOOD_SECRET);
    expect(everything).not.toContain(GOOD_PASSWORD);
  });

  test('a pre-hashed secret and a password_hash are stored as they are', async () => {
    const stored = secrets.hash(GOOD_SECRET);
    const hash = await passwords.hash(GOOD_PASSWORD);
    const seed = goodSeed();
    seed.clients[1]!.client_secret = stored;
    const { d, accounts, clients } = deps();
    await importSeed(await parseSeed(await seedFile({ ...seed, accounts: [{ email: 'g@example.com', name: 'G', password_hash: hash }] })), d);
    expect(clients.get('web')!.client_secret).toBe(stored);
    expect((await accounts.findByEmail('g@example.com'))!.passwordHash).toBe(hash);
  });

  test('a client the provider refuses: error names file and entry, and nothing is written', async () => {
    const path = await seedFile(goodSeed());
    const { d, accounts, clients } = deps({
      validateClient: async (m) => {
        if (m.client_id === 'web') throw Object.assign(new Error('invalid_client_metadata'), { error_description: 'redirect_uris must only contain web uris' });
      },
    });
    const err = await importSeed(await parseSeed(path), d).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SeedError);
    expect((err as Error).message).toBe(`${path}: clients[1] (client_id "web"): redirect_uris must only contain web uris`);
    await expect(accounts.count()).resolves.toBe(0);
    expect(clients.size).toBe(0);
  });

  test('an error that would echo a plain value is redacted', async () => {
    const { d } = deps({ upsertClient: async () => { throw new Error(`cannot store ${GOOD_SECRET}`); } });
    await expect(importSeed(await parsedGood(), d)).rejects.toThrow(/clients\[0\] \(client_id "spa"\): cannot store \[REDACTED\]$/);
  });
});

describe("seed files against the server's own node-oidc-provider Client.validate", () => {
  // The provider `gatehouse import` builds: the server's configuration, nothing served.
  const validateClient = createClientValidator(loadConfig({ LOG_LEVEL: 'silent' }));

  test.each(['config/dev-seed.json', 'config/seed.example.json'])('%s', async (file) => {
    const path = fileURLToPath(new URL(`../../../${file}`, import.meta.url));
    const { d, clients } = deps({ validateClient });
    const summary = await importSeed(await parseSeed(path, { vars: { ISSUER: 'http://localhost:3000' } }), d);
    expect(summary.clients.length).toBeGreaterThan(1);
    expect(clients.size).toBe(summary.clients.length);
  });
});
