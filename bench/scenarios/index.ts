import type { Scenario } from '../lib/types.ts';
import { ccJwt } from './cc-jwt.ts';
import { ccOpaque } from './cc-opaque.ts';
import { introspectApiKey } from './introspect-api-key.ts';
import { introspectJwt } from './introspect-jwt.ts';
import { introspectOpaque } from './introspect-opaque.ts';
import { passwordLogin } from './password-login.ts';
import { refresh } from './refresh.ts';
import { signIn } from './sign-in.ts';
import { workers } from './workers.ts';

/**
 * In run order: scenarios on the default Gatehouse first, then those that need another
 * variant (a second seed, cluster workers), so each variant is started once.
 */
export const SCENARIOS: readonly Scenario[] = [
  ccOpaque, introspectOpaque, refresh, signIn, passwordLogin, introspectApiKey, ccJwt, introspectJwt, workers,
];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
