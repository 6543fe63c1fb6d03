import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { ADMIN_SCOPES } from '../../src/admin/scopes.ts';
import { API_KEY_PATTERN, API_KEY_SCAN_PATTERN, parseApiKey } from '../../src/security/api-key-format.ts';
import { startTestServer, type TestServer } from '../support/gatehouse.ts';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const run = promisify(execFile);
const EXAMPLE_SEED = fileURLToPath(new URL('../../config/seed.example.json', import.meta.url));

async function writeSeed(content: unknown): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'gatehouse-cli-')), 'seed.json');
  await writeFile(path, JSON.stringify(content));
  return path;
}

/** Runs the real `gatehouse` binary; resolves with its output and exit code, never throws on a non-zero exit. */
async function gatehouse(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH!, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the gatehouse CLI against a running server', () => {
  let server: TestServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer();
    const { key } = await server.apiKeys.issue(
      { name: 'cli', scopes: [...ADMIN_SCOPES] }, { owner: { type: 'account', id: 'operator' }, allowedScopes: ADMIN_SCOPES },
    );
    env = { GATEHOUSE_URL: server.issuer, GATEHOUSE_API_KEY: key };
  });
  afterAll(() => server.close());

  test('--help on the top level and on every command', async () => {
    const top = await gatehouse(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('api-keys create');
    const sub = await gatehouse(['api-keys', 'create', '--help']);
    expect(sub.stdout).toContain('usage: gatehouse api-keys create --name NAME');
    expect(sub.stdout).toContain('--expires-in-days');
  });

  test('whoami as a table and as JSON; --url and --api-key override the environment', async () => {
    const human = await gatehouse(['whoami'], env);
    expect(human.code).toBe(0);
    expect(JSON.parse((await gatehouse(['whoami', '--json'], env)).stdout)).toMatchObject({ subject: { id: 'operator' }, platform_admin: true });
    const flags = await gatehouse(['whoami', '--json', '--url', env.GATEHOUSE_URL!, '--api-key', env.GATEHOUSE_API_KEY!]);
    expect(flags.code).toBe(0);
  });

  test('API-key lifecycle: create prints the key once, list shows it without, rotate, revoke', async () => {
    const created = await gatehouse(['api-keys', 'create', '--name', 'ci deploy', '--scopes', 'admin:api-keys:read', '--json'], env);
    expect(created.code).toBe(0);
    const { id, key } = JSON.parse(created.stdout) as { id: string; key: string };
    expect(key).toMatch(/^gh_test_/);

    const human = await gatehouse(['api-keys', 'create', '--name', 'people', '--scopes', 'admin:api-keys:read'], env);
    expect(human.stdout).toMatch(/^ID +NAME +PREFIX/m);
    expect(human.stdout).toMatch(/^key: gh_test_\S+$/m);

    const list = await gatehouse(['api-keys', 'list'], env);
    expect(list.stdout).toContain('ci deploy');
    expect(list.stdout).not.toContain(key);

    const rotated = JSON.parse((await gatehouse(['api-keys', 'rotate', id, '--json'], env)).stdout) as { id: string; key: string };
    expect(rotated.key).not.toBe(key);
    expect((await gatehouse(['whoami'], { ...env, GATEHOUSE_API_KEY: key })).code).toBe(1);

    expect((await gatehouse(['api-keys', 'revoke', rotated.id], env)).code).toBe(0);
    const gone = await gatehouse(['whoami'], { ...env, GATEHOUSE_API_KEY: rotated.key });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('gatehouse: invalid_token: the API key is not valid\n');
  });

  test('resource servers: put, list, delete', async () => {
    const put = await gatehouse(['resource-servers', 'put', 'https://cli.example/api', '--scope', 'api:read', '--format', 'jwt', '--ttl', '300'], env);
    expect(put.code).toBe(0);
    expect(put.stdout).toMatch(/https:\/\/cli\.example\/api +api:read +jwt +300/);
    expect((await gatehouse(['resource-servers', 'list'], env)).stdout).toContain('https://cli.example/api');
    expect((await gatehouse(['resource-servers', 'delete', 'https://cli.example/api'], env)).code).toBe(0);
  });

  test('signing keys: list, then rotate one algorithm; the next key becomes current', async () => {
    const before = JSON.parse((await gatehouse(['keys', 'list', '--json'], env)).stdout).items as { kid: string; alg: string; state: string }[];
    const next = before.find((k) => k.alg === 'ES256' && k.state === 'next')!;
    const rotated = await gatehouse(['keys', 'rotate', '--alg', 'ES256'], env);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(new RegExp(`${next.kid} +ES256 +current`));
    expect(rotated.stdout).toMatch(/ES256 +retired/);
    expect((await gatehouse(['keys', 'rotate', '--alg', 'HS256'], env)).code).toBe(1);
  });

  test('failures: a one-line reason and a non-zero exit code', async () => {
    const noUrl = await gatehouse(['whoami']);
    expect(noUrl).toMatchObject({ code: 2, stderr: 'gatehouse: no server: pass --url or set GATEHOUSE_URL\n' });
    const unknown = await gatehouse(['frobnicate']);
    expect(unknown.code).toBe(2);
    const badOption = await gatehouse(['api-keys', 'list', '--bogus'], env);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr.trim().split('\n')).toHaveLength(1);
    const invalid = await gatehouse(['api-keys', 'create', '--name', 'x'], env);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^gatehouse: invalid_request: scopes: /);
    const unreachable = await gatehouse(['whoami'], { GATEHOUSE_URL: 'http://127.0.0.1:9', GATEHOUSE_API_KEY: 'x' });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/^gatehouse: cannot reach http:\/\/127\.0\.0\.1:9/);
  });

  test('orgs, accounts, service accounts with a secret rotation, and grants', async () => {
    const org = JSON.parse((await gatehouse(['orgs', 'create', '--json', '--body', JSON.stringify({
      name: 'Acme', slug: 'acme', admin: { email: 'boss@acme.example', name: 'Boss' },
    })], env)).stdout) as { organization: { id: string } };
    expect(org.organization.id).toEqual(expect.any(String));
    expect((await gatehouse(['orgs', 'list'], env)).stdout).toMatch(/acme +Acme/);
    expect((await gatehouse(['accounts', 'list'], env)).stdout).toContain('boss@acme.example');

    const created = await gatehouse(['service-accounts', 'create', '--body', JSON.stringify({ name: 'Billing', scopes: ['api:read'] })], env);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^client_secret: \S+$/m);
    const id = /^(\S+) +Billing/m.exec(created.stdout)![1]!;
    const rotated = await gatehouse(['service-accounts', 'rotate-secret', id, '--overlap-seconds', '0'], env);
    expect(rotated.stdout).toMatch(/^client_secret: \S+$/m);

    const grants = await gatehouse(['grants', 'list', 'no-such-account'], env);
    expect(grants).toMatchObject({ code: 1, stderr: expect.stringMatching(/^gatehouse: not_found: /) });
    const bad = await gatehouse(['clients', 'create', '--body', '{'], env);
    expect(bad).toMatchObject({ code: 2, stderr: 'gatehouse: --body is not valid JSON\n' });
  });

  test('import --dry-run checks a seed and prints what it would do; writes nothing, needs no MongoDB', async () => {
    const human = await gatehouse(['import', EXAMPLE_SEED, '--dry-run']);
    expect(human).toMatchObject({ code: 0, stderr: '' });
    expect(human.stdout).toContain(`Dry run of ${EXAMPLE_SEED}: nothing was written.`);
    expect(human.stdout).toMatch(/^organization +acme \(Acme Corp\) +would create$/m);
    expect(human.stdout).toMatch(/^service account +acme-billing \(Acme billing\) in acme +would create$/m);
    expect(human.stdout).toMatch(/^api key +gh_test_\w{12} "acme automation" for grace@example\.com in acme +would create$/m);
    const json = JSON.parse((await gatehouse(['import', EXAMPLE_SEED, '--dry-run', '--json'])).stdout);
    expect(json).toMatchObject({ dry_run: true, memberships: [{ organization: 'acme', email: 'grace@example.com', role: 'admin', action: 'create' }, {}] });
    expect(json.api_keys).toHaveLength(3);
    const example = await readFile(EXAMPLE_SEED, 'utf8');
    for (const key of example.match(API_KEY_SCAN_PATTERN)!) {
      expect(human.stdout).not.toContain(key);
      expect(JSON.stringify(json)).not.toContain(key);
    }
    expect((await gatehouse(['import', '--help'])).stdout).toContain('usage: gatehouse import <seed.json> [--dry-run] [--json]');
  });

  test('import: a bad file is one line naming the places, without the key; no MongoDB is refused plainly', async () => {
    const key = (await gatehouse(['api-keys', 'generate'])).stdout.trim();
    const bad = await writeSeed({
      organizations: [{ slug: 'acme', name: 'Acme', members: [{ email: 'ghost@example.com', role: 'admin' }] }],
      api_keys: [{ key: `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`, name: 'typo', owner: { account: 'ghost@example.com' }, scopes: ['admin:accounts:read'] }],
    });
    const failed = await gatehouse(['import', bad, '--dry-run']);
    expect(failed).toMatchObject({ code: 1, stdout: '' });
    expect(failed.stderr).toBe(`gatehouse: ${bad}: api_keys[0] (name "typo"): key: the checksum does not match: the key is mistyped or truncated\n`);
    expect(failed.stderr).not.toContain(key.slice(0, -1));

    const unresolved = await writeSeed({ organizations: [{ slug: 'acme', name: 'Acme', members: [{ email: 'ghost@example.com', role: 'boss' }] }] });
    const two = await gatehouse(['import', unresolved, '--dry-run']);
    expect(two.code).toBe(1);
    expect(two.stderr.trim().split('\n')).toEqual([`gatehouse: ${unresolved}: organizations[0] (slug "acme"): members[0].role: "boss" is not a role (known: admin, member, readonly; more with GATEHOUSE_ROLES)`]);
    // Without MongoDB a dry run cannot see stored accounts: it says so instead of refusing.
    const noted = await gatehouse(['import', await writeSeed({ organizations: [{ slug: 'acme', name: 'Acme', members: [{ email: 'ghost@example.com', role: 'admin' }] }] }), '--dry-run']);
    expect(noted.code).toBe(0);
    expect(noted.stdout).toContain('Not checked:\n  - organizations[0] (slug "acme"): members[0].email: the account "ghost@example.com" is not in this file');

    const refused = await gatehouse(['import', EXAMPLE_SEED]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe('gatehouse: import writes to MongoDB: set MONGODB_URI (memory storage lives only inside a server process: use GATEHOUSE_SEED there, or --dry-run to check a file)\n');
    expect((await gatehouse(['import'])).code).toBe(2);
  });

  test('api-keys generate prints a fresh key for this environment and writes nothing', async () => {
    const first = await gatehouse(['api-keys', 'generate']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^gh_test_\w+\n$/);
    const key = first.stdout.trim();
    expect(key).toMatch(API_KEY_PATTERN);
    expect(parseApiKey(key)).toMatchObject({ env: 'test' });
    expect((await gatehouse(['api-keys', 'generate'])).stdout.trim()).not.toBe(key);
    const live = JSON.parse((await gatehouse(['api-keys', 'generate', '--env', 'live', '--json'])).stdout) as { key: string; id: string; prefix: string };
    expect(parseApiKey(live.key)).toMatchObject({ env: 'live', id: live.id });
    expect(live.prefix).toBe(`gh_live_${live.id}`);
    expect(await gatehouse(['api-keys', 'generate', '--env', 'Not-OK'])).toMatchObject({ code: 2 });
    // Not stored: the server does not know it.
    expect((await gatehouse(['whoami'], { ...env, GATEHOUSE_API_KEY: key })).code).toBe(1);
    expect((await gatehouse(['api-keys', '--help'])).stdout).toContain('usage: gatehouse api-keys generate');
  });

  test('bootstrap refuses to write to memory storage', async () => {
    const result = await gatehouse(['bootstrap', '--email', 'admin@example.com']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('bootstrap writes to MongoDB: set MONGODB_URI');
  });
});
