import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { ADMIN_SCOPES } from '../../src/admin/scopes.ts';
import { startTestServer, type TestServer } from '../support/gatehouse.ts';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const run = promisify(execFile);

async function gatehouse(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH!, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('gatehouse audit and webhooks commands', () => {
  let server: TestServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer({ WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32' });
    const { key } = await server.apiKeys.issue(
      { name: 'cli', scopes: [...ADMIN_SCOPES] }, { owner: { type: 'account', id: 'operator' }, allowedScopes: ADMIN_SCOPES },
    );
    env = { GATEHOUSE_URL: server.issuer, GATEHOUSE_API_KEY: key };
  });
  afterAll(() => server.close());

  test('webhooks create / list / delete, and the audit log of it with filters', async () => {
    const org = JSON.parse((await gatehouse(['orgs', 'create', '--json', '--body', JSON.stringify({ name: 'CLI', slug: 'cli-org', admin: { email: 'a@cli.example', name: 'A' } })], env)).stdout);
    const orgId = org.organization.id as string;

    const created = await gatehouse(['webhooks', 'create', orgId, '--endpoint', 'http://127.0.0.1:9/in', '--events', 'login.failed, admin.change'], env);
    expect([created.code, created.stderr]).toEqual([0, '']);
    expect(created.stdout).toMatch(/secret: whsec_\S+\nStore it now/);
    const listed = JSON.parse((await gatehouse(['webhooks', 'list', orgId, '--json'], env)).stdout);
    expect(listed.items).toEqual([expect.objectContaining({ url: 'http://127.0.0.1:9/in', events: ['login.failed', 'admin.change'] })]);
    expect((await gatehouse(['webhooks', 'delete', orgId, listed.items[0].id], env)).code).toBe(0);

    const refused = await gatehouse(['webhooks', 'create', orgId, '--endpoint', 'http://10.0.0.1/'], env);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('10.0.0.1 is not an allowed destination (private)');

    // Events are written just after each response: wait (with a deadline) until they are, then ask the CLI.
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      const res = await fetch(`${server.issuer}/api/v1/audit-events?type=admin.change&org_id=${orgId}`, { headers: { authorization: `Bearer ${env.GATEHOUSE_API_KEY}` } });
      if (((await res.json()) as { items: unknown[] }).items.length >= 3) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const events = JSON.parse((await gatehouse(['audit', 'list', '--org-id', orgId, '--type', 'admin.change', '--json'], env)).stdout);
    expect(events.items.map((e: { details: { operation: string } }) => e.details.operation)).toEqual(['deleteWebhook', 'createWebhook', 'createOrganization']);
    const table = await gatehouse(['audit', 'list', '--actor', 'operator', '--limit', '2'], env);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^TIME\s+TYPE\s+ACTOR\s+SUBJECT\s+CLIENT_ID\s+ORG_ID\s+REASON\s+TARGET$/);
    expect(table.stdout).toContain('next page: --cursor ');
    expect(table.stdout).not.toMatch(/whsec_/);
  }, 60_000);
});
