import type { Account } from '../stores/accounts.ts';
import type { Organization } from '../stores/organizations.ts';
import type { ResourceServer } from '../stores/resource-servers.ts';
import type { ImportOptions, SeedClientMetadata, SeedDeps } from './deps.ts';
import { locate, SeedError, type SeedIssue } from './errors.ts';
import { planApiKeys, type PlannedKey } from './plan-api-keys.ts';
import type { Seed, SeedClient } from './schema.ts';

/** Everything the import will write, resolved and checked; nothing written yet. */
export interface SeedPlan {
  /** As stored, except `org_id`: a new organization has no id until it is created. */
  clients: { metadata: SeedClientMetadata; org: string | undefined; created: boolean }[];
  resourceServers: ResourceServer[];
  /** Stored accounts / organizations by email / slug (undefined: not stored yet). */
  accounts: Map<string, Account | undefined>;
  organizations: Map<string, Organization | undefined>;
  /** The role each listed member holds now, by `slug email`. */
  roles: Map<string, string | undefined>;
  apiKeys: PlannedKey[];
  notes: string[];
}

/** Collects every problem of a file, so one run reports them all. */
export interface PlanContext {
  seed: Seed;
  deps: SeedDeps;
  options: ImportOptions;
  problem(path: (string | number)[], message: string): void;
  /** A reference the file does not resolve and the stores do not hold (offline: a note). */
  missing(path: (string | number)[], what: string): void;
  account(email: string): Promise<Account | undefined>;
  organization(slug: string): Promise<Organization | undefined>;
  client(clientId: string): Promise<SeedClientMetadata | undefined>;
}

/** Client metadata as stored: the secret replaced by its keyed hash, unset fields and `org` dropped. */
export function toMetadata(client: SeedClient, secrets: SeedDeps['secrets']): SeedClientMetadata {
  const { $comment: _comment, client_secret, org: _org, ...rest } = client;
  const metadata: SeedClientMetadata = { client_id: client.client_id };
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) metadata[key] = value;
  if (client_secret) {
    const plain = client_secret.reveal();
    metadata.client_secret = secrets.isHashed(plain) ? plain : secrets.hash(plain);
  }
  return metadata;
}

const cached = <T>(lookup: (key: string) => Promise<T>) => {
  const seen = new Map<string, T>();
  const get = async (key: string) => {
    if (!seen.has(key)) seen.set(key, await lookup(key));
    return seen.get(key) as T;
  };
  return Object.assign(get, { seen });
};

/**
 * Reads what the file refers to and checks it all before anything is written: roles,
 * references between organizations, accounts, clients and keys (in the file or stored),
 * client metadata against the provider, keys against their owners. Throws one SeedError
 * listing every problem; `redact` keeps plain values out of dependency messages.
 */
export async function planSeed(
  seed: Seed, source: string, deps: SeedDeps, options: ImportOptions, redact: (message: string) => string,
): Promise<SeedPlan> {
  const issues: SeedIssue[] = [];
  const notes: string[] = [];
  const account = cached((email) => deps.accounts.findByEmail(email));
  const organization = cached((slug) => deps.organizations.findBySlug(slug));
  const client = cached((id) => deps.findClient(id));
  const context: PlanContext = {
    seed, deps, options, account, organization, client,
    problem: (path, message) => issues.push(locate(path, seed, redact(message))),
    missing(path, what) {
      if (!options.offline) return void issues.push(locate(path, seed, `${what} is neither in this file nor stored`));
      const at = locate(path, seed, `${what} is not in this file: not checked against stored data (no MONGODB_URI)`);
      notes.push([at.entry, at.field, at.message].filter((p) => p !== undefined).join(': '));
    },
  };
  const inFile = { accounts: new Set(seed.accounts.map((a) => a.email)), organizations: new Set(seed.organizations.map((o) => o.slug)) };

  for (const a of seed.accounts) await account(a.email);
  const roles = new Map<string, string | undefined>();
  for (const [i, org] of seed.organizations.entries()) {
    const stored = await organization(org.slug);
    for (const [j, m] of org.members.entries()) {
      if (!deps.roles.has(m.role)) {
        context.problem(['organizations', i, 'members', j, 'role'], `"${m.role}" is not a role (known: ${deps.roles.names.join(', ')}; more with GATEHOUSE_ROLES)`);
      }
      const member = await account(m.email);
      if (!inFile.accounts.has(m.email) && !member) context.missing(['organizations', i, 'members', j, 'email'], `the account "${m.email}"`);
      roles.set(`${org.slug} ${m.email}`, stored && member ? (await deps.memberships.find(stored.id, member.id))?.role : undefined);
    }
  }

  const clients: SeedPlan['clients'] = [];
  for (const [i, c] of seed.clients.entries()) {
    const metadata = toMetadata(c, deps.secrets);
    let orgId: string | undefined;
    if (c.org !== undefined) {
      orgId = (await organization(c.org))?.id;
      if (!inFile.organizations.has(c.org) && !orgId) context.missing(['clients', i, 'org'], `the organization "${c.org}"`);
    }
    try {
      // A new organization's id is made on import: any non-empty id validates the same.
      await deps.validateClient?.(c.org !== undefined ? { ...metadata, org_id: orgId ?? `new:${c.org}` } : metadata);
    } catch (err) {
      context.problem(['clients', i], String((err as { error_description?: unknown }).error_description ?? (err instanceof Error ? err.message : err)));
    }
    clients.push({ metadata, org: c.org, created: (await client(c.client_id)) === undefined });
  }

  const resourceServers = seed.resource_servers.map((r, i): ResourceServer => {
    const unknown = deps.knownScopes && r.scope.split(' ').find((s) => !deps.knownScopes!.has(s));
    if (unknown) context.problem(['resource_servers', i, 'scope'], `"${unknown}" is not a scope this server knows (add it to API_SCOPES)`);
    return {
      identifier: r.identifier, scope: r.scope, accessTokenFormat: r.access_token_format,
      ...(r.access_token_ttl !== undefined ? { accessTokenTtl: r.access_token_ttl } : {}),
      ...(r.jwt_alg !== undefined ? { jwtAlg: r.jwt_alg } : {}),
    };
  });

  const apiKeys = await planApiKeys(context);
  if (issues.length > 0) throw new SeedError(source, issues);
  return { clients, resourceServers, accounts: account.seen, organizations: organization.seen, roles, apiKeys, notes };
}
