import { NO_PASSWORD } from '../../stores/accounts.ts';
import { isPlatform } from '../principal.ts';
import { route } from '../route.ts';
import { adminScope } from '../scopes.ts';
import { conflict, invitationJson, visibleAccount, type TenancyRouteDeps } from './tenancy.ts';

/**
 * (Re)issues the link with which an account's owner sets a first password. Earlier links
 * of the account stop working. An account that already has a password gets none: a link
 * would let whoever issues it take the account over.
 */
export function invitationRoutes(deps: TenancyRouteDeps) {
  return [
    route({
      method: 'post', path: '/accounts/{id}/invitations', operationId: 'createInvitation', tag: 'accounts', scope: adminScope('accounts', 'write'),
      summary: 'Issue a new single-use invitation link for an account without a password; the link is in this response only',
      responses: {
        201: { description: 'issued', schema: invitationJson }, 404: { description: 'no such account' },
        409: { description: 'the account has a password already, or is disabled' },
      },
      async handle({ params, principal }) {
        const account = await visibleAccount(deps, principal, params.id!);
        if (account.passwordHash !== NO_PASSWORD) throw conflict('the account has a password already');
        if (account.disabledAt) throw conflict('the account is disabled');
        // An organization caller's link joins its organization with the member's current role.
        const membership = isPlatform(principal) ? undefined : await deps.memberships.find(principal.orgId!, account.id);
        const invitation = await deps.invitations.issue({
          accountId: account.id, ...(membership && { orgId: membership.orgId, role: membership.role }),
        });
        return { status: 201, body: { url: invitation.url, expires_at: invitation.expiresAt.toISOString() } };
      },
    }),
  ];
}
