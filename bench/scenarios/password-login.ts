import { argon2AloneSide } from '../lib/argon2-pool.ts';
import { Browser } from '../lib/browser.ts';
import { httpClient } from '../lib/http.ts';
import { runLoop, type Step } from '../lib/loop.ts';
import { ACCOUNT, authorization } from '../lib/oauth.ts';
import type { Scenario, Side, Target } from '../lib/types.ts';

/**
 * A person signs in with a password: argon2id makes each login cost tens of
 * milliseconds of CPU on purpose, so the yardstick is not the baseline but what argon2id
 * verification alone allows on the same cores. The baseline (its scripted login
 * verifies argon2id with the same cost) is shown for information.
 */
export const passwordLogin: Scenario = {
  name: 'password-login',
  what: 'GET /auth → login page → POST the login form (argon2id) → resume /auth (session saved)',
  variants: ['default'],
  targetRatio: 0.9,
  targetText: '≥ 0.9 × argon2id alone',
  async setup(ctx) {
    const gatehouse = await ctx.gatehouse('default');
    return {
      reference: await argon2AloneSide(ACCOUNT.password),
      subject: await loginSide(gatehouse, ctx.window.concurrency),
      extras: [await loginSide(ctx.baseline, ctx.window.concurrency)],
    };
  },
};

async function loginSide(target: Target, chains: number): Promise<Side> {
  const http = httpClient(target.url, chains);
  const login: Step = async () => {
    const browser = new Browser(http, target.url); // a new visitor: no session yet
    const interaction = browser.location(await browser.get(authorization('openid').path));
    if (!interaction?.pathname.startsWith('/interaction/')) throw new Error(`GET /auth did not ask for a login (went to ${interaction?.pathname ?? 'nowhere'})`);
    const page = await browser.get(interaction.pathname);
    const action = /<form[^>]*action="([^"]*\/login)"/.exec(page.text)?.[1];
    const csrf = /name="csrf" value="([^"]*)"/.exec(page.text)?.[1] ?? '';
    if (page.status !== 200 || !action) throw new Error(`no login form (HTTP ${page.status})`);
    const resume = browser.location(await browser.post(action, { csrf, email: ACCOUNT.email, password: ACCOUNT.password }));
    if (!resume?.pathname.startsWith('/auth/')) throw new Error('the login form did not accept the password');
    // Resuming the authorization request is what stores the new session.
    const after = await browser.get(resume.href);
    if (after.status !== 303 && after.status !== 302) throw new Error(`resuming /auth answered HTTP ${after.status}`);
  };
  // Untimed: every chain logs in once, so argon2id's memory and the server's JIT are warm.
  await Promise.all(Array.from({ length: chains }, login));
  return {
    label: target.name, target,
    run: (window) => runLoop(Array.from({ length: chains }, () => login), window),
    close: async () => http.close(),
  };
}
