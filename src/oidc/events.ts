import type Provider from 'oidc-provider';

import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';

/**
 * Turns node-oidc-provider's events into metrics and log lines: tokens issued, client
 * authentication failures (every `*.error` whose error is invalid_client), grants
 * revoked, and server errors (logged with the request id; the client sees server_error).
 */
export function observeProviderEvents(provider: Provider, options: { logger: Logger; metrics: Metrics }): void {
  const { logger, metrics } = options;
  provider.on('grant.success', (ctx) => {
    metrics.tokensIssued.inc({ grant_type: String(ctx.oidc.params?.grant_type), client_id: ctx.oidc.client?.clientId ?? 'unknown' });
  });
  provider.on('grant.revoked', () => metrics.revocations.inc({ source: 'grant' }));
  provider.on('server_error', (ctx, err) => {
    logger.error({ err, req_id: ctx.state.requestId, route: ctx.oidc?.route }, 'oidc server error');
  });
  const countClientFailure = (_ctx: unknown, err: { error?: string }) => {
    if (err.error === 'invalid_client') metrics.authenticationFailures.inc({ reason: 'invalid_client' });
  };
  provider.on('grant.error', countClientFailure);
  provider.on('introspection.error', countClientFailure);
  provider.on('revocation.error', countClientFailure);
}
