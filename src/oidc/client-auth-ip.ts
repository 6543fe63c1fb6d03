import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';

import type { AuditSink } from '../audit/events.ts';
import { createAllowListCache } from '../security/ip-allow-list.ts';

/**
 * The endpoints where a client authenticates itself from its own servers (back channel).
 * Not /auth or /session/end: there the request comes from a person's browser, whose
 * address says nothing about the client.
 */
const BACK_CHANNEL = new Set([
  'token', 'introspection', 'revocation', 'pushed_authorization_request', 'device_authorization', 'backchannel_authentication',
]);

/**
 * `access_denied` with 403. RFC 6749 §5.2 has no code for "not from this address":
 * `invalid_client` (401) would tell the client its credentials are wrong and invite it
 * to retry them, and `unauthorized_client` is about grant types. `access_denied` is the
 * registered OAuth code (§4.1.2.1, §11.4) for "the authorization server denied the
 * request", and 403 is HTTP's "understood, and refused" (RFC 9110 §15.5.4).
 */
export function addressRefused(description: string): errors.AccessDenied {
  const err = new errors.AccessDenied(description);
  Object.assign(err, { status: 403, statusCode: 403 });
  return err;
}

type ContextWithHook = { route: string; ctx: Context; entity(key: string, value: unknown): void };

/**
 * Enforces a client's `ip_allow_list` (CIDR ranges) wherever it authenticates: token,
 * introspection and revocation. node-oidc-provider has no hook between "which client is
 * this" and "check its credentials"; every client authentication method ends that first
 * step by assigning the client to the request context (`ctx.oidc.entity('Client', ...)`,
 * lib/shared/client_auth.js), so that one method of the provider's own OIDCContext class
 * is wrapped here. The check runs before the credentials are: a refused address cannot
 * even try a secret.
 *
 * Hot path: a client without a list pays one property read. Lists are parsed once and
 * kept (createAllowListCache); a list that no longer parses refuses every address.
 */
export function enforceClientIpAllowLists(provider: Provider, options: { audit: AuditSink }): void {
  const allowList = createAllowListCache();
  const proto = provider.OIDCContext.prototype as unknown as ContextWithHook;
  const assign = proto.entity;
  proto.entity = function assignClientCheckingAddress(this: ContextWithHook, key: string, value: unknown) {
    assign.call(this, key, value);
    if (key !== 'Client' || !BACK_CHANNEL.has(this.route)) return;
    const client = value as { clientId: string; ip_allow_list?: unknown; org_id?: unknown };
    const list = client.ip_allow_list;
    if (!Array.isArray(list) || list.length === 0) return;
    const { ip } = this.ctx;
    if (allowList(list as string[]).allows(ip)) return;
    options.audit.record({
      type: 'ip.refused', actor: client.clientId, clientId: client.clientId, ip, reason: 'ip_not_allowed',
      orgId: typeof client.org_id === 'string' ? client.org_id : undefined, target: `client:${client.clientId}`,
      details: { endpoint: this.route },
    });
    throw addressRefused('requests from this address are not allowed for this client');
  };
}
