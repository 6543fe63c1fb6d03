import { randomBytes } from 'node:crypto';

import * as z from 'zod';

import { AUDIT_EVENT_TYPES } from '../../audit/events.ts';
import { GatehouseError, notFound } from '../../errors.ts';
import { SsrfRefusedError } from '../../security/ssrf.ts';
import { newWebhookId, type Webhook, type WebhookStore } from '../../stores/audit-webhooks.ts';
import type { OrganizationStore } from '../../stores/organizations.ts';
import { invalid } from '../clients/checks.ts';
import { isPlatform, type Principal } from '../principal.ts';
import { route } from '../route.ts';
import { adminScope } from '../scopes.ts';
import { pageQuery } from './tenancy.ts';

export interface WebhookRouteDeps {
  store: WebhookStore;
  organizations: Pick<OrganizationStore, 'findById'>;
  /** The signing secret of a webhook (audit/webhook-signature.ts). */
  secretOf(hook: Webhook): string;
  /** Throws SsrfRefusedError when the URL's host is not an allowed destination (security/ssrf.ts). */
  checkDestination(url: URL): Promise<void>;
  /** Production: only https targets. */
  requireHttps: boolean;
}

const MAX_PER_ORG = 10;

const webhookJson = z.object({
  id: z.string(), org_id: z.string(), url: z.string(),
  events: z.array(z.enum(AUDIT_EVENT_TYPES)).describe('the event types sent; empty: all of them'),
  created_at: z.string(),
});
const withSecret = webhookJson.extend({
  secret: z.string().describe('the signing secret (HMAC-SHA-256, X-Gatehouse-Signature): shown in this response only, never again'),
});
const createBody = z.strictObject({
  url: z.string().min(1).max(2048),
  events: z.array(z.enum(AUDIT_EVENT_TYPES)).max(AUDIT_EVENT_TYPES.length).optional(),
});

const toJson = (h: Webhook) => ({ id: h.id, org_id: h.orgId, url: h.url, events: h.events, created_at: h.createdAt.toISOString() });

/**
 * An organization's webhooks: its audit events are POSTed to them as signed JSON
 * (README "Audit log and webhooks"). A target must be a public http(s) address; the
 * same check runs again at every delivery, since DNS can change in between.
 */
export function webhookRoutes(deps: WebhookRouteDeps) {
  const read = adminScope('webhooks', 'read');
  const write = adminScope('webhooks', 'write');

  async function visibleOrg(principal: Principal, orgId: string) {
    const org = isPlatform(principal) || principal.orgId === orgId ? await deps.organizations.findById(orgId) : undefined;
    if (!org) throw notFound('no organization with this id');
    return org;
  }

  async function checkTarget(raw: string): Promise<URL> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw invalid('url', 'must be an absolute URL');
    }
    const schemes = deps.requireHttps ? ['https:'] : ['https:', 'http:'];
    if (!schemes.includes(url.protocol)) throw invalid('url', `must use ${schemes.join(' or ')}`);
    if (url.username || url.password) throw invalid('url', 'must not contain credentials');
    try {
      await deps.checkDestination(url);
    } catch (err) {
      if (err instanceof SsrfRefusedError) throw invalid('url', `${err.host} is not an allowed destination (${err.reason})`);
      throw err;
    }
    return url;
  }

  return [
    route({
      method: 'post', path: '/organizations/{id}/webhooks', operationId: 'createWebhook', tag: 'webhooks', scope: write, body: createBody,
      summary: "Register a webhook for the organization's audit events; the signing secret is in this response only",
      responses: { 201: { description: 'registered', schema: withSecret }, 404: { description: 'no such organization' }, 409: { description: 'the organization has the most webhooks it may have' } },
      async handle({ params, body, principal }) {
        const org = await visibleOrg(principal, params.id!);
        const url = await checkTarget(body.url);
        if ((await deps.store.allOf(org.id)).length >= MAX_PER_ORG) {
          throw new GatehouseError(409, 'conflict', `an organization may have at most ${MAX_PER_ORG} webhooks`);
        }
        const hook: Webhook = {
          id: newWebhookId(), orgId: org.id, url: url.href, events: [...new Set(body.events ?? [])],
          salt: randomBytes(32).toString('base64url'), createdAt: new Date(),
        };
        await deps.store.insert(hook);
        return { status: 201, body: { ...toJson(hook), secret: deps.secretOf(hook) }, audit: { orgId: org.id } };
      },
    }),
    route({
      method: 'get', path: '/organizations/{id}/webhooks', operationId: 'listWebhooks', tag: 'webhooks', scope: read,
      query: z.strictObject(pageQuery),
      summary: "The organization's webhooks (newest first, cursor-paged; never their secrets)",
      responses: { 200: { description: 'a page', schema: z.object({ items: z.array(webhookJson), next_cursor: z.string().optional() }) }, 404: { description: 'no such organization' } },
      async handle({ params, query, principal }) {
        const org = await visibleOrg(principal, params.id!);
        const page = await deps.store.list(org.id, { limit: query.limit, cursor: query.cursor });
        return { body: { items: page.items.map(toJson), ...(page.nextCursor && { next_cursor: page.nextCursor }) } };
      },
    }),
    route({
      method: 'delete', path: '/organizations/{id}/webhooks/{webhookId}', operationId: 'deleteWebhook', tag: 'webhooks', scope: write,
      summary: 'Delete a webhook: nothing more is sent to it (retries already waiting are dropped at their next attempt)',
      responses: { 204: { description: 'deleted' }, 404: { description: 'no such organization or webhook' } },
      async handle({ params, principal }) {
        const org = await visibleOrg(principal, params.id!);
        const hook = await deps.store.findById(params.webhookId!);
        if (!hook || hook.orgId !== org.id) throw notFound('no webhook with this id');
        await deps.store.delete(hook.id);
        return { status: 204, audit: { orgId: org.id, before: toJson(hook) } };
      },
    }),
  ];
}
