import * as z from 'zod';

import { notFound } from '../../errors.ts';
import { DuplicateEmailError, NO_PASSWORD, type Account } from '../../stores/accounts.ts';
import { DuplicateSlugError, SLUG } from '../../stores/organizations.ts';
import { isPlatform } from '../principal.ts';
import { route } from '../route.ts';
import { adminScope } from '../scopes.ts';
import {
  accountJson, conflict, email, invitationJson, organizationJson, pageQuery, personName, revokeKeys,
  toAccountJson, toOrganizationJson, visibleOrganization, type TenancyRouteDeps,
} from './tenancy.ts';

const createBody = z.strictObject({
  name: personName,
  slug: z.string().regex(SLUG, 'must be 2–63 lower-case letters, digits and inner hyphens'),
  admin: z.strictObject({ email, name: personName }),
});
const created = z.object({
  organization: organizationJson,
  admin: z.object({ account: accountJson, invitation: invitationJson.optional() }),
  api_key: z.looseObject({ id: z.string(), key: z.string().describe('the API key itself: shown this once, never again') }),
});

/**
 * Organizations (tenants). Only platform administrators create and delete them; an
 * organization's own callers see only their organization, and any other id is a 404.
 */
export function organizationRoutes(deps: TenancyRouteDeps) {
  const read = adminScope('organizations', 'read');
  const write = adminScope('organizations', 'write');

  /** The first admin's account: an existing one, or a new one without a password plus an invitation. */
  async function firstAdmin(input: { email: string; name: string }): Promise<{ account: Account; created: boolean }> {
    const existing = await deps.accounts.findByEmail(input.email);
    if (existing) return { account: existing, created: false };
    try {
      return { account: await deps.accounts.create({ ...input, passwordHash: NO_PASSWORD }), created: true };
    } catch (err) {
      const raced = err instanceof DuplicateEmailError ? await deps.accounts.findByEmail(input.email) : undefined;
      if (!raced) throw err;
      return { account: raced, created: false };
    }
  }

  return [
    route({
      method: 'post', path: '/organizations', operationId: 'createOrganization', tag: 'organizations', scope: write, platformOnly: true,
      body: createBody,
      summary: 'Create an organization with its first admin account and API key; the key and invitation link are in this response only',
      responses: { 201: { description: 'created', schema: created }, 409: { description: 'the slug is taken, or the admin account is disabled' } },
      async handle({ body, principal }) {
        const org = await deps.organizations.create({ name: body.name, slug: body.slug }).catch((err: unknown) => {
          throw err instanceof DuplicateSlugError ? conflict(`the slug "${body.slug}" is taken`) : err;
        });
        let made: Account | undefined;
        try {
          const { account, created: isNew } = await firstAdmin(body.admin);
          if (isNew) made = account;
          if (account.disabledAt) throw conflict('the admin account is disabled');
          await deps.memberships.put({ orgId: org.id, accountId: account.id, role: 'admin' });
          const invitation = account.passwordHash === NO_PASSWORD
            ? await deps.invitations.issue({ accountId: account.id, orgId: org.id, role: 'admin' }) : undefined;
          // The role's scopes, never more than the caller itself holds.
          const scopes = deps.roles.scopesOf('admin').filter((s) => principal.scopes.has(s));
          const { key, record } = await deps.apiKeys.issue({ name: `${org.slug} admin`, scopes }, {
            owner: { type: 'account', id: account.id }, orgId: org.id, allowedScopes: scopes,
          });
          return {
            status: 201,
            body: {
              organization: toOrganizationJson(org),
              admin: { account: toAccountJson(account), ...(invitation && { invitation: { url: invitation.url, expires_at: invitation.expiresAt.toISOString() } }) },
              api_key: { ...deps.apiKeys.toPublic(record), key },
            },
          };
        } catch (err) {
          // All or nothing: a half-made organization would hold the slug with no admin.
          await deps.memberships.removeByOrg(org.id);
          await deps.invitations.forgetOrganization(org.id);
          await deps.organizations.delete(org.id);
          if (made) await deps.accounts.delete(made.id);
          throw err;
        }
      },
    }),
    route({
      method: 'get', path: '/organizations', operationId: 'listOrganizations', tag: 'organizations', scope: read,
      query: z.strictObject(pageQuery),
      summary: 'List organizations (newest first, cursor-paged); an organization caller sees only its own',
      responses: { 200: { description: 'a page', schema: z.object({ items: z.array(organizationJson), next_cursor: z.string().optional() }) } },
      async handle({ query, principal }) {
        if (!isPlatform(principal)) {
          const own = await deps.organizations.findById(principal.orgId!);
          return { body: { items: own ? [toOrganizationJson(own)] : [] } };
        }
        const page = await deps.organizations.list({ limit: query.limit, cursor: query.cursor });
        return { body: { items: page.items.map(toOrganizationJson), ...(page.nextCursor && { next_cursor: page.nextCursor }) } };
      },
    }),
    route({
      method: 'get', path: '/organizations/{id}', operationId: 'getOrganization', tag: 'organizations', scope: read,
      summary: 'One organization',
      responses: { 200: { description: 'the organization', schema: organizationJson }, 404: { description: 'no such organization' } },
      async handle({ params, principal }) {
        return { body: toOrganizationJson(await visibleOrganization(deps, principal, params.id!)) };
      },
    }),
    route({
      method: 'patch', path: '/organizations/{id}', operationId: 'updateOrganization', tag: 'organizations', scope: write,
      body: z.strictObject({ name: personName }),
      summary: 'Rename an organization',
      responses: { 200: { description: 'the organization', schema: organizationJson }, 404: { description: 'no such organization' } },
      async handle({ params, body, principal }) {
        await visibleOrganization(deps, principal, params.id!);
        const renamed = await deps.organizations.rename(params.id!, body.name);
        if (!renamed) throw notFound('no organization with this id');
        return { body: toOrganizationJson(renamed) };
      },
    }),
    route({
      method: 'delete', path: '/organizations/{id}', operationId: 'deleteOrganization', tag: 'organizations', scope: write, platformOnly: true,
      summary: "Delete an organization: its memberships and pending invitations go, its API keys are revoked; accounts remain",
      responses: { 204: { description: 'deleted' }, 404: { description: 'no such organization' } },
      async handle({ params, principal }) {
        const org = await visibleOrganization(deps, principal, params.id!);
        // Keys first: if a later step fails, nothing of the organization can still act.
        await revokeKeys(deps, { orgId: org.id });
        await deps.memberships.removeByOrg(org.id);
        await deps.invitations.forgetOrganization(org.id);
        await deps.organizations.delete(org.id);
        return { status: 204 };
      },
    }),
  ];
}
