import { parseArgs } from 'node:util';

import { loadConfig, type Config } from '../config/index.ts';
import { createLogger } from '../observability/logger.ts';
import { knownScopes } from '../oidc/provider.ts';
import { API_KEY_ENV, apiKeyPrefix, generateApiKey } from '../security/api-key-format.ts';
import { createApiKeyService } from '../security/api-keys.ts';
import { createSecretHasher } from '../security/client-secrets.ts';
import { createPasswordHasher } from '../security/passwords.ts';
import { createRoles } from '../security/roles.ts';
import { createClientValidator } from '../seed/client-validator.ts';
import { importSeed, parseSeed, SeedError, type SeedSummary } from '../seed/index.ts';
import { seedDepsFromStores } from '../seed/store-deps.ts';
import { openStores } from '../stores/index.ts';
import { CliError } from './http.ts';
import { table } from './table.ts';

export const IMPORT_USAGE = 'gatehouse import <seed.json> [--dry-run] [--json]';
export const GENERATE_USAGE = 'gatehouse api-keys generate [--env TAG] [--json]';

/**
 * `gatehouse import <seed.json>`: the seed a server imports at start (GATEHOUSE_SEED),
 * imported once into MongoDB, e.g. to add an organization to a running install. It
 * writes to MongoDB only: memory storage lives inside a server process. `--dry-run`
 * checks the file (against the stores when MONGODB_URI is set) and writes nothing.
 */
export async function importCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true, strict: true,
    options: { 'dry-run': { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    return void process.stdout.write(`usage: ${IMPORT_USAGE}\n\nImports accounts, organizations, memberships, clients, service accounts, resource\nservers and API keys into MongoDB (same file format as GATEHOUSE_SEED; see config/seed.example.md).\n\noptions:\n  --dry-run  check the file and print what would change; write nothing (MongoDB optional)\n  --json     print the summary as JSON\n  --help     show this help\n`);
  }
  if (positionals.length !== 1) throw new CliError(`import needs one seed file (usage: ${IMPORT_USAGE})`, 2);
  const dryRun = values['dry-run'] === true;
  const config = loadConfig();
  if (!dryRun && !config.mongodbUri) {
    throw new CliError('import writes to MongoDB: set MONGODB_URI (memory storage lives only inside a server process: use GATEHOUSE_SEED there, or --dry-run to check a file)', 2);
  }
  // Without the server's pepper, hashes would not match: nothing stored could be verified.
  if (config.mongodbUri && config.ephemeralSecrets) {
    throw new CliError('import needs SECRET_PEPPER (and COOKIE_KEYS) set exactly as the server has them: secrets and API keys are stored as keyed hashes', 2);
  }

  const summary = await run(positionals[0]!, config, dryRun).catch((err: unknown) => {
    // One line: the issues of a bad file are joined, never a stack.
    if (err instanceof SeedError) throw new CliError(err.message.replace(/:\n {2}- /, ': ').replace(/\n {2}- /g, '; '));
    throw err;
  });
  const heading = dryRun ? `Dry run of ${positionals[0]}: nothing was written.` : `Imported ${positionals[0]}.`;
  process.stdout.write(values.json ? `${JSON.stringify({ dry_run: dryRun, ...summary }, null, 2)}\n` : `${heading}\n${render(summary, dryRun)}\n`);
}

async function run(path: string, config: Config, dryRun: boolean): Promise<SeedSummary> {
  const seed = await parseSeed(path, { vars: config.seedVars });
  const offline = !config.mongodbUri;
  // A dry run without MongoDB reads empty memory stores (and needs no Redis).
  const stores = await openStores(offline ? { ...config, redisUrl: undefined } : config, createLogger('warn'));
  try {
    if (!dryRun) await stores.prepare();
    const apiKeys = createApiKeyService({
      store: stores.apiKeys, pepper: config.secretPepper, env: config.apiKeys.env,
      defaultExpiresInDays: config.apiKeys.defaultExpiresInDays, maxExpiresInDays: config.apiKeys.maxExpiresInDays,
    });
    const deps = seedDepsFromStores(stores, {
      passwords: createPasswordHasher(config.argon2), secrets: createSecretHasher(config.secretPepper), apiKeys,
      roles: createRoles(config.roles), knownScopes: new Set(knownScopes(config)), validateClient: createClientValidator(config),
    });
    return await importSeed(seed, deps, { dryRun, offline });
  } finally {
    await stores.close();
  }
}

const DONE: Record<string, string> = { create: 'created', update: 'updated', rename: 'renamed', unchanged: 'unchanged', revoked: 'revoked: left as is' };

/** One row per entry: what it is, and what was (or would be) done with it. Never a secret. */
function render(s: SeedSummary, dryRun: boolean): string {
  const act = (action: string) => (dryRun ? (action === 'revoked' ? 'revoked: left as is' : `${action === 'unchanged' ? '' : 'would '}${action}`) : DONE[action] ?? action);
  const rows = [
    ...s.accounts.map((a) => ({ kind: 'account', entry: a.email + (a.platform_admin ? ' (platform admin)' : ''), action: act(a.created ? 'create' : 'update') })),
    ...s.organizations.map((o) => ({ kind: 'organization', entry: `${o.slug} (${o.name})`, action: act(o.action) })),
    ...s.memberships.map((m) => ({ kind: 'member', entry: `${m.email} in ${m.organization} as ${m.role}`, action: act(m.action) })),
    ...s.clients.map((c) => ({
      kind: c.service_account ? 'service account' : 'client',
      entry: `${c.client_id}${c.client_name ? ` (${c.client_name})` : ''}${c.organization ? ` in ${c.organization}` : ''}`,
      action: act(c.created ? 'create' : 'update'),
    })),
    ...s.resource_servers.map((r) => ({ kind: 'resource server', entry: `${r.identifier} (${r.access_token_format})`, action: dryRun ? 'would store' : 'stored' })),
    ...s.api_keys.map((k) => ({
      kind: 'api key',
      entry: `${k.prefix} "${k.name}" for ${'account' in k.owner ? k.owner.account : k.owner.service_account}${k.organization ? ` in ${k.organization}` : ''}`,
      action: act(k.action),
    })),
  ];
  const notes = s.notes.length > 0 ? `\n\nNot checked:\n${s.notes.map((n) => `  - ${n}`).join('\n')}` : '';
  return table(rows, ['kind', 'entry', 'action']) + notes;
}

/**
 * `gatehouse api-keys generate`: a fresh key in the format this server accepts, for a
 * seed's `api_keys[].key`. Printed once, stored nowhere: the seed import stores its hash.
 */
export async function generateApiKeyCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, strict: true, options: { env: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' } } });
  if (values.help) {
    return void process.stdout.write(`usage: ${GENERATE_USAGE}\n\nPrints a new API key for a seed file (api_keys[].key); writes nothing.\n\noptions:\n  --env TAG  environment tag (default: the configured API_KEY_ENV)\n  --json     print { key, id, prefix } as JSON\n  --help     show this help\n`);
  }
  const env = values.env ?? loadConfig().apiKeys.env;
  if (!API_KEY_ENV.test(env)) throw new CliError(`--env must be 1 to 8 characters from a-z 0-9 (got "${env}")`, 2);
  const { key, id } = generateApiKey(env);
  process.stdout.write(values.json ? `${JSON.stringify({ key, id, prefix: apiKeyPrefix(env, id) }, null, 2)}\n` : `${key}\n`);
}
