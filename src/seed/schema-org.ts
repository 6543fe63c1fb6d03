import * as z from 'zod';

import { ROLE_NAME } from '../security/roles.ts';
import { normaliseEmail } from '../stores/accounts.ts';
import { slug } from './schema-seed-client.ts';

/** An email as accounts store it (normalised), so references match whatever case the file uses. */
export const email = z.string().transform(normaliseEmail).pipe(z.email());

/**
 * An organization (tenant), matched by `slug`: created when new, renamed when `name`
 * changed. Each member is an account (from this file, or already stored) with one role:
 * `admin`, `member`, `readonly` or a custom role from GATEHOUSE_ROLES, checked on import.
 * Members not listed are left alone.
 */
export const organizationSchema = z.strictObject({
  $comment: z.unknown().optional(),
  slug,
  name: z.string().trim().min(1).max(200),
  members: z.array(z.strictObject({
    $comment: z.unknown().optional(),
    email,
    role: z.string().regex(ROLE_NAME, 'must be a role name (admin, member, readonly or a GATEHOUSE_ROLES role)'),
  })).default([]),
}).superRefine((org, ctx) => {
  const seen = new Map<string, number>();
  org.members.forEach((m, i) => {
    const first = seen.get(m.email);
    if (first === undefined) seen.set(m.email, i);
    else ctx.addIssue({ code: 'custom', path: ['members', i, 'email'], message: `duplicates members[${first}]` });
  });
});

export type SeedOrganization = z.output<typeof organizationSchema>;
