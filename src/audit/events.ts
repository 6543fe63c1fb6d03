/**
 * Audit events: who did what to whom, when, from where. Everything that changes security
 * state or refuses a caller records one (issue: defence in depth). Recording never blocks
 * or fails the request that caused it: `record` returns at once and the sink deals with
 * storage, the structured log and webhooks on its own time.
 *
 * An event never holds a secret: no token, password, client secret or API key, only their
 * ids (a grant's id, a key's id). Not an opaque token's jti either: node-oidc-provider's
 * opaque token value is its jti. The sink also strips secret-named fields (redact.ts).
 */
export const AUDIT_EVENT_TYPES = [
  'login.succeeded', 'login.failed', 'login.locked',
  'consent.granted', 'consent.denied',
  'token.issued', 'token.revoked', 'refresh_token.reused', 'authorization_code.reused',
  'grant.revoked', 'session.ended',
  'rate_limit.refused', 'ip.refused',
  'admin.change',
  'key.rotated',
  // Dynamic client registration (RFC 7591, RFC 7592): by the client itself, or the unused-client sweep.
  'client.registered', 'client.registration_updated', 'client.registration_deleted',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export interface AuditEventInput {
  type: AuditEventType;
  /** Who acted: an account id, a client id, `api_key:<id>`, or `system`. */
  actor?: string | undefined;
  /** The account the event is about (token subject, login account). */
  subject?: string | undefined;
  clientId?: string | undefined;
  orgId?: string | undefined;
  ip?: string | undefined;
  /** A short machine reason (e.g. `invalid_credentials`, `ip_not_allowed`). */
  reason?: string | undefined;
  /** What the event concerns: `client:<id>`, `api_key:<id>`, `grant:<id>`, … */
  target?: string | undefined;
  /** Anything else worth keeping, already free of secrets (e.g. before/after, scopes). */
  details?: Readonly<Record<string, unknown>> | undefined;
}

export interface AuditSink {
  /** Fire and forget: never throws, never waits. */
  record(event: AuditEventInput): void;
}

/** For code paths and tests that have nowhere to send events. */
export const discardAudit: AuditSink = { record() {} };
