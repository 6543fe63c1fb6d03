import * as z from 'zod';

import { route } from '../route.ts';

const whoami = z.object({
  subject: z.object({ type: z.enum(['account', 'service_account']), id: z.string() }),
  organization: z.string().nullable(),
  platform_admin: z.boolean(),
  scopes: z.array(z.string()),
  expires_at: z.string().nullable(),
  credential: z.object({ type: z.enum(['api_key', 'access_token']), key_id: z.string().optional() }),
});

/** "Test my credentials": who the caller is, for which organization, with which scopes. */
export const whoamiRoutes = [
  route({
    method: 'get', path: '/auth/whoami', operationId: 'whoami', tag: 'auth',
    summary: 'Who the caller is: subject, organization, scopes, expiry and key id',
    responses: { 200: { description: 'the caller', schema: whoami } },
    async handle({ principal: p }) {
      return {
        body: {
          subject: p.subject,
          organization: p.orgId ?? null,
          platform_admin: p.orgId === undefined,
          scopes: [...p.scopes].sort(),
          expires_at: p.expiresAt?.toISOString() ?? null,
          credential: { type: p.via, ...(p.keyId ? { key_id: p.keyId } : {}) },
        },
      };
    },
  }),
];
