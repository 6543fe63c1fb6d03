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
const CLIENT_COLUMNS = ['client_id', 'client_name', 'org_id', 'grant_types', 'token_endpoint_auth_method', 'scope'] as const;
const SERVICE_ACCOUNT_COLUMNS = ['client_id', 'name', 'org_id', 'scopes', 'ip_allow_list'] as const;
const ORG_COLUMNS = ['id', 'slug', 'name', 'created_at'] as const;
const ACCOUNT_COLUMNS = ['id', 'email', 'name', 'disabled_at', 'created_at'] as const;
const SIGNING_KEY_COLUMNS = ['kid', 'alg', 'state', 'created_at', 'retired_at'] as const;
const AUDIT_COLUMNS = ['time', 'type', 'actor', 'subject', 'client_id', 'org_id', 'reason', 'target'] as const;
const WEBHOOK_COLUMNS = ['id', 'org_id', 'url', 'events', 'created_at'] as const;
const GRANT_COLUMNS = ['id', 'client_id', 'client_name', 'scopes', 'created_at'] as const;

/** `--body '{"…":…}'`: the JSON request body, for commands whose input is rich metadata. */
function jsonBody(args: Parsed): unknown {
  const raw = str(args.values.body);
  if (raw === undefined) throw new CliError('missing --body with the JSON request body', 2);
  try {
    return JSON.parse(raw);
  } catch {
    throw new CliError('--body is not valid JSON', 2);
  }
}

const BODY = { body: { type: 'string' as const, description: 'the JSON request body' } };
const PAGE = {
  limit: { type: 'string' as const, description: 'page size (1-200)' }, cursor: { type: 'string' as const, description: 'next_cursor of the previous page' },
};
function pageQuery(a: Parsed, extra: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  if (a.values.limit !== undefined) q.set('limit', String(int(a.values.limit, 'limit')));
  if (str(a.values.cursor)) q.set('cursor', str(a.values.cursor)!);
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) q.set(k, v);
  return q.size ? `?${q}` : '';
}

/** list / get / create / update / delete over one collection of the admin API. */
function crud(path: string, noun: string, columns: readonly string[], secretField?: string): Record<string, ApiCommand> {
  // Without a secret field the create answer nests several objects: it is printed whole.
  return {
    list: { usage: `gatehouse ${path} list [--limit N] [--cursor C]`, summary: `List ${noun}s`, options: PAGE, columns, call: (c, a) => callAdmin(c, 'GET', `/${path}${pageQuery(a)}`) },
    get: { usage: `gatehouse ${path} get ID`, summary: `Show one ${noun}`, columns, call: (c, a) => callAdmin(c, 'GET', `/${path}/${arg(a, 0, `${noun} id`)}`) },
    create: {
      usage: `gatehouse ${path} create --body JSON`, summary: `Create a ${noun} (any secret, key or link in the answer is shown once)`,
      options: BODY, ...(secretField ? { columns, secretField } : {}), call: (c, a) => callAdmin(c, 'POST', `/${path}`, jsonBody(a)),
    },
    update: {
      usage: `gatehouse ${path} update ID --body JSON`, summary: `Change a ${noun}`, options: BODY, columns,
      call: (c, a) => callAdmin(c, 'PATCH', `/${path}/${arg(a, 0, `${noun} id`)}`, jsonBody(a)),
    },
    delete: { usage: `gatehouse ${path} delete ID`, summary: `Delete a ${noun}`, call: (c, a) => callAdmin(c, 'DELETE', `/${path}/${arg(a, 0, `${noun} id`)}`) },
  };
}

function rotateSecret(path: string, columns: readonly string[]): ApiCommand {
  return {
    usage: `gatehouse ${path} rotate-secret ID [--overlap-seconds N]`, summary: 'Issue a new secret (printed once); the old one works for the overlap',
    options: { 'overlap-seconds': { type: 'string', description: 'keep the old secret valid this long (default 24 h)' } },
    columns, secretField: 'client_secret',
    call: (c, a) => callAdmin(c, 'POST', `/${path}/${arg(a, 0, 'client id')}/secret:rotate`, { overlap_seconds: int(a.values['overlap-seconds'], 'overlap-seconds') }),
  };
}

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
  clients: { ...crud('clients', 'client', CLIENT_COLUMNS, 'client_secret'), 'rotate-secret': rotateSecret('clients', CLIENT_COLUMNS) },
  'service-accounts': {
    ...crud('service-accounts', 'service account', SERVICE_ACCOUNT_COLUMNS, 'client_secret'),
    'rotate-secret': rotateSecret('service-accounts', SERVICE_ACCOUNT_COLUMNS),
  },
  orgs: crud('organizations', 'organization', ORG_COLUMNS),
  accounts: crud('accounts', 'account', ACCOUNT_COLUMNS),
  grants: {
    list: {
      usage: 'gatehouse grants list ACCOUNT_ID', summary: "List an account's grants", columns: GRANT_COLUMNS,
      call: (c, a) => callAdmin(c, 'GET', `/accounts/${arg(a, 0, 'account id')}/grants`),
    },
    revoke: { usage: 'gatehouse grants revoke GRANT_ID', summary: 'Revoke a grant and its tokens', call: (c, a) => callAdmin(c, 'DELETE', `/grants/${arg(a, 0, 'grant id')}`) },
  },
  keys: {
    list: { usage: 'gatehouse keys list', summary: 'List signing keys (kid, alg, state: next, current, retired)', columns: SIGNING_KEY_COLUMNS, call: (c) => callAdmin(c, 'GET', '/keys') },
    rotate: {
      usage: 'gatehouse keys rotate [--alg ES256|RS256|EdDSA]',
      summary: 'Rotate signing keys: next starts signing, current retires (still published), a new next is published',
      options: { alg: { type: 'string', description: 'only this algorithm (default: all)' } },
      columns: SIGNING_KEY_COLUMNS,
      call: (c, a) => callAdmin(c, 'POST', '/keys:rotate', { alg: str(a.values.alg) }),
    },
  },
  audit: {
    list: {
      usage: 'gatehouse audit list [--type T] [--actor A] [--subject S] [--client-id C] [--org-id O] [--since ISO] [--until ISO] [--limit N] [--cursor C]',
      summary: 'List audit events, newest first',
      options: {
        ...PAGE,
        type: { type: 'string', description: 'event type, e.g. login.failed' }, actor: { type: 'string', description: 'who acted' },
        subject: { type: 'string', description: 'the account concerned' }, 'client-id': { type: 'string', description: 'the client concerned' },
        'org-id': { type: 'string', description: 'one organization (platform callers)' },
        since: { type: 'string', description: 'at or after this time (ISO 8601)' }, until: { type: 'string', description: 'before this time (ISO 8601)' },
      },
      columns: AUDIT_COLUMNS,
      call: (c, a) => callAdmin(c, 'GET', `/audit-events${pageQuery(a, {
        type: str(a.values.type), actor: str(a.values.actor), subject: str(a.values.subject), client_id: str(a.values['client-id']),
        org_id: str(a.values['org-id']), since: str(a.values.since), until: str(a.values.until),
      })}`),
    },
  },
  webhooks: {
    list: {
      usage: 'gatehouse webhooks list ORG_ID', summary: "List an organization's webhooks", options: PAGE, columns: WEBHOOK_COLUMNS,
      call: (c, a) => callAdmin(c, 'GET', `/organizations/${arg(a, 0, 'organization id')}/webhooks${pageQuery(a)}`),
    },
    create: {
      usage: 'gatehouse webhooks create ORG_ID --endpoint URL [--events TYPE,...]',
      summary: "Register a webhook for the organization's audit events (the signing secret is shown once)",
      // Not --url: that names the Gatehouse server (a global option).
      options: { endpoint: { type: 'string', description: 'the URL events are POSTed to' }, events: { type: 'string', description: 'comma-separated event types (default: all)' } },
      columns: WEBHOOK_COLUMNS, secretField: 'secret',
      call: (c, a) => callAdmin(c, 'POST', `/organizations/${arg(a, 0, 'organization id')}/webhooks`, {
        url: str(a.values.endpoint), events: str(a.values.events)?.split(',').map((t) => t.trim()).filter(Boolean),
      }),
    },
    delete: {
      usage: 'gatehouse webhooks delete ORG_ID WEBHOOK_ID', summary: 'Delete a webhook',
      call: (c, a) => callAdmin(c, 'DELETE', `/organizations/${arg(a, 0, 'organization id')}/webhooks/${arg(a, 1, 'webhook id')}`),
    },
  },
  'resource-servers': {
    list: { usage: 'gatehouse resource-servers list', summary: 'List resource servers', columns: RS_COLUMNS, call: (c) => callAdmin(c, 'GET', '/resource-servers') },
    get: { usage: 'gatehouse resource-servers get URI', summary: 'Show one resource server', columns: RS_COLUMNS, call: (c, a) => callAdmin(c, 'GET', `/resource-servers/${arg(a, 0, 'identifier')}`) },
    put: {
      usage: 'gatehouse resource-servers put URI --scope "SCOPE ..." [--format opaque|jwt] [--ttl SECONDS] [--alg ES256|RS256|EdDSA]',
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
