import type { Scenario } from '../lib/types.ts';
import { activeOpaqueToken, baselineOpaqueIntrospection, introspectionSide } from './sides.ts';

/** A resource server checking an opaque client-credentials token (RFC 7662). */
export const introspectOpaque: Scenario = {
  name: 'introspect-opaque',
  what: 'POST /token/introspection of an opaque access token (resource server, client_secret_basic)',
  variants: ['default'],
  targetRatio: 0.9,
  latencyAtHalfPeak: true,
  targetText: '≥ 0.9 × baseline opaque introspection',
  async setup(ctx) {
    const gatehouse = await ctx.gatehouse('default');
    return {
      reference: await baselineOpaqueIntrospection(ctx.baseline),
      subject: introspectionSide(gatehouse, await activeOpaqueToken(gatehouse)),
    };
  },
};
