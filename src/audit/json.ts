import type { AuditEvent } from '../stores/audit.ts';

/** An audit event as the admin API, the log and webhooks show it (snake_case, ISO time). */
export interface AuditEventJson {
  id: string;
  type: string;
  time: string;
  actor?: string;
  subject?: string;
  client_id?: string;
  org_id?: string;
  ip?: string;
  reason?: string;
  target?: string;
  details?: Record<string, unknown>;
}

export function toAuditJson(e: AuditEvent): AuditEventJson {
  return {
    id: e.id, type: e.type, time: e.time.toISOString(),
    ...(e.actor !== undefined && { actor: e.actor }),
    ...(e.subject !== undefined && { subject: e.subject }),
    ...(e.clientId !== undefined && { client_id: e.clientId }),
    ...(e.orgId !== undefined && { org_id: e.orgId }),
    ...(e.ip !== undefined && { ip: e.ip }),
    ...(e.reason !== undefined && { reason: e.reason }),
    ...(e.target !== undefined && { target: e.target }),
    ...(e.details !== undefined && { details: { ...e.details } }),
  };
}
