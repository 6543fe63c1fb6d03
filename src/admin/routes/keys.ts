import * as z from 'zod';

import type { KeyRing } from '../../oidc/key-ring.ts';
import { SIGNING_ALGS, type StoredKey } from '../../stores/signing-keys.ts';
import { route } from '../route.ts';
import { adminScope } from '../scopes.ts';

const key = z.object({
  kid: z.string(), alg: z.string(), state: z.enum(['next', 'current', 'retired']), created_at: z.string(), retired_at: z.string().optional(),
});
const keyList = z.object({ items: z.array(key) });
const rotateBody = z.strictObject({
  alg: z.enum(SIGNING_ALGS as [string, ...string[]]).optional().describe('rotate only this algorithm (default: all)'),
});

const view = (k: StoredKey) => ({
  kid: k.kid, alg: k.alg, state: k.state, created_at: k.createdAt.toISOString(), ...(k.retiredAt && { retired_at: k.retiredAt.toISOString() }),
});

/**
 * The server's signing keys: what is published in the JWKS and signs ID tokens and JWT
 * access tokens. Never the key material. Shared by every tenant: platform only.
 */
export function keyRoutes(deps: { ring: Pick<KeyRing, 'list' | 'rotate' | 'refresh'> }) {
  return [
    route({
      method: 'get', path: '/keys', operationId: 'listSigningKeys', tag: 'keys', scope: adminScope('keys', 'read'), platformOnly: true,
      summary: 'List signing keys: kid, algorithm, state (next, current, retired), created',
      responses: { 200: { description: 'the keys', schema: keyList } },
      async handle() {
        await deps.ring.refresh();
        return { body: { items: deps.ring.list().map(view) } };
      },
    }),
    route({
      method: 'post', path: '/keys:rotate', operationId: 'rotateSigningKeys', tag: 'keys', scope: adminScope('keys', 'write'), platformOnly: true,
      body: rotateBody,
      summary: 'Rotate signing keys: next starts signing, current is retired (still published), a new next is published',
      responses: { 200: { description: 'the keys after rotation', schema: keyList } },
      async handle({ body, principal }) {
        const alg = body.alg as (typeof SIGNING_ALGS)[number] | undefined;
        // The ring audits each rotation (key.rotated), naming who asked.
        const after = await deps.ring.rotate(alg, principal.keyId ? `api_key:${principal.keyId}` : principal.subject.id);
        return { body: { items: after.map(view) } };
      },
    }),
  ];
}
