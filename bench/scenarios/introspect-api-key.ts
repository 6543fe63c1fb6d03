import { httpClient, type HttpClient } from '../lib/http.ts';
import { ADMIN, introspect, tokenRequest } from '../lib/oauth.ts';
import type { Scenario, Target } from '../lib/types.ts';
import { baselineOpaqueIntrospection, introspectionSide } from './sides.ts';

/**
 * Introspection of a Gatehouse API key (`gh_<env>_<id>_<secret>_<crc>`): a checksum, one
 * store lookup and one HMAC (src/security/api-key-*.ts). The baseline has no API keys, so
 * the yardstick is its opaque introspection.
 */
export const introspectApiKey: Scenario = {
  name: 'introspect-api-key',
  what: 'POST /token/introspection of an API key',
  variants: ['default'],
  targetRatio: 0.9,
  latencyAtHalfPeak: true,
  targetText: '≥ 0.9 × baseline opaque introspection',
  async available(ctx) {
    const key = await apiKeyFor(await ctx.gatehouse('default'));
    return typeof key === 'string' ? undefined : key.problem;
  },
  async setup(ctx) {
    const gatehouse = await ctx.gatehouse('default');
    const key = await apiKeyFor(gatehouse);
    if (typeof key !== 'string') throw new Error(key.problem);
    return { reference: await baselineOpaqueIntrospection(ctx.baseline), subject: introspectionSide(gatehouse, key) };
  },
};

/** An API key that introspects as active, or why there is none. */
async function apiKeyFor(target: Target): Promise<string | { problem: string }> {
  const http = httpClient(target.url, 1);
  try {
    const key = await issueApiKey(http, target.url);
    if (typeof key !== 'string') return key;
    const answer = await introspect(http, key).catch((err: Error) => ({ active: false, error: err.message }));
    return answer.active ? key : { problem: `introspection of a new API key did not answer active: true (${JSON.stringify(answer).slice(0, 160)})` };
  } finally {
    http.close();
  }
}

/**
 * How the bench gets a key, as an operator would: a service account (bench-admin) takes a
 * client-credentials token for the admin API's resource (`<issuer>/api/v1`, RFC 8707)
 * and creates a key with `POST /api/v1/api-keys`, which shows the key once.
 */
async function issueApiKey(http: HttpClient, issuer: string): Promise<string | { problem: string }> {
  const tokenRes = await tokenRequest(http, ADMIN.auth, {
    grant_type: 'client_credentials', resource: `${issuer}/api/v1`, scope: 'admin:api-keys:read admin:api-keys:write',
  });
  if (tokenRes.status !== 200) return { problem: `an admin API token for bench-admin was refused: HTTP ${tokenRes.status} ${tokenRes.text.slice(0, 160)}` };
  const { access_token: token } = JSON.parse(tokenRes.text) as { access_token: string };
  const res = await http.send('POST', '/api/v1/api-keys', {
    authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json',
  }, JSON.stringify({ name: 'bench', scopes: ['admin:api-keys:read'] }));
  if (res.status !== 201 && res.status !== 200) return { problem: `POST /api/v1/api-keys answered HTTP ${res.status} ${res.text.slice(0, 160)}` };
  const { key } = JSON.parse(res.text) as { key?: string };
  return key ? key : { problem: 'POST /api/v1/api-keys answered without a key' };
}
