import { randomBytes } from 'node:crypto';

import type { AuditEventType } from '../audit/events.ts';
import { pageInMemory, type Page, type PageQuery } from './paging.ts';

/**
 * An organization's webhook: where its audit events are POSTed. The signing secret is
 * not stored: it is derived from the server's pepper and `salt` (audit/webhook-secret.ts),
 * so a copy of the database alone cannot forge deliveries.
 */
export interface Webhook {
  id: string;
  orgId: string;
  url: string;
  /** Event types sent; empty: every type. */
  events: AuditEventType[];
  salt: string;
  createdAt: Date;
}

export interface WebhookStore {
  insert(hook: Webhook): Promise<void>;
  findById(id: string): Promise<Webhook | undefined>;
  /** One organization's webhooks, newest first, keyset-paged. */
  list(orgId: string, query: PageQuery): Promise<Page<Webhook>>;
  /** Every webhook of an organization (at most a few: the route limits them), for delivery. */
  allOf(orgId: string): Promise<Webhook[]>;
  /** True only if this call deleted it. */
  delete(id: string): Promise<boolean>;
  ping(): Promise<void>;
  prepare(): Promise<void>;
}

export const newWebhookId = () => `wh_${randomBytes(12).toString('base64url')}`;

const copy = (h: Webhook): Webhook => ({ ...h, events: [...h.events], createdAt: new Date(h.createdAt) });

export function createMemoryWebhookStore(): WebhookStore {
  const byId = new Map<string, Webhook>();
  const ofOrg = (orgId: string) => [...byId.values()].filter((h) => h.orgId === orgId);
  return {
    async insert(hook) {
      byId.set(hook.id, copy(hook));
    },
    async findById(id) {
      const h = byId.get(id);
      return h && copy(h);
    },
    async list(orgId, q) {
      return pageInMemory(ofOrg(orgId), (h) => h, q, copy);
    },
    async allOf(orgId) {
      return ofOrg(orgId).map(copy);
    },
    async delete(id) {
      return byId.delete(id);
    },
    async ping() {},
    async prepare() {},
  };
}
