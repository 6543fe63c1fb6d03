import * as z from 'zod';

import { notFound } from '../../errors.ts';
import { NO_PASSWORD } from '../../stores/accounts.ts';
import type { Membership } from '../../stores/memberships.ts';
import { isPlatform } from '../principal.ts';
import { route } from '../route.ts';
import { adminScope } from '../scopes.ts';
import { pageQuery, revokeKeys, visibleOrganization, type TenancyRouteDeps } from './tenancy.ts';

const member = z.object({
  account_id: z.string(), email: z.string(), name: z.string(), role: z.string(), created_at: z.string(),
});
const toMembershipJson = (m: Membership) => ({ organization_id: m.orgId, account_id: m.accountId, role: m.role, created_at: m.createdAt.toISOString() });
const membershipJson = z.object({ organization_id: z.string(), account_id: z.string(), role: z.string(), created_at: z.string() });

/**
 * Who belongs to an organization, with which role. Managing members is managing accounts,
 * so these routes take the accounts scopes: an organization's `admin` role has them, while
 * `admin:organizations:write` stays with the platform.
 */
export function membershipRoutes(deps: TenancyRouteDeps) {
  const read = adminScope('accounts', 'read');
  const write = adminScope('accounts', 'write');
  const putBody = z.strictObject({ role: z.string().refine((r) => deps.roles.has(r), 'is not a known role') });

  return [
    route({
      method: 'get', path: '/organizations/{id}/members', operationId: 'listMembers', tag: 'memberships', scope: read,
      query: z.strictObject(pageQuery),
      summary: "An organization's members and their roles (newest first, cursor-paged)",
      responses: { 200: { description: 'a page', schema: z.object({ items: z.array(member), next_cursor: z.string().optional() }) }, 404: { description: 'no such organization' } },
      async handle({ params, query, principal }) {
        const org = await visibleOrganization(deps, principal, params.id!);
        const page = await deps.memberships.listByOrg(org.id, { limit: query.limit, cursor: query.cursor });
        const accounts = new Map((await deps.accounts.findMany(page.items.map((m) => m.accountId))).map((a) => [a.id, a]));
        const items = page.items.flatMap((m) => {
          const a = accounts.get(m.accountId);
          return a ? [{ account_id: a.id, email: a.email, name: a.name, role: m.role, created_at: m.createdAt.toISOString() }] : [];
        });
        return { body: { items, ...(page.nextCursor && { next_cursor: page.nextCursor }) } };
      },
    }),
    route({
      method: 'put', path: '/organizations/{id}/members/{accountId}', operationId: 'putMember', tag: 'memberships', scope: write, body: putBody,
      summary: "Set a member's role; a platform administrator may also add any account",
      responses: {
        200: { description: 'role changed', schema: membershipJson }, 201: { description: 'added', schema: membershipJson },
        404: { description: 'no such organization or account' },
      },
      async handle({ params, body, principal }) {
        const org = await visibleOrganization(deps, principal, params.id!);
        // An organization caller cannot adopt an account it does not already have: account
        // ids of other tenants are none of its business.
        const known = isPlatform(principal)
          ? await deps.accounts.findById(params.accountId!) : await deps.memberships.find(org.id, params.accountId!);
        if (!known) throw notFound('no account with this id');
        const { membership, created } = await deps.memberships.put({ orgId: org.id, accountId: params.accountId!, role: body.role });
        return { status: created ? 201 : 200, body: toMembershipJson(membership) };
      },
    }),
    route({
      method: 'delete', path: '/organizations/{id}/members/{accountId}', operationId: 'removeMember', tag: 'memberships', scope: write,
      summary: "Remove an account from an organization; its API keys for that organization are revoked",
      responses: { 204: { description: 'removed' }, 404: { description: 'no such organization or member' } },
      async handle({ params, principal }) {
        const org = await visibleOrganization(deps, principal, params.id!);
        const accountId = params.accountId!;
        if (!(await deps.memberships.remove(org.id, accountId))) throw notFound('no member with this id');
        await revokeKeys(deps, { ownerType: 'account', ownerId: accountId, orgId: org.id });
        // A pending invitation must not bring the account back in when accepted.
        const account = await deps.accounts.findById(accountId);
        if (account?.passwordHash === NO_PASSWORD) await deps.invitations.forget(accountId);
        return { status: 204 };
      },
    }),
  ];
}
