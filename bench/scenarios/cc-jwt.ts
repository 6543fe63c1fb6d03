import { httpClient } from '../lib/http.ts';
import { JWT_RESOURCE, SERVICE, tokenRequest } from '../lib/oauth.ts';
import type { Scenario, Target } from '../lib/types.ts';
import { clientCredentialsSide, isJwt } from './sides.ts';

const PARAMS = { resource: JWT_RESOURCE };

/**
 * Client credentials for a resource server registered with JWT access tokens (RFC 9068,
 * ES256): Gatehouse started with bench/fixtures/seed-jwt.json, only when this runs.
 */
export const ccJwt: Scenario = {
  name: 'cc-jwt',
  what: `POST /token client_credentials resource=${JWT_RESOURCE} → JWT access token (ES256)`,
  variants: ['jwt'],
  targetRatio: 0.9,
  latencyAtHalfPeak: true,
  targetText: '≥ 0.9 × baseline',
  async available(ctx) {
    return jwtProblem(await ctx.gatehouse('jwt'));
  },
  async setup(ctx) {
    const problem = await jwtProblem(ctx.baseline);
    if (problem) throw new Error(`baseline: ${problem}`);
    return { reference: clientCredentialsSide(ctx.baseline, PARAMS), subject: clientCredentialsSide(await ctx.gatehouse('jwt'), PARAMS) };
  },
};

/** Gets one JWT access token; undefined when that works, else what went wrong. */
export async function jwtProblem(target: Target): Promise<string | undefined> {
  const token = await jwtAccessToken(target);
  return typeof token === 'string' ? undefined : token.problem;
}

export async function jwtAccessToken(target: Target): Promise<string | { problem: string }> {
  const http = httpClient(target.url, 1);
  try {
    const res = await tokenRequest(http, SERVICE.auth, { grant_type: 'client_credentials', scope: 'api:read', ...PARAMS });
    if (res.status !== 200) return { problem: `client credentials with resource=${JWT_RESOURCE} answered HTTP ${res.status} ${res.text.slice(0, 160)}` };
    const token = (JSON.parse(res.text) as { access_token: string }).access_token;
    return isJwt(token) ? token : { problem: `client credentials with resource=${JWT_RESOURCE} gave an access token that is not a JWT` };
  } finally {
    http.close();
  }
}
