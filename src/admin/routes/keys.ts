import * as z from 'zod';

import type { SigningKeyStore } from '../../stores/signing-keys.ts';
import { route } from '../route.ts';
import { adminScope } from '../scopes.ts';

const key = z.object({ kid: z.string(), alg: z.string(), state: z.string(), created_at: z.string() });

/**
 * The server's signing keys: what is published in the JWKS and signs ID tokens and JWT
 * access tokens. Never the key material. Shared by every tenant: platform only.
 */
export function keyRoutes(deps: { store: Pick<SigningKeyStore, 'list'> }) {
  return [
    route({
      method: 'get', path: '/keys', operationId: 'listSigningKeys', tag: 'keys', scope: adminScope('keys', 'read'), platformOnly: true,
      summary: 'List signing keys: kid, algorithm, state, created',
      responses: { 200: { description: 'the keys', schema: z.object({ items: z.array(key) }) } },
      async handle() {
        const keys = await deps.store.list();
        return { body: { items: keys.map((k) => ({ kid: k.kid, alg: k.alg, state: k.state, created_at: k.createdAt.toISOString() })) } };
      },
    }),
  ];
}
