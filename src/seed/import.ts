import { apiKeyPrefix } from '../security/api-key-format.ts';
import type { ApiKeyImport } from '../security/api-keys.ts';
import type { Account } from '../stores/accounts.ts';
import { DuplicateSlugError, type Organization } from '../stores/organizations.ts';
import type { ImportOptions, SeedDeps, SeedSummary } from './deps.ts';
import { locate, SeedError } from './errors.ts';
import { keyRequest, type PlannedKey } from './plan-api-keys.ts';
import { planSeed, type SeedPlan } from './plan.ts';
import type { Seed } from './schema.ts';

export type { ImportOptions, SeedClientMetadata, SeedDeps, SeedSummary } from './deps.ts';

/**
 * Imports a seed. Idempotent: accounts are matched by email, organizations by slug,
 * clients by client_id, memberships by (organization, account), API keys by key id;
 * each is created or updated, never duplicated. The whole file is checked first (see
 * plan.ts), so a file with a problem writes nothing. Passwords, client secrets and keys
 * are hashed here and appear in no return value or error. `dryRun` stops after the
 * checks and returns what would be done.
 */
export async function importSeed(seed: Seed & { source?: string }, deps: SeedDeps, options: ImportOptions = {}): Promise<SeedSummary> {
  const source = seed.source ?? 'seed';
  const plainValues = [
    ...seed.accounts.flatMap((a) => (a.password ? [a.password.reveal()] : [])),
    ...seed.clients.flatMap((c) => (c.client_secret ? [c.client_secret.reveal()] : [])),
    ...seed.api_keys.map((k) => k.key.reveal()),
  ];
  // Belt and braces: dependencies never see a plain value in a message, but never echo one either.
  const redact = (message: string) => plainValues.reduce((m, plain) => m.split(plain).join('[REDACTED]'), message);
  const fail = (path: (string | number)[], err: unknown): SeedError => {
    const message = (err as { error_description?: unknown }).error_description ?? (err instanceof Error ? err.message : String(err));
    const error = new SeedError(source, [locate(path, seed, redact(String(message)))]);
    error.cause = err;
    return error;
  };

  const plan = await planSeed(seed, source, deps, options, redact);
  if (options.dryRun) return preview(seed, plan);

  const summary: SeedSummary = { ...preview(seed, plan), accounts: [], organizations: [], memberships: [], api_keys: [] };
  const accountIds = new Map([...plan.accounts].flatMap(([email, a]) => (a ? [[email, a.id] as const] : [])));
  // One at a time: each argon2 hash takes its configured memory (19 MiB+).
  for (const [i, a] of seed.accounts.entries()) {
    try {
      const passwordHash = a.password ? await deps.passwords.hash(a.password.reveal()) : a.password_hash!;
      const { account, created } = await deps.accounts.upsertByEmail({ email: a.email, name: a.name, passwordHash });
      if (a.platform_admin !== undefined && (account.platformAdmin === true) !== a.platform_admin) {
        await deps.accounts.update(account.id, { platformAdmin: a.platform_admin });
      }
      accountIds.set(account.email, account.id);
      summary.accounts.push({ email: account.email, created, ...(a.platform_admin !== undefined && { platform_admin: a.platform_admin }) });
    } catch (err) {
      throw fail(['accounts', i], err);
    }
  }

  const orgIds = new Map([...plan.organizations].flatMap(([slug, o]) => (o ? [[slug, o.id] as const] : [])));
  for (const [i, o] of seed.organizations.entries()) {
    try {
      const { org, action } = await upsertOrganization(deps, plan.organizations.get(o.slug), o);
      orgIds.set(org.slug, org.id);
      summary.organizations.push({ slug: org.slug, name: org.name, id: org.id, action });
      for (const m of o.members) {
        const before = plan.roles.get(`${o.slug} ${m.email}`);
        await deps.memberships.put({ orgId: org.id, accountId: accountIds.get(m.email)!, role: m.role });
        summary.memberships.push({ organization: o.slug, email: m.email, role: m.role, action: before === undefined ? 'create' : before === m.role ? 'unchanged' : 'update' });
      }
    } catch (err) {
      throw fail(['organizations', i], err);
    }
  }

  for (const [i, { metadata, org }] of plan.clients.entries()) {
    await deps.upsertClient(org !== undefined ? { ...metadata, org_id: orgIds.get(org)! } : metadata)
      .catch((err: unknown) => { throw fail(['clients', i], err); });
  }
  for (const [i, server] of plan.resourceServers.entries()) {
    await deps.upsertResourceServer(server).catch((err: unknown) => { throw fail(['resource_servers', i], err); });
  }

  for (const key of plan.apiKeys) {
    const k = seed.api_keys[key.index]!;
    const owner = 'account' in key.owner
      ? { type: 'account' as const, id: accountIds.get(key.owner.account)! }
      : { type: 'service_account' as const, id: key.owner.service_account };
    const orgId = key.org === undefined ? undefined : 'id' in key.org ? key.org.id : orgIds.get(key.org.slug)!;
    try {
      const result = await deps.apiKeys.importKey(k.key.reveal(), keyRequest(k), {
        owner, allowedScopes: key.allowedScopes ?? [], ...(orgId !== undefined && { orgId }),
      });
      summary.api_keys.push(keySummary(key, result));
    } catch (err) {
      throw fail(['api_keys', key.index], err);
    }
  }
  return summary;
}

async function upsertOrganization(
  deps: SeedDeps, stored: Organization | undefined, o: { slug: string; name: string },
): Promise<{ org: Organization; action: 'create' | 'rename' | 'unchanged' }> {
  if (!stored) {
    try {
      return { org: await deps.organizations.create({ slug: o.slug, name: o.name }), action: 'create' };
    } catch (err) {
      // Made since the plan read it (another node importing the same seed): update it instead.
      const raced = err instanceof DuplicateSlugError ? await deps.organizations.findBySlug(o.slug) : undefined;
      if (!raced) throw err;
      return upsertOrganization(deps, raced, o);
    }
  }
  if (stored.name === o.name) return { org: stored, action: 'unchanged' };
  return { org: (await deps.organizations.rename(stored.id, o.name)) ?? { ...stored, name: o.name }, action: 'rename' };
}

const keySummary = (key: PlannedKey, result: ApiKeyImport): SeedSummary['api_keys'][number] => ({
  id: result.record.id, prefix: apiKeyPrefix(result.record.env, result.record.id), name: result.record.name, owner: key.owner,
  ...(key.org && 'slug' in key.org && { organization: key.org.slug }),
  scopes: [...result.record.scopes], expires_at: result.record.expiresAt.toISOString(), action: result.action,
});

/** What the plan would do; `importSeed` replaces the parts it writes with what it did. */
function preview(seed: Seed, plan: SeedPlan): SeedSummary {
  const stored = (email: string): Account | undefined => plan.accounts.get(email);
  return {
    accounts: seed.accounts.map((a) => ({
      email: a.email, created: stored(a.email) === undefined, ...(a.platform_admin !== undefined && { platform_admin: a.platform_admin }),
    })),
    organizations: seed.organizations.map((o) => {
      const org = plan.organizations.get(o.slug);
      return { slug: o.slug, name: o.name, ...(org && { id: org.id }), action: !org ? 'create' : org.name === o.name ? 'unchanged' : 'rename' };
    }),
    memberships: seed.organizations.flatMap((o) => o.members.map((m) => {
      const before = plan.roles.get(`${o.slug} ${m.email}`);
      return { organization: o.slug, email: m.email, role: m.role, action: before === undefined ? 'create' : before === m.role ? 'unchanged' : 'update' };
    })),
    clients: plan.clients.map(({ metadata, org, created }) => ({
      client_id: metadata.client_id, client_name: metadata.client_name as string | undefined, created,
      ...(org !== undefined && { organization: org }), ...(metadata.service_account === true && { service_account: true as const }),
    })),
    resource_servers: plan.resourceServers.map((r) => ({ identifier: r.identifier, access_token_format: r.accessTokenFormat })),
    api_keys: plan.apiKeys.flatMap((key) => (key.preview ? [keySummary(key, key.preview)] : [])),
    notes: plan.notes,
  };
}
