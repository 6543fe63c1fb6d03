import { performance } from 'node:perf_hooks';

import { Browser } from '../lib/browser.ts';
import { httpClient, json } from '../lib/http.ts';
import { runLoop, type Step } from '../lib/loop.ts';
import { authorization, authorize, OPS_PER_GRANT, redeem, revoke, tokenRequest, WEB, type TokenResponse } from '../lib/oauth.ts';
import type { Scenario, Side, Target } from '../lib/types.ts';

/**
 * Refresh-token rotation (RFC 9700 §4.14.2): each chain presents the refresh token the
 * previous rotation returned, so requests cannot be replayed by autocannon. N chains run
 * side by side, each one person with their own session and grant.
 */
export const refresh: Scenario = {
  name: 'refresh',
  what: 'POST /token refresh_token with rotation (each request uses the token the previous one returned)',
  variants: ['default'],
  targetRatio: undefined,
  targetText: 'report',
  async setup(ctx) {
    const gatehouse = await ctx.gatehouse('default');
    return {
      reference: await refreshSide(ctx.baseline, ctx.window.concurrency),
      subject: await refreshSide(gatehouse, ctx.window.concurrency),
    };
  },
};

async function refreshSide(target: Target, chains: number): Promise<Side> {
  const http = httpClient(target.url, chains);
  const steps = await Promise.all(Array.from({ length: chains }, () => refreshChain(target, http)));
  return { label: target.name, target, run: (window) => runLoop(steps, window), close: async () => http.close() };
}

async function refreshChain(target: Target, http: ReturnType<typeof httpClient>): Promise<Step> {
  const browser = new Browser(http, target.url);
  // offline_access is only honoured with prompt=consent (OIDC Core §11); the first
  // authorization also logs in (untimed, at set-up).
  const obtain = async () => {
    const { path, verifier } = authorization('openid offline_access', { prompt: 'consent' });
    const tokens = await redeem(http, await authorize(browser, path), verifier);
    if (!tokens.refresh_token) throw new Error(`${target.name}: no refresh token for offline_access`);
    return tokens.refresh_token;
  };
  let token: string | undefined = await obtain();
  let rotations = 0;
  return async () => {
    let untimedMs = 0;
    if (token === undefined || rotations >= OPS_PER_GRANT) {
      // A new grant (see OPS_PER_GRANT), or a chain broken by a failure whose token may
      // already be spent: reusing that would revoke the grant, so start over.
      const t0 = performance.now();
      if (token !== undefined) await revoke(http, token);
      token = await obtain();
      rotations = 0;
      untimedMs = performance.now() - t0;
    }
    const presented = token;
    token = undefined;
    const res = await tokenRequest(http, WEB.auth, { grant_type: 'refresh_token', refresh_token: presented });
    const next = json<TokenResponse>(res, 'refresh').refresh_token;
    if (!next || next === presented) throw new Error('refresh did not rotate the refresh token');
    token = next;
    rotations += 1;
    return untimedMs;
  };
}
