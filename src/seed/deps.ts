import type { ApiKeyImportAction, ApiKeyService } from '../security/api-keys.ts';
import type { SecretHasher } from '../security/client-secrets.ts';
import type { PasswordHasher } from '../security/passwords.ts';
import type { Roles } from '../security/roles.ts';
import type { AccountStore } from '../stores/accounts.ts';
import type { MembershipStore } from '../stores/memberships.ts';
import type { OrganizationStore } from '../stores/organizations.ts';
import type { ResourceServer } from '../stores/resource-servers.ts';

/** RFC 7591 client metadata; `client_id` is always present. */
export type SeedClientMetadata = { client_id: string } & Record<string, unknown>;

export interface SeedDeps {
  accounts: Pick<AccountStore, 'upsertByEmail' | 'findByEmail' | 'update'>;
  passwords: Pick<PasswordHasher, 'hash'>;
  secrets: Pick<SecretHasher, 'hash' | 'isHashed'>;
  /** Stores RFC 7591 client metadata under `metadata.client_id` (create or replace). */
  upsertClient(metadata: SeedClientMetadata): Promise<void>;
  /** The stored client, if any: a key's service account may be one the file does not list. */
  findClient(clientId: string): Promise<SeedClientMetadata | undefined>;
  /** Rejects metadata the provider would refuse (e.g. `provider.Client.validate`). */
  validateClient?(metadata: SeedClientMetadata): Promise<void>;
  /** Creates or replaces the resource server with that identifier. */
  upsertResourceServer(server: ResourceServer): Promise<void>;
  /** Scopes the server knows; a resource server may only use these. */
  knownScopes?: ReadonlySet<string>;
  organizations: Pick<OrganizationStore, 'findBySlug' | 'create' | 'rename'>;
  memberships: Pick<MembershipStore, 'find' | 'put'>;
  /** Built-in and GATEHOUSE_ROLES roles (security/roles.ts). */
  roles: Pick<Roles, 'names' | 'has' | 'scopesOf'>;
  apiKeys: Pick<ApiKeyService, 'importKey'>;
}

export interface ImportOptions {
  /** Check everything and report what would change; write nothing (and hash no password). */
  dryRun?: boolean;
  /**
   * With `dryRun` and no stores to read (no MONGODB_URI): a reference to an entry outside
   * the file is noted rather than refused, and the checks that need it are skipped.
   */
  offline?: boolean;
}

export interface SeedSummary {
  accounts: { email: string; created: boolean; platform_admin?: boolean }[];
  organizations: { slug: string; name: string; id?: string; action: 'create' | 'rename' | 'unchanged' }[];
  memberships: { organization: string; email: string; role: string; action: 'create' | 'update' | 'unchanged' }[];
  clients: { client_id: string; client_name: string | undefined; created: boolean; organization?: string; service_account?: true }[];
  resource_servers: { identifier: string; access_token_format: 'opaque' | 'jwt' }[];
  /** Keys by their public id and prefix: never the key itself. */
  api_keys: {
    id: string; prefix: string; name: string; owner: { account: string } | { service_account: string };
    organization?: string; scopes: string[]; expires_at: string; action: ApiKeyImportAction;
  }[];
  /** What a dry run without stores could not check. */
  notes: string[];
}
