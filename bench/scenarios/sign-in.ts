import { performance } from 'node:perf_hooks';

import { Browser } from '../lib/browser.ts';
import { httpClient, type HttpClient } from '../lib/http.ts';
import { runLoop, type Step } from '../lib/loop.ts';
import { authorization, authorize, OPS_PER_GRANT, redeem, revoke, WEB } from '../lib/oauth.ts';
import type { Scenario, Side, Target } from '../lib/types.ts';

const SCOPE = 'openid profile email';

/**
 * A returning user in an app: a session exists and consent was given, so one sign-in is
 * GET /auth → 303 to the redirect URI with a code → POST /token (code + PKCE verifier)
 * → ID token. Flows per second; each chain is one user with their own session.
 */
export const signIn: Scenario = {
  name: 'sign-in',
  what: 'GET /auth (session + consent exist) → 303 with code → POST /token (PKCE) → ID token',
  variants: ['default'],
  targetRatio: 0.8,
  targetText: '≥ 0.8 × baseline',
  async setup(ctx) {
    const gatehouse = await ctx.gatehouse('default');
    return {
      reference: await signInSide(ctx.baseline, ctx.window.concurrency),
      subject: await signInSide(gatehouse, ctx.window.concurrency),
    };
  },
};

async function signInSide(target: Target, chains: number): Promise<Side> {
  const http = httpClient(target.url, chains);
  const flows = await Promise.all(Array.from({ length: chains }, () => signInChain(target, http)));
  return { label: target.name, target, run: (window) => runLoop(flows, window), close: async () => http.close() };
}

async function signInChain(target: Target, http: HttpClient): Promise<Step> {
  const browser = new Browser(http, target.url);
  // Untimed: log in and consent (authorize() fills in whatever page comes up).
  const consent = async () => {
    const first = authorization(SCOPE);
    await redeem(http, await authorize(browser, first.path), first.verifier);
  };
  // Replacing the grant (see OPS_PER_GRANT): only revoking a refresh token ends a grant
  // (RFC 7009 §2.1), so get one, revoke it, and consent again.
  const newGrant = async () => {
    const { path, verifier } = authorization('openid offline_access', { prompt: 'consent' });
    const { refresh_token: rt } = await redeem(http, await authorize(browser, path), verifier);
    if (rt) await revoke(http, rt);
    await consent();
  };
  await consent();
  let flows = 0;
  const flow: Step = async () => {
    let untimedMs = 0;
    if (flows >= OPS_PER_GRANT) {
      const t0 = performance.now();
      await newGrant();
      flows = 0;
      untimedMs = performance.now() - t0;
    }
    const { path, verifier } = authorization(SCOPE);
    const back = browser.location(await browser.get(path));
    const code = back?.href.startsWith(WEB.redirectUri) ? back.searchParams.get('code') : null;
    if (!code) throw new Error(`GET /auth did not redirect to the client with a code (went to ${back?.pathname ?? 'nowhere'})`);
    const tokens = await redeem(http, code, verifier);
    if (!tokens.id_token) throw new Error('no ID token');
    flows += 1;
    return untimedMs;
  };
  await flow();
  return flow;
}
