import { httpClient } from '../lib/http.ts';
import { clientCredentials } from '../lib/oauth.ts';
import type { Scenario, Target } from '../lib/types.ts';
import { clientCredentialsSide } from './sides.ts';

/** The service-to-service hot path: one client-credentials token per request. */
export const ccOpaque: Scenario = {
  name: 'cc-opaque',
  what: 'POST /token client_credentials (client_secret_basic) → opaque access token',
  variants: ['default'],
  targetRatio: 0.9,
  latencyAtHalfPeak: true,
  targetText: '≥ 0.9 × baseline',
  async setup(ctx) {
    const gatehouse = await ctx.gatehouse('default');
    await Promise.all([sanityCheck(ctx.baseline), sanityCheck(gatehouse)]);
    return { reference: clientCredentialsSide(ctx.baseline), subject: clientCredentialsSide(gatehouse) };
  },
};

/** One request before the load: a broken server must fail loudly, not measure as "fast". */
export async function sanityCheck(target: Target, params: Record<string, string> = {}): Promise<void> {
  const http = httpClient(target.url, 1);
  try {
    await clientCredentials(http, params);
  } finally {
    http.close();
  }
}
