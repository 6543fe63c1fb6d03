import type Router from '@koa/router';
import type Provider from 'oidc-provider';

import type { AppDeps } from '../app.ts';
import type { Render } from '../interactions/views.ts';
import { attemptLogin } from '../security/credentials.ts';
import type { TenancyResolver } from '../security/tenancy.ts';
import { accountRouter } from './router.ts';

export { ACCOUNT_CLIENT_ID, accountClient } from './client.ts';

/** The account pages, wired from the application's dependencies (called by app.ts). */
export function accountPages(deps: AppDeps, built: { provider: Provider; render: Render; tenancy: TenancyResolver }): Router {
  const { config } = deps;
  const throttled = {
    authenticate: deps.accounts.authenticate, throttle: deps.rateLimiting.logins,
    onThrottleError: (err: unknown) => deps.rateLimiting.reportFailure('logins', err),
  };
  return accountRouter({
    ...built,
    issuer: config.issuer,
    csrfKey: config.cookieKeys[0]!,
    accounts: deps.tenancy.accounts,
    async checkPassword(email, password, ip) {
      const outcome = await attemptLogin(throttled, email, password, ip);
      if (!outcome.ok) deps.metrics.authenticationFailures.inc({ reason: outcome.reason === 'locked' ? 'locked' : 'invalid_credentials' });
      return outcome.ok ? 'ok' : outcome.reason === 'locked' ? 'locked' : 'wrong';
    },
    hashPassword: (password) => deps.passwords.hash(password),
    access: deps.grants.access,
    adapter: deps.adapter,
    revokeGrant: deps.grants.revokeGrant,
    apiKeys: deps.apiKeys,
    apiKeyStore: deps.apiKeyStore,
    apiKeyMaxDays: config.apiKeys.maxExpiresInDays,
    audit: deps.audit,
  });
}
