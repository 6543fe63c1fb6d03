import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

import { ADMIN_SCOPES } from '../admin/scopes.ts';
import { loadConfig } from '../config/index.ts';
import { createLogger } from '../observability/logger.ts';
import { createApiKeyService } from '../security/api-keys.ts';
import { createPasswordHasher } from '../security/passwords.ts';
import { openStores } from '../stores/index.ts';
import { CliError } from './http.ts';

/** `gatehouse migrate`: creates every index once, so servers never have to at request time. */
export async function migrate(args: string[]): Promise<void> {
  parseArgs({ args, options: {}, strict: true });
  const config = loadConfig();
  const stores = await openStores(config, createLogger('warn'));
  try {
    await stores.prepare();
    process.stdout.write(`indexes are in place (durable: ${stores.durable}, ephemeral: ${stores.ephemeral})\n`);
  } finally {
    await stores.close();
  }
}

/**
 * `gatehouse bootstrap`: the first credential of a fresh install. Creates (or finds) the
 * platform admin account and issues it a platform API key with every admin scope,
 * printed once. It writes to MongoDB: with memory storage the data would live only in
 * this short process.
 */
export async function bootstrap(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { email: { type: 'string' }, name: { type: 'string' } }, strict: true });
  if (!values.email) throw new CliError('bootstrap needs --email (the platform admin account)', 2);
  const config = loadConfig();
  if (!config.mongodbUri) {
    throw new CliError('bootstrap writes to MongoDB: set MONGODB_URI (memory storage lives only inside a server process)', 2);
  }
  if (config.ephemeralSecrets) {
    throw new CliError('bootstrap needs SECRET_PEPPER (and COOKIE_KEYS) set exactly as the server has them: the key is hashed with the pepper', 2);
  }
  const stores = await openStores(config, createLogger('warn'));
  try {
    await stores.prepare();
    let password: string | undefined;
    let account = await stores.accounts.findByEmail(values.email);
    if (!account) {
      password = randomBytes(18).toString('base64url');
      const hash = await createPasswordHasher(config.argon2).hash(password);
      account = await stores.accounts.create({ email: values.email, name: values.name ?? 'Platform admin', passwordHash: hash });
    }
    // A platform admin stands outside every organization (security/tenancy.ts): its own
    // sign-in may then carry admin scopes too, not only the key printed below.
    if (account.platformAdmin !== true) account = (await stores.accounts.update(account.id, { platformAdmin: true })) ?? account;
    const apiKeys = createApiKeyService({
      store: stores.apiKeys, pepper: config.secretPepper, env: config.apiKeys.env,
      defaultExpiresInDays: config.apiKeys.defaultExpiresInDays, maxExpiresInDays: config.apiKeys.maxExpiresInDays,
    });
    const { key, record } = await apiKeys.issue(
      { name: 'bootstrap', scopes: [...ADMIN_SCOPES] },
      { owner: { type: 'account', id: account.id }, allowedScopes: ADMIN_SCOPES },
    );
    const lines = [`platform admin: ${account.email} (${account.id})`];
    if (password) lines.push(`password:       ${password}`);
    lines.push(`api key:        ${key}`, `expires:        ${record.expiresAt.toISOString()}`, '', 'Store these now: they are shown this once.');
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await stores.close();
  }
}
