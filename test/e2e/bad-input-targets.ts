/**
 * What the bad-input tests aim at: every endpoint that takes input, with the
 * credentials, cookies and ids that get a request past the first check (so the bad part
 * reaches the code behind it), and the checks every refusal must pass.
 */
import { ADMIN_SCOPES } from '../../src/admin/scopes.ts';
import { Browser } from '../support/browser.ts';
import { signIn } from '../support/flows.ts';
import { clientFor, SECRETS, type TestServer } from '../support/gatehouse.ts';

const WEB_CB = 'https://app.example/cb';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

/** Test-only values the server is started with: no response may ever contain one. */
export const COOKIE_KEY = 'bad-input-cookie-key-for-tests-only-0123456789';
export const PEPPER = 'bad-input-pepper-for-tests-only-0123456789abcdef';
export const SERVER_ENV = { COOKIE_KEYS: COOKIE_KEY, SECRET_PEPPER: PEPPER };

export const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

export type BodyKind = 'form' | 'json' | 'query';

export interface Endpoint {
  name: string;
  method: 'GET' | 'POST' | 'PATCH' | 'PUT';
  path: string;
  kind: BodyKind;
  headers: Record<string, string>;
  /** Parameters of a plausible request, for mutation. */
  params: Record<string, string>;
}

export interface Targets {
  endpoints: Endpoint[];
  /** Every secret a response must not contain. */
  secrets: string[];
}

/** Signs in, opens an interaction, makes an organization (for an invitation link) and an admin key. */
export async function prepareTargets(server: TestServer): Promise<Targets> {
  const platformKey = (await server.apiKeys.issue(
    { name: 'bad input', scopes: [...ADMIN_SCOPES] },
    { owner: { type: 'account', id: 'platform-admin' }, allowedScopes: ADMIN_SCOPES },
  )).key;

  const web = await clientFor(server, 'web');
  const { tokens } = await signIn(web, WEB_CB, { scope: 'openid profile' });

  // An interaction waiting for a login: its uid, its cookies and the form's CSRF token.
  const browser = new Browser();
  const login = await browser.open(`${server.issuer}/auth?${new URLSearchParams({
    client_id: 'web', response_type: 'code', scope: 'openid', redirect_uri: WEB_CB, state: 's',
    code_challenge: CHALLENGE, code_challenge_method: 'S256',
  })}`);
  const uid = /\/interaction\/([\w-]+)/.exec(login.url)?.[1];
  const csrf = /name="csrf" value="([^"]+)"/.exec(login.html)?.[1];
  if (!uid || !csrf) throw new Error(`no login form at ${login.url}`);
  const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');

  const org = await fetch(`${server.issuer}/api/v1/organizations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${platformKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Bad Input Ltd', slug: 'bad-input', admin: { email: 'boss@bad-input.example', name: 'Boss' } }),
  });
  const orgBody = (await org.json()) as {
    organization?: { id?: string }; admin?: { account?: { id?: string }; invitation?: { url?: string } };
  };
  const invitationUrl = orgBody.admin?.invitation?.url;
  if (!invitationUrl) throw new Error(`no invitation link (${org.status})`);
  const invitationPath = new URL(invitationUrl).pathname;

  const origin = new URL(server.issuer).origin;
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const page = { ...form, cookie, origin, accept: 'text/html' };
  const json = { 'content-type': 'application/json', authorization: `Bearer ${platformKey}` };
  const authorize = {
    client_id: 'web', response_type: 'code', scope: 'openid', redirect_uri: WEB_CB, state: 's',
    code_challenge: CHALLENGE, code_challenge_method: 'S256',
  };

  const endpoints: Endpoint[] = [
    { name: 'token', method: 'POST', path: '/token', kind: 'form', headers: { ...form, authorization: basic('service', SECRETS.service) },
      params: { grant_type: 'client_credentials', scope: 'api:read' } },
    { name: 'token (client_secret_post)', method: 'POST', path: '/token', kind: 'form', headers: form,
      params: { grant_type: 'client_credentials', client_id: 'service-post', client_secret: SECRETS['service-post'], scope: 'api:read' } },
    { name: 'introspection', method: 'POST', path: '/token/introspection', kind: 'form',
      headers: { ...form, authorization: basic('resource-server', SECRETS['resource-server']) }, params: { token: tokens.access_token } },
    { name: 'revocation', method: 'POST', path: '/token/revocation', kind: 'form',
      headers: { ...form, authorization: basic('web', SECRETS.web) }, params: { token: 'not-a-token', token_type_hint: 'access_token' } },
    { name: 'authorization (GET)', method: 'GET', path: '/auth', kind: 'query', headers: { accept: 'text/html', cookie }, params: authorize },
    { name: 'authorization (POST)', method: 'POST', path: '/auth', kind: 'form', headers: { ...form, accept: 'text/html' }, params: authorize },
    { name: 'interaction page', method: 'GET', path: `/interaction/${uid}`, kind: 'query', headers: page, params: {} },
    { name: 'login form', method: 'POST', path: `/interaction/${uid}/login`, kind: 'form', headers: page,
      params: { csrf, email: 'ada@example.com', password: 'not the password' } },
    { name: 'consent form', method: 'POST', path: `/interaction/${uid}/confirm`, kind: 'form', headers: page, params: { csrf, decision: 'deny' } },
    { name: 'logout (GET)', method: 'GET', path: '/session/end', kind: 'query', headers: { accept: 'text/html' },
      params: { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://app.example/bye' } },
    { name: 'logout (POST)', method: 'POST', path: '/session/end', kind: 'form', headers: { ...form, accept: 'text/html' },
      params: { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://app.example/bye' } },
    { name: 'logout confirm', method: 'POST', path: '/session/end/confirm', kind: 'form', headers: { ...form, accept: 'text/html' },
      params: { xsrf: 'x', logout: 'yes' } },
    { name: 'userinfo (GET)', method: 'GET', path: '/me', kind: 'query', headers: { authorization: `Bearer ${tokens.access_token}` }, params: {} },
    { name: 'userinfo (POST)', method: 'POST', path: '/me', kind: 'form', headers: form, params: { access_token: tokens.access_token } },
    { name: 'admin: create API key', method: 'POST', path: '/api/v1/api-keys', kind: 'json', headers: json,
      params: { name: 'fuzz', scopes: 'admin:api-keys:read' } },
    { name: 'admin: create client', method: 'POST', path: '/api/v1/clients', kind: 'json', headers: json,
      params: { client_name: 'fuzz', redirect_uris: 'https://fuzz.example/cb', scope: 'openid' } },
    { name: 'admin: update client', method: 'PATCH', path: '/api/v1/clients/narrow', kind: 'json', headers: json, params: { client_name: 'Narrow' } },
    { name: 'admin: create account', method: 'POST', path: '/api/v1/accounts', kind: 'json', headers: json,
      params: { email: 'fuzz@example.com', name: 'Fuzz' } },
    { name: 'admin: list clients', method: 'GET', path: '/api/v1/clients', kind: 'query', headers: json, params: { limit: '5' } },
    { name: 'registration', method: 'POST', path: '/reg', kind: 'json', headers: { 'content-type': 'application/json' },
      params: { redirect_uris: 'https://x.example/cb' } },
    // The account pages without an account session: refused before anything else (no session in the fuzz).
    ...['/account/profile', '/account/password', '/account/api-keys', '/account/api-keys/x/revoke', '/account/apps/web/revoke'].map((path): Endpoint => ({
      name: `account: POST ${path}`, method: 'POST', path, kind: 'form', headers: { ...form, origin, accept: 'text/html' },
      params: { csrf: 'x', name: 'Ada', password: 'x', new_password: 'y' },
    })),
    { name: 'account callback', method: 'GET', path: '/account/callback', kind: 'query', headers: { accept: 'text/html', cookie },
      params: { code: 'x', state: 'y', iss: server.issuer } },
    { name: 'invitation page', method: 'GET', path: invitationPath, kind: 'query', headers: { accept: 'text/html' }, params: {} },
    { name: 'invitation form', method: 'POST', path: invitationPath, kind: 'form', headers: { ...form, origin, accept: 'text/html' },
      params: { csrf: 'x', password: 'a long enough passphrase', password_confirm: 'a long enough passphrase' } },
  ];

  const key = await fetch(`${server.issuer}/api/v1/api-keys`, {
    method: 'POST', headers: json, body: JSON.stringify({ name: 'to rotate', scopes: ['admin:api-keys:read'] }),
  });
  const ids = {
    orgId: orgBody.organization?.id ?? 'org', accountId: orgBody.admin?.account?.id ?? 'account',
    keyId: ((await key.json()) as { id?: string }).id ?? 'key',
  };
  endpoints.push(...await adminEndpoints(server, json, ids));

  return {
    endpoints,
    secrets: [...Object.values(SECRETS), COOKIE_KEY, PEPPER, platformKey.slice(-20)],
  };
}

/** Plausible bodies by route, for the generated admin API endpoints to start from. */
const ADMIN_BODIES: Array<[RegExp, Record<string, string>]> = [
  [/^\/api-keys$/, { name: 'fuzz', scopes: 'admin:api-keys:read', expires_in_days: '7' }],
  [/:rotate$/, { overlap_seconds: '60' }],
  [/^\/resource-servers\//, { scope: 'api:read', access_token_format: 'opaque' }],
  [/^\/clients/, { client_name: 'Fuzz', redirect_uris: 'https://fuzz.example/cb', scope: 'openid' }],
  [/^\/service-accounts/, { name: 'Fuzz', scopes: 'api:read' }],
  [/^\/organizations\/\{id\}\/members/, { role: 'member' }],
  [/^\/organizations\/\{id\}\/webhooks/, { url: 'https://hooks.example/fuzz', events: 'account.created' }],
  [/^\/organizations/, { name: 'Fuzz', slug: 'fuzz' }],
  [/^\/accounts/, { email: 'fuzz@example.com', name: 'Fuzz' }],
];

/**
 * Every admin API route that takes a body (from its OpenAPI document, so a new route is
 * fuzzed too), with path parameters filled with objects that exist. Deletes are left
 * out (they would remove the targets), and so is signing-key rotation (slow key generation).
 */
async function adminEndpoints(server: TestServer, headers: Record<string, string>, ids: { orgId: string; accountId: string; keyId: string }) {
  const doc = (await (await fetch(`${server.issuer}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  const fill = (path: string) => path
    .replace(/^\/api-keys\/\{id\}/, `/api-keys/${ids.keyId}`)
    .replace('{identifier}', encodeURIComponent('https://reports.example/api'))
    .replace(/^\/clients\/\{id\}/, '/clients/narrow')
    .replace(/^\/service-accounts\/\{id\}/, '/service-accounts/service')
    .replace(/^\/organizations\/\{id\}/, `/organizations/${ids.orgId}`)
    .replace(/^\/accounts\/\{id\}/, `/accounts/${ids.accountId}`)
    .replace('{accountId}', ids.accountId)
    .replace(/\{\w+\}/g, 'x');
  const out: Endpoint[] = [];
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const method of Object.keys(operations)) {
      if (!['post', 'put', 'patch'].includes(method) || path === '/keys:rotate') continue;
      out.push({
        name: `admin: ${method.toUpperCase()} ${path}`, method: method.toUpperCase() as Endpoint['method'],
        path: `/api/v1${fill(path)}`, kind: 'json', headers, params: ADMIN_BODIES.find(([pattern]) => pattern.test(path))?.[1] ?? {},
      });
    }
  }
  return out;
}

/** Lines of a V8 stack trace, Node internals, or an error's class name leaking through. */
const STACK_TRACE = [/\bat .*\((?:\/|file:|node:)/, /\bat (?:async )?[\w.<>]+ \(/, /\.(?:js|ts|mjs):\d+:\d+/, /node_modules/, /\b[A-Z]\w*Error: /];

/** Why a response body is not fit to send, or undefined when it is. */
export function flawOf(body: string, secrets: readonly string[]): string | undefined {
  const trace = STACK_TRACE.find((pattern) => pattern.test(body));
  if (trace) return `looks like a stack trace (${trace})`;
  const secret = secrets.find((s) => body.includes(s));
  if (secret) return `leaks a secret (${secret.slice(0, 6)}…)`;
  return undefined;
}

/** A refusal a client can parse: JSON with an `error`, or an HTML page. */
export function isParseableError(contentType: string | null, body: string): boolean {
  if (contentType?.startsWith('text/html')) return /<html/i.test(body);
  if (contentType?.startsWith('application/json')) {
    try {
      return typeof (JSON.parse(body) as { error?: unknown }).error === 'string';
    } catch {
      return false;
    }
  }
  return false;
}
