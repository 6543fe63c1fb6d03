import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

import type { AuditEventInput, AuditSink } from '../audit/events.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';

/**
 * Turns node-oidc-provider's events into metrics, log lines and audit events: tokens
 * issued, client authentication failures (every `*.error` whose error is invalid_client),
 * grants revoked, code and refresh token reuse, token revocation, logout, and server
 * errors (logged with the request id; the client sees server_error).
 *
 * Audit events never carry a token: for opaque tokens node-oidc-provider's jti *is* the
 * token, so only grant ids, client ids, subjects and scopes are recorded.
 */
export function observeProviderEvents(provider: Provider, options: { logger: Logger; metrics: Metrics; audit?: AuditSink }): void {
  const { logger, metrics, audit } = options;
  // A listener that throws would throw inside the provider's request: building an event
  // must never fail what caused it.
  const record = (build: () => AuditEventInput | undefined) => {
    if (!audit) return;
    try {
      const event = build();
      if (event) audit.record(event);
    } catch (err) {
      logger.warn({ err }, 'building an audit event failed');
    }
  };
  provider.on('grant.success', (ctx) => {
    metrics.tokensIssued.inc({ grant_type: String(ctx.oidc.params?.grant_type), client_id: ctx.oidc.client?.clientId ?? 'unknown' });
    record(() => tokenIssued(ctx));
  });
  provider.on('grant.revoked', (ctx, grantId) => {
    metrics.revocations.inc({ source: 'grant' });
    record(() => grantRevoked(ctx, grantId));
  });
  provider.on('server_error', (ctx, err) => {
    logger.error({ err, req_id: ctx.state.requestId, route: ctx.oidc?.route }, 'oidc server error');
  });
  const countClientFailure = (_ctx: unknown, err: { error?: string }) => {
    if (err.error === 'invalid_client') metrics.authenticationFailures.inc({ reason: 'invalid_client' });
  };
  provider.on('grant.error', countClientFailure);
  provider.on('introspection.error', countClientFailure);
  provider.on('revocation.error', countClientFailure);
  if (!audit) return;

  // RFC 7009 revocation: the model events carry the token; the request is the current
  // one (Provider.ctx, node-oidc-provider's AsyncLocalStorage). A refresh token is also
  // destroyed at the token endpoint when it is reused; that is recorded as reuse
  // (grant.revoked above) instead.
  const revoked = (tokenType: string) => (token: { clientId?: string | undefined; accountId?: string | undefined; grantId?: string | undefined }) => record(() => {
    const ctx = Provider.ctx;
    if (ctx?.oidc?.route !== 'revocation') return undefined;
    return {
      type: 'token.revoked', actor: ctx.oidc.client?.clientId, subject: token.accountId, clientId: token.clientId,
      orgId: orgOf(ctx), ip: ctx.ip, target: token.grantId ? `grant:${token.grantId}` : undefined, details: { token_type: tokenType },
    };
  });
  provider.on('access_token.destroyed', revoked('access_token'));
  provider.on('refresh_token.destroyed', revoked('refresh_token'));
  provider.on('client_credentials.destroyed', revoked('client_credentials'));

  provider.on('end_session.success', (ctx) => record(() => ({
    type: 'session.ended', actor: ctx.oidc.session?.accountId, subject: ctx.oidc.session?.accountId,
    clientId: ctx.oidc.client?.clientId ?? ctx.oidc.entities.Client?.clientId, orgId: orgOf(ctx), ip: ctx.ip,
  })));
}

function orgOf(ctx: KoaContextWithOIDC): string | undefined {
  const org = (ctx.oidc.client ?? ctx.oidc.entities.Client)?.['org_id'];
  return typeof org === 'string' ? org : undefined;
}

function tokenIssued(ctx: KoaContextWithOIDC) {
  const { entities, params, client } = ctx.oidc;
  const token = entities.AccessToken ?? entities.ClientCredentials;
  const subject = entities.AccessToken?.accountId ?? entities.Account?.accountId;
  const grantType = String(params?.grant_type);
  return {
    type: 'token.issued' as const,
    actor: client?.clientId, subject, clientId: client?.clientId, orgId: orgOf(ctx), ip: ctx.ip,
    target: entities.AccessToken?.grantId ? `grant:${entities.AccessToken.grantId}` : undefined,
    details: {
      grant_type: grantType,
      scopes: token?.scope ? token.scope.split(' ') : [],
      ...(token && 'aud' in token && token.aud !== undefined && { audience: token.aud }),
      refresh_token_issued: Boolean(entities.RefreshToken && (grantType !== 'refresh_token' || entities.RotatedRefreshToken)),
      // What a grant handler of Gatehouse's own adds (token exchange: oidc/token-exchange.ts).
      ...(ctx.state.auditDetails as Record<string, unknown> | undefined),
    },
  };
}

/**
 * Where the revocation happened says why: at the token endpoint only reuse of a code or
 * refresh token revokes a grant (RFC 6749 §4.1.2, RFC 9700 §4.14.2; also the consume race
 * in adapter-guard.ts), at the revocation endpoint a revoked refresh token takes its grant
 * with it, and logout ends the grants of the clients it logs out of.
 */
function grantRevoked(ctx: KoaContextWithOIDC, grantId: string) {
  const route = ctx.oidc?.route;
  const grantType = ctx.oidc?.params?.grant_type;
  const base = {
    actor: ctx.oidc?.client?.clientId, clientId: ctx.oidc?.client?.clientId, orgId: ctx.oidc ? orgOf(ctx) : undefined,
    subject: ctx.oidc?.entities.Account?.accountId ?? ctx.oidc?.entities.RefreshToken?.accountId ?? ctx.oidc?.session?.accountId,
    ip: ctx.ip, target: `grant:${grantId}`,
  };
  if (route === 'token') {
    const type = grantType === 'refresh_token' ? 'refresh_token.reused' as const
      : grantType === 'authorization_code' ? 'authorization_code.reused' as const : 'grant.revoked' as const;
    return { ...base, type, reason: 'reuse_detected', details: { grant_type: String(grantType) } };
  }
  const reason = route === 'revocation' ? 'token_revoked' : route?.startsWith('end_session') ? 'logout' : String(route ?? 'unknown');
  return { ...base, type: 'grant.revoked' as const, reason };
}
