import { callAdmin, CliError, type AdminClientOptions } from './http.ts';
import { table } from './table.ts';

export interface Parsed {
  positionals: string[];
  values: Record<string, string | boolean | string[] | undefined>;
}

/** A command over the admin API: what it calls, and how its answer reads as a table. */
export interface ApiCommand {
  usage: string;
  summary: string;
  options?: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; description: string }>;
  call(client: AdminClientOptions, args: Parsed): Promise<unknown>;
  columns?: readonly string[];
  /** Shown once after a created or rotated secret (the API returns it only then). */
  secretField?: string;
}

const KEY_COLUMNS = ['id', 'name', 'prefix', 'last4', 'status', 'scopes', 'expires_at', 'last_used_at'] as const;
const RS_COLUMNS = ['identifier', 'scope', 'access_token_format', 'access_token_ttl'] as const;

function arg(args: Parsed, index: number, what: string): string {
  const value = args.positionals[index];
  if (!value) throw new CliError(`missing ${what}`, 2);
  return encodeURIComponent(value);
}

function int(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d+$/.test(value)) throw new CliError(`--${name} must be a whole number`, 2);
  return Number(value);
}

const str = (value: unknown) => (typeof value === 'string' ? value : undefined);

export const API_COMMANDS: Record<string, Record<string, ApiCommand>> = {
  whoami: {
    '': {
      usage: 'gatehouse whoami', summary: 'Show who the credential belongs to, its organization and scopes',
      call: (c) => callAdmin(c, 'GET', '/auth/whoami'),
    },
  },
  'api-keys': {
    list: {
      usage: 'gatehouse api-keys list [--owner ID] [--limit N] [--cursor C] [--include-revoked]', summary: 'List API keys, newest first',
      options: {
        owner: { type: 'string', description: 'only keys of this owner id' }, limit: { type: 'string', description: 'page size (1-200)' },
        cursor: { type: 'string', description: 'next_cursor of the previous page' }, 'include-revoked': { type: 'boolean', description: 'list revoked keys too' },
      },
      columns: KEY_COLUMNS,
      call: (c, a) => {
        const q = new URLSearchParams();
        if (str(a.values.owner)) q.set('owner_id', str(a.values.owner)!);
        if (a.values.limit !== undefined) q.set('limit', String(int(a.values.limit, 'limit')));
        if (str(a.values.cursor)) q.set('cursor', str(a.values.cursor)!);
        if (a.values['include-revoked']) q.set('include_revoked', 'true');
        return callAdmin(c, 'GET', `/api-keys${q.size ? `?${q}` : ''}`);
      },
    },
    create: {
      usage: 'gatehouse api-keys create --name NAME --scopes "SCOPE ..." [--expires-in-days N | --expires-at ISO] [--ip CIDR ...]',
      summary: 'Create an API key for your own credential; the key is printed once',
      options: {
        name: { type: 'string', description: 'a label for people' }, scopes: { type: 'string', description: 'space-separated scopes' },
        'expires-in-days': { type: 'string', description: 'lifetime in days (default 90)' }, 'expires-at': { type: 'string', description: 'RFC 3339 expiry' },
        ip: { type: 'string', multiple: true, description: 'allowed client address or CIDR (repeatable)' },
      },
      columns: KEY_COLUMNS, secretField: 'key',
      call: (c, a) => callAdmin(c, 'POST', '/api-keys', {
        name: str(a.values.name), scopes: str(a.values.scopes)?.split(/\s+/).filter(Boolean),
        expires_in_days: int(a.values['expires-in-days'], 'expires-in-days'), expires_at: str(a.values['expires-at']),
        ip_allow_list: a.values.ip as string[] | undefined,
      }),
    },
    get: { usage: 'gatehouse api-keys get ID', summary: 'Show one API key (never its secret)', columns: KEY_COLUMNS, call: (c, a) => callAdmin(c, 'GET', `/api-keys/${arg(a, 0, 'key id')}`) },
    rotate: {
      usage: 'gatehouse api-keys rotate ID [--overlap-seconds N]', summary: 'Replace a key; the new one is printed once',
      options: { 'overlap-seconds': { type: 'string', description: 'keep the old key valid this long' } },
      columns: KEY_COLUMNS, secretField: 'key',
      call: (c, a) => callAdmin(c, 'POST', `/api-keys/${arg(a, 0, 'key id')}:rotate`, { overlap_seconds: int(a.values['overlap-seconds'], 'overlap-seconds') }),
    },
    revoke: { usage: 'gatehouse api-keys revoke ID', summary: 'Revoke a key', call: (c, a) => callAdmin(c, 'DELETE', `/api-keys/${arg(a, 0, 'key id')}`) },
  },
  'resource-servers': {
    list: { usage: 'gatehouse resource-servers list', summary: 'List resource servers', columns: RS_COLUMNS, call: (c) => callAdmin(c, 'GET', '/resource-servers') },
    get: { usage: 'gatehouse resource-servers get URI', summary: 'Show one resource server', columns: RS_COLUMNS, call: (c, a) => callAdmin(c, 'GET', `/resource-servers/${arg(a, 0, 'identifier')}`) },
    put: {
      usage: 'gatehouse resource-servers put URI --scope "SCOPE ..." [--format opaque|jwt] [--ttl SECONDS] [--alg ES256|RS256]',
      summary: 'Register or replace a resource server',
      options: {
        scope: { type: 'string', description: 'scopes the API understands' }, format: { type: 'string', description: 'opaque (default) or jwt' },
        ttl: { type: 'string', description: 'access token lifetime in seconds' }, alg: { type: 'string', description: 'JWT algorithm' },
      },
      columns: RS_COLUMNS,
      call: (c, a) => callAdmin(c, 'PUT', `/resource-servers/${arg(a, 0, 'identifier')}`, {
        scope: str(a.values.scope), access_token_format: str(a.values.format), access_token_ttl: int(a.values.ttl, 'ttl'), jwt_alg: str(a.values.alg),
      }),
    },
    delete: { usage: 'gatehouse resource-servers delete URI', summary: 'Remove a resource server', call: (c, a) => callAdmin(c, 'DELETE', `/resource-servers/${arg(a, 0, 'identifier')}`) },
  },
};

/** Human output: a table of items (or of the one object), and a created secret on its own line. */
export function render(command: ApiCommand, result: unknown): string {
  if (result === undefined) return 'done';
  const record = result as Record<string, unknown>;
  if (!command.columns) return JSON.stringify(result, null, 2);
  const rows = Array.isArray(record.items) ? (record.items as Record<string, unknown>[]) : [record];
  const lines = [table(rows, command.columns)];
  if (typeof record.next_cursor === 'string') lines.push(`next page: --cursor ${record.next_cursor}`);
  if (command.secretField && typeof record[command.secretField] === 'string') {
    lines.push('', `${command.secretField}: ${record[command.secretField] as string}`, 'Store it now: it is shown this once.');
  }
  return lines.join('\n');
}
