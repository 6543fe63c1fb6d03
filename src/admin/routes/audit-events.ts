import * as z from 'zod';

import { AUDIT_EVENT_TYPES } from '../../audit/events.ts';
import { toAuditJson } from '../../audit/json.ts';
import type { AuditStore } from '../../stores/audit.ts';
import { route } from '../route.ts';
import { adminScope } from '../scopes.ts';
import { listOrg } from './clients.ts';

export const auditEventJson = z.object({
  id: z.string(),
  type: z.enum(AUDIT_EVENT_TYPES),
  time: z.string().describe('when it was recorded (ISO 8601)'),
  actor: z.string().optional().describe('who acted: an account id, a client id'),
  subject: z.string().optional().describe('the account the event is about'),
  client_id: z.string().optional(),
  org_id: z.string().optional(),
  ip: z.string().optional(),
  reason: z.string().optional().describe('a machine reason code, e.g. invalid_credentials'),
  target: z.string().optional().describe('what the event concerns, e.g. /clients/web or grant:<id>'),
  details: z.record(z.string(), z.unknown()).optional().describe('e.g. scopes, grant_type, before/after of an admin change (never a secret)'),
});

const time = z.iso.datetime({ offset: true });
const filter = z.string().min(1).max(512).optional();

const listQuery = z.strictObject({
  type: z.enum(AUDIT_EVENT_TYPES).optional(),
  actor: filter,
  subject: filter,
  client_id: filter,
  org_id: filter.describe('only this organization (platform callers; others always see only their own)'),
  since: time.optional().describe('events at or after this time'),
  until: time.optional().describe('events before this time'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional(),
});

/**
 * The audit log, newest first. Tenant-isolated: an organization caller sees only its
 * organization's events; a platform caller sees every event, or one organization's.
 */
export function auditEventRoutes(deps: { store: Pick<AuditStore, 'list'> }) {
  return [
    route({
      method: 'get', path: '/audit-events', operationId: 'listAuditEvents', tag: 'audit', scope: adminScope('audit', 'read'), query: listQuery,
      summary: 'Audit events (newest first, cursor-paged), filtered by type, actor, subject, client, organization and time',
      responses: { 200: { description: 'a page', schema: z.object({ items: z.array(auditEventJson), next_cursor: z.string().optional() }) } },
      async handle({ query, principal }) {
        const page = await deps.store.list({
          type: query.type, actor: query.actor, subject: query.subject, clientId: query.client_id,
          orgId: listOrg(principal, query.org_id),
          since: query.since === undefined ? undefined : new Date(query.since),
          until: query.until === undefined ? undefined : new Date(query.until),
          limit: query.limit, cursor: query.cursor,
        });
        return { body: { items: page.items.map(toAuditJson), ...(page.nextCursor && { next_cursor: page.nextCursor }) } };
      },
    }),
  ];
}
