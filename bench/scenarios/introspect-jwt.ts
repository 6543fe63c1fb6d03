import { httpClient } from '../lib/http.ts';
import { introspect } from '../lib/oauth.ts';
import type { Scenario } from '../lib/types.ts';
import { jwtAccessToken } from './cc-jwt.ts';
import { baselineOpaqueIntrospection, introspectionSide } from './sides.ts';

/**
 * Introspection of a JWT access token. node-oidc-provider refuses to introspect
 * structured tokens, so this needs Gatehouse's own support (the jti deny-list that makes
 * revocation reach JWTs); the yardstick is the baseline's *opaque* introspection.
 */
export const introspectJwt: Scenario = {
  name: 'introspect-jwt',
  what: 'POST /token/introspection of a JWT access token',
  variants: ['jwt'],
  targetRatio: 0.9,
  latencyAtHalfPeak: true,
  targetText: '≥ 0.9 × baseline opaque introspection',
  async available(ctx) {
    const gatehouse = await ctx.gatehouse('jwt');
    const token = await jwtAccessToken(gatehouse);
    if (typeof token !== 'string') return token.problem;
    const http = httpClient(gatehouse.url, 1);
    try {
      const answer = await introspect(http, token);
      return answer.active ? undefined : 'introspection of a fresh JWT access token answered active: false';
    } catch (err) {
      return `introspection of a JWT access token failed: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      http.close();
    }
  },
  async setup(ctx) {
    const gatehouse = await ctx.gatehouse('jwt');
    const token = await jwtAccessToken(gatehouse);
    if (typeof token !== 'string') throw new Error(token.problem);
    return { reference: await baselineOpaqueIntrospection(ctx.baseline), subject: introspectionSide(gatehouse, token) };
  },
};
