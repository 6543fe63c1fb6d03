import type { Context } from 'koa';
import ipaddr from 'ipaddr.js';

import { parseApiKey } from '../api-key-format.ts';
import { peekForm } from './peek-form.ts';

/** The endpoints that are rate limited; the label of `gatehouse_rate_limit_refusals_total`. */
export type LimitedEndpoint = 'token' | 'introspection' | 'revocation' | 'pushed_authorization' | 'authorization' | 'login' | 'registration' | 'admin';

/** Who a request says it is, before anyone has checked: a client id or an API key id. */
export interface ClaimedIdentity {
  scope: 'client' | 'api_key';
  id: string;
}

const CLIENT_ENDPOINTS: ReadonlySet<LimitedEndpoint> = new Set(['token', 'introspection', 'revocation', 'pushed_authorization']);
/** Longest client id worth looking up (the seed's limit); longer ones cannot be registered. */
const MAX_CLIENT_ID = 255;
/** Token, introspection and revocation bodies are small; a longer one is not peeked at. */
const PEEK_LIMIT = 8 * 1024;

/**
 * Which limited endpoint a request is for, from its method and path alone (node-oidc-provider's
 * default route paths; Gatehouse's pages and admin API), the path lower-cased as the routers
 * see it (http/path-gate.ts routedPath). CORS preflights are never limited.
 */
export function endpointOf(method: string, path: string): LimitedEndpoint | undefined {
  if (method === 'OPTIONS') return undefined;
  if (path === '/token') return 'token';
  if (path === '/token/introspection') return 'introspection';
  if (path === '/token/revocation') return 'revocation';
  // RFC 9126: the client authenticates here as at the token endpoint.
  if (path === '/request') return 'pushed_authorization';
  if (path === '/auth' || path.startsWith('/auth/')) return 'authorization';
  // The login, consent and cancel forms; showing them (GET) is not limited.
  if (method === 'POST' && path.startsWith('/interaction/')) return 'login';
  // Dynamic registration (RFC 7591) when enabled, and invitation links (choosing a password).
  if (path === '/reg' || path.startsWith('/reg/') || path.startsWith('/invitations/')) return 'registration';
  if (path === '/api/v1' || path.startsWith('/api/v1/')) return 'admin';
  return undefined;
}

/**
 * The bucket key for a source address. An IPv6 host usually holds a whole /64 (RFC 6177,
 * RFC 8981 temporary addresses), so limiting each address alone would be no limit: the /64
 * is the unit. IPv4-mapped IPv6 addresses count as their IPv4 address.
 */
export function addressKey(ip: string): string {
  let key = addressKeys.get(ip);
  if (key === undefined) {
    key = computeAddressKey(ip);
    // A bound, not an LRU: past it (a scan from very many addresses) start again.
    if (addressKeys.size >= MAX_REMEMBERED_ADDRESSES) addressKeys.clear();
    addressKeys.set(ip, key);
  }
  return key;
}

/**
 * Parsing an address costs more than the rest of the limiter's own work on a request; the
 * same few addresses come again and again (a service's hosts, a proxy), so each one's key
 * is remembered.
 */
const addressKeys = new Map<string, string>();
const MAX_REMEMBERED_ADDRESSES = 10_000;

function computeAddressKey(ip: string): string {
  try {
    const addr = ipaddr.process(ip);
    if (addr.kind() === 'ipv4') return addr.toString();
    return `${(addr as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16)).join(':')}::/64`;
  } catch {
    return ip || 'unknown';
  }
}

/**
 * The identity a request claims, read cheaply and never verified (verifying is the
 * provider's and the admin API's job, after this):
 * - token, introspection, revocation: the client id from HTTP Basic (RFC 6749 §2.3.1,
 *   form-encoded user name), else the body's `client_id`, else the `sub` of a
 *   `client_assertion` (RFC 7523 §3: the client id) — the body is peeked at, not consumed;
 * - the admin API: the id inside an API key (api-key-format.ts; its checksum is checked,
 *   no store is asked).
 */
export async function claimedIdentity(ctx: Context, endpoint: LimitedEndpoint): Promise<ClaimedIdentity | undefined> {
  const fromHeaders = headerIdentity(ctx, endpoint);
  return fromHeaders === IN_BODY ? asClient(await bodyClientId(ctx)) : fromHeaders;
}

/** headerIdentity(): the headers name no one, and the body of this request might. */
export const IN_BODY = Symbol('identity in the body');

/** claimedIdentity() as far as the headers tell, without reading the body. */
export function headerIdentity(ctx: Context, endpoint: LimitedEndpoint): ClaimedIdentity | undefined | typeof IN_BODY {
  if (endpoint === 'admin') {
    const bearer = /^Bearer +(\S+) *$/i.exec(ctx.get('Authorization'))?.[1];
    const id = parseApiKey(bearer ?? ctx.get('X-API-Key'))?.id;
    return id ? { scope: 'api_key', id } : undefined;
  }
  if (!CLIENT_ENDPOINTS.has(endpoint)) return undefined;
  const clientId = basicUser(ctx.get('Authorization'));
  return clientId === undefined ? IN_BODY : asClient(clientId);
}

const asClient = (clientId: string | undefined): ClaimedIdentity | undefined =>
  clientId && clientId.length <= MAX_CLIENT_ID ? { scope: 'client', id: clientId } : undefined;

function basicUser(header: string): string | undefined {
  const m = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return undefined;
  const user = decoded.slice(0, colon);
  // Most client ids have nothing form-encoded in them.
  if (!user.includes('%') && !user.includes('+')) return user;
  try {
    return decodeURIComponent(user.replace(/\+/g, ' '));
  } catch {
    return user;
  }
}

async function bodyClientId(ctx: Context): Promise<string | undefined> {
  if (ctx.method !== 'POST' || !ctx.is('application/x-www-form-urlencoded')) return undefined;
  const length = Number(ctx.get('Content-Length'));
  if (!Number.isSafeInteger(length) || length <= 0 || length > PEEK_LIMIT) return undefined;
  const form = await peekForm(ctx.req, length);
  const clientId = form?.get('client_id');
  if (clientId) return clientId;
  const assertion = form?.get('client_assertion');
  if (!assertion) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: unknown };
    return typeof payload.sub === 'string' ? payload.sub : undefined;
  } catch {
    return undefined;
  }
}
