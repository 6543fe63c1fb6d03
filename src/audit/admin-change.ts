import type { Principal } from '../admin/principal.ts';
import type { AdminRoute, RouteResult } from '../admin/route.ts';
import type { AuditEventInput } from './events.ts';

/** encodeURIComponent throws on a lone surrogate; an audit event must not. */
const encode = (value: string) => {
  try {
    return encodeURIComponent(value);
  } catch {
    return encodeURIComponent(value.replace(/[\uD800-\uDFFF]/g, '\uFFFD'));
  }
};

/** `/clients/{id}` with `{ id: 'web' }` → `/clients/web`. */
export const fillPath = (path: string, params: Readonly<Record<string, string>>) =>
  path.replace(/\{(\w+)\}/g, (_, name: string) => encode(params[name] ?? `{${name}}`));

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const stringOf = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The `admin.change` event of one successful admin API write (every POST, PUT, PATCH
 * and DELETE; the router records it, so no route can forget to). The actor is the
 * caller; the target is the route with its parameters, plus the new object's id for a
 * creation. `after` is what the route answered and `before` what the route reported in
 * `result.audit`; the sink strips every secret-named field from both.
 *
 * The event belongs to the organization the object belongs to when the route or its
 * answer says so (`org_id`), else to the caller's: a platform administrator's change to
 * an organization's client shows in that organization's log.
 */
export function adminChangeEvent(
  route: Pick<AdminRoute, 'method' | 'path' | 'operationId'>, params: Readonly<Record<string, string>>,
  principal: Principal, ip: string, result: RouteResult,
): AuditEventInput {
  const body = isRecord(result.body) ? result.body : undefined;
  let target = fillPath(route.path, params);
  // A creation (POST to a collection, not to `{id}` or an `:action`) names what it made.
  const created = route.method === 'post' && !/:|\}$/.test(route.path) ? body : undefined;
  const nestedId = (key: string) => (isRecord(created?.[key]) ? stringOf(created[key].id) : undefined);
  const createdOrg = nestedId('organization');
  const createdId = stringOf(created?.id) ?? stringOf(created?.client_id) ?? createdOrg ?? nestedId('account');
  if (createdId !== undefined) target = `${target}/${encode(createdId)}`;
  const audit = result.audit;
  return {
    type: 'admin.change',
    actor: principal.subject.id,
    orgId: audit?.orgId ?? stringOf(body?.org_id) ?? createdOrg ?? principal.orgId,
    ip,
    target: audit?.target ?? target,
    details: {
      operation: route.operationId,
      method: route.method.toUpperCase(),
      actor_type: principal.subject.type,
      via: principal.via,
      ...(principal.keyId !== undefined && { api_key_id: principal.keyId }),
      ...(audit?.before !== undefined && { before: audit.before }),
      ...(route.method !== 'delete' && body !== undefined && { after: body }),
    },
  };
}
