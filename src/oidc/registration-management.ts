import type { Context } from 'koa';

import { usesSecret } from '../admin/clients/metadata.ts';
import { withNewSecret } from '../admin/clients/secret.ts';
import { badRequest } from '../errors.ts';
import type { StoredClient } from '../stores/client-directory.ts';
import { isSelfRegistered, registrationFieldsOf } from './registration-clients.ts';
import { allowanceFor, bearerToken, clientUri, noStore, unauthorized, type RegistrationDeps } from './registration-http.ts';
import { applyPolicy, checkMetadataUrls, parseMetadata, registrationView, validateForProvider, withoutServerFields } from './registration-policy.ts';

type RouteContext = Context & { params: Record<string, string> };

/** RFC 7592 §2.2: fields an update must not carry. */
const FORBIDDEN_IN_UPDATE = ['registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at'];

/**
 * The client configuration endpoint (RFC 7592): read, replace and delete a registration
 * with its registration access token. An update is checked like a new registration and
 * replaces the metadata whole (§2.2: omitted fields are removed); the secret, the
 * organization and the registration bookkeeping stay. Every update returns a new
 * registration access token and retires the old one (§2.2 allows it).
 */
export function managementHandlers(deps: RegistrationDeps) {
  const { issuer, tokens, directory } = deps;

  /** RFC 7592 §2: the token must be this client's; an unknown client also ends the token (§2.1). */
  async function authorized(ctx: RouteContext): Promise<{ client: StoredClient; token: string }> {
    const token = bearerToken(ctx);
    if (token === undefined) throw unauthorized(ctx, issuer, 'a registration access token is required', Boolean(ctx.get('Authorization')));
    const clientId = await tokens.findRegistrationAccessToken(token);
    if (clientId === undefined || clientId !== ctx.params.clientId) throw unauthorized(ctx, issuer, 'the registration access token is not valid for this client', true);
    const client = await directory.find(clientId);
    if (!isSelfRegistered(client)) {
      await tokens.revokeRegistrationAccessToken(token);
      throw unauthorized(ctx, issuer, 'the registration access token is not valid for this client', true);
    }
    return { client, token };
  }

  const answer = (ctx: Context, client: StoredClient, token: string, secret?: string) => {
    noStore(ctx);
    ctx.body = {
      ...registrationView(client),
      ...(secret !== undefined && { client_secret: secret, client_secret_expires_at: 0 }),
      registration_access_token: token,
      registration_client_uri: clientUri(issuer, client.client_id),
    };
  };

  return {
    async read(ctx: RouteContext) {
      const { client, token } = await authorized(ctx);
      answer(ctx, client, token);
    },

    async update(ctx: RouteContext) {
      const { client: stored, token } = await authorized(ctx);
      const body = ctx.request.json;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the request body must be a JSON object');
      const input = body as Record<string, unknown>;
      const forbidden = FORBIDDEN_IN_UPDATE.find((name) => input[name] !== undefined);
      if (forbidden !== undefined) throw badRequest(`the request must not include ${forbidden} (RFC 7592 §2.2)`);
      if (input.client_id !== stored.client_id) throw badRequest('client_id must be the registered client_id (RFC 7592 §2.2)');
      // §2.2: a client_secret sent along must be the one issued; only its keyed hash is here to check it by.
      if (input.client_secret !== undefined
        && !(typeof input.client_secret === 'string' && typeof stored.client_secret === 'string' && deps.secrets.verify(stored.client_secret, input.client_secret))) {
        throw badRequest('client_secret does not match the issued one');
      }
      const via = stored.registration_via === 'initial_access_token' ? 'initial_access_token' : 'open';
      const fields = applyPolicy(parseMetadata(withoutServerFields(input)), allowanceFor(deps.config, via));
      let next: StoredClient = {
        ...fields, client_id: stored.client_id, ...(typeof stored.org_id === 'string' && { org_id: stored.org_id }), ...registrationFieldsOf(stored),
      };
      let secret: string | undefined;
      if (usesSecret(next.token_endpoint_auth_method)) {
        // Keep the issued secret; a client that had none (it was public) gets one now, shown once.
        if (typeof stored.client_secret === 'string') {
          next.client_secret = stored.client_secret;
          if (stored.client_secret_previous !== undefined) next.client_secret_previous = stored.client_secret_previous;
        } else ({ client: next, secret } = withNewSecret(next, deps.secrets));
      }
      await validateForProvider(deps.provider, next);
      await checkMetadataUrls(next, deps.urlGuard, deps.resolve);
      await directory.save(next);
      const rotated = await tokens.issueRegistrationAccessToken(stored.client_id);
      await tokens.revokeRegistrationAccessToken(token);
      answer(ctx, next, rotated, secret);
      deps.audit.record({
        type: 'client.registration_updated', actor: `client:${stored.client_id}`, clientId: stored.client_id, ip: ctx.ip,
        orgId: typeof stored.org_id === 'string' ? stored.org_id : undefined, target: `client:${stored.client_id}`,
        details: { before: registrationView(stored), after: registrationView(next), secret_issued: secret !== undefined },
      });
    },

    async remove(ctx: RouteContext) {
      const { client, token } = await authorized(ctx);
      // Through the directory: the client's tokens are revoked with it.
      await directory.remove(client.client_id);
      await tokens.revokeRegistrationAccessToken(token);
      noStore(ctx);
      ctx.status = 204;
      deps.audit.record({
        type: 'client.registration_deleted', actor: `client:${client.client_id}`, clientId: client.client_id, ip: ctx.ip,
        orgId: typeof client.org_id === 'string' ? client.org_id : undefined, target: `client:${client.client_id}`, reason: 'client_request',
      });
    },
  };
}
