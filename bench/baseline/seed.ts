import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';

import * as argon2 from 'argon2';
import type { ClientMetadata, ResourceServer } from 'oidc-provider';

/** Gatehouse's default argon2id cost (src/config: ARGON2_*), so both logins cost the same. */
export const ARGON2 = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** Gatehouse's scopes without its admin API's, which a bare provider has no use for. */
export const BASELINE_SCOPES = ['openid', 'offline_access', 'profile', 'email', 'api:read', 'api:write'];

export interface BaselineAccount {
  id: string;
  email: string;
  name: string;
  passwordHash: string;
}

export interface BaselineSeed {
  clients: ClientMetadata[];
  accounts: Map<string, BaselineAccount>;
  resourceServers: Map<string, ResourceServer>;
}

interface SeedFile {
  accounts?: { email: string; password: string; name: string }[];
  clients?: Record<string, unknown>[];
  resource_servers?: { identifier: string; scope: string; access_token_format?: 'opaque' | 'jwt'; access_token_ttl?: number }[];
}

/**
 * Reads the bench seed that Gatehouse is given too, so both serve the same clients,
 * account and resource server. The baseline keeps secrets in plain text (node-oidc-provider's
 * static `clients`), as a bare provider does; Gatehouse's own choices are what is measured.
 */
export async function loadSeed(path: string): Promise<BaselineSeed> {
  const file = JSON.parse(await readFile(path, 'utf8')) as SeedFile;
  const accounts = new Map<string, BaselineAccount>();
  for (const a of file.accounts ?? []) {
    accounts.set(a.email, { id: randomUUID(), email: a.email, name: a.name, passwordHash: await argon2.hash(a.password, ARGON2) });
  }
  // Gatehouse-only fields ($comment, first_party) are not client metadata to a bare
  // provider, and a client for Gatehouse's admin API (scopes it does not know) is left out.
  const known = new Set(BASELINE_SCOPES);
  const clients = (file.clients ?? []).filter((c) => String(c.scope ?? '').split(' ').every((s) => !s || known.has(s))).map((c) => {
    const { $comment: _c, first_party: _f, ...metadata } = c;
    return metadata as ClientMetadata;
  });
  const resourceServers = new Map<string, ResourceServer>();
  for (const r of file.resource_servers ?? []) {
    const format = r.access_token_format ?? 'opaque';
    resourceServers.set(r.identifier, {
      scope: r.scope, audience: r.identifier, accessTokenFormat: format,
      ...(r.access_token_ttl ? { accessTokenTTL: r.access_token_ttl } : {}),
      ...(format === 'jwt' ? { jwt: { sign: { alg: 'ES256' } } } : {}),
    });
  }
  return { clients, accounts, resourceServers };
}
