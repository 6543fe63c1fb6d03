import type { SecretHasher } from '../security/client-secrets.ts';
import type { PasswordHasher } from '../security/passwords.ts';
import type { AccountStore } from '../stores/accounts.ts';
import type { ResourceServer } from '../stores/resource-servers.ts';
import { locate, SeedError } from './errors.ts';
import type { Seed, SeedClient } from './schema.ts';

/** RFC 7591 client metadata; `client_id` is always present. */
export type SeedClientMetadata = { client_id: string } & Record<string, unknown>;

export interface SeedDeps {
  accounts: Pick<AccountStore, 'upsertByEmail'>;
  passwords: Pick<PasswordHasher, 'hash'>;
  secrets: Pick<SecretHasher, 'hash' | 'isHashed'>;
  /** Stores RFC 7591 client metadata under `metadata.client_id` (create or replace). */
  upsertClient(metadata: SeedClientMetadata): Promise<void>;
  /** Rejects metadata the provider would refuse (e.g. `provider.Client.validate`). */
  validateClient?(metadata: SeedClientMetadata): Promise<void>;
  /** Creates or replaces the resource server with that identifier. */
  upsertResourceServer(server: ResourceServer): Promise<void>;
  /** Scopes the server knows; a resource server may only use these. */
  knownScopes?: ReadonlySet<string>;
}

export interface SeedSummary {
  accounts: { email: string; created: boolean }[];
  clients: { client_id: string; client_name: string | undefined }[];
  resource_servers: { identifier: string; access_token_format: 'opaque' | 'jwt' }[];
}

/** Client metadata as stored: the secret replaced by its keyed hash, unset fields dropped. */
function toMetadata(client: SeedClient, secrets: SeedDeps['secrets']): SeedClientMetadata {
  const { $comment: _comment, client_secret, ...rest } = client;
  const metadata: SeedClientMetadata = { client_id: client.client_id };
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) metadata[key] = value;
  if (client_secret) {
    const plain = client_secret.reveal();
    metadata.client_secret = secrets.isHashed(plain) ? plain : secrets.hash(plain);
  }
  return metadata;
}

/**
 * Imports accounts and clients. Idempotent: entries are matched by email / client_id and
 * updated, never duplicated. Every client is validated before anything is written, so a
 * seed the provider would refuse changes nothing. Plain passwords and secrets are hashed
 * here and appear in no return value or error.
 */
export async function importSeed(seed: Seed & { source?: string }, deps: SeedDeps): Promise<SeedSummary> {
  const source = seed.source ?? 'seed';
  const plainValues = [
    ...seed.accounts.flatMap((a) => (a.password ? [a.password.reveal()] : [])),
    ...seed.clients.flatMap((c) => (c.client_secret ? [c.client_secret.reveal()] : [])),
  ];
  const fail = (path: (string | number)[], err: unknown): SeedError => {
    let message = (err as { error_description?: unknown }).error_description ?? (err instanceof Error ? err.message : String(err));
    // Belt and braces: dependencies never see a plain value, but never echo one either.
    for (const plain of plainValues) message = String(message).split(plain).join('[REDACTED]');
    const error = new SeedError(source, [locate(path, seed, String(message))]);
    error.cause = err;
    return error;
  };

  const clients = seed.clients.map((c) => toMetadata(c, deps.secrets));
  if (deps.validateClient) {
    for (const [i, metadata] of clients.entries()) {
      try {
        await deps.validateClient(metadata);
      } catch (err) {
        throw fail(['clients', i], err);
      }
    }
  }

  const resourceServers = seed.resource_servers.map((r, i): ResourceServer => {
    const unknown = deps.knownScopes && r.scope.split(' ').find((s) => !deps.knownScopes!.has(s));
    if (unknown) {
      throw new SeedError(source, [locate(['resource_servers', i, 'scope'], seed,
        `"${unknown}" is not a scope this server knows (add it to API_SCOPES)`)]);
    }
    return {
      identifier: r.identifier, scope: r.scope, accessTokenFormat: r.access_token_format,
      ...(r.access_token_ttl !== undefined ? { accessTokenTtl: r.access_token_ttl } : {}),
      ...(r.jwt_alg !== undefined ? { jwtAlg: r.jwt_alg } : {}),
    };
  });

  const summary: SeedSummary = { accounts: [], clients: [], resource_servers: [] };
  // One at a time: each argon2 hash takes its configured memory (19 MiB+).
  for (const [i, a] of seed.accounts.entries()) {
    try {
      const passwordHash = a.password ? await deps.passwords.hash(a.password.reveal()) : a.password_hash!;
      const { account, created } = await deps.accounts.upsertByEmail({ email: a.email, name: a.name, passwordHash });
      summary.accounts.push({ email: account.email, created });
    } catch (err) {
      throw fail(['accounts', i], err);
    }
  }
  for (const [i, metadata] of clients.entries()) {
    try {
      await deps.upsertClient(metadata);
    } catch (err) {
      throw fail(['clients', i], err);
    }
    summary.clients.push({ client_id: metadata.client_id, client_name: metadata.client_name as string | undefined });
  }
  for (const [i, server] of resourceServers.entries()) {
    await deps.upsertResourceServer(server).catch((err: unknown) => { throw fail(['resource_servers', i], err); });
    summary.resource_servers.push({ identifier: server.identifier, access_token_format: server.accessTokenFormat });
  }
  return summary;
}
